package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/manifold-gitops/manifold/e2e/gitserver"
	"github.com/manifold-gitops/manifold/e2e/harness"
	authnv1 "k8s.io/api/authentication/v1"
	authzv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

const (
	managementNamespace = "manifold-system"
	managerSubject      = "system:serviceaccount:manifold-system:manifold"
)

// secretRefClusters are Cluster objects whose kubeconfigs are Secrets in the
// management cluster.
const secretRefClusters = `apiVersion: manifold.dev/v1alpha1
kind: Cluster
metadata: {name: SPG-01}
spec:
  kubeconfig:
    secretRef: {namespace: manifold-system, name: spg-01-kubeconfig, key: kubeconfig}
---
apiVersion: manifold.dev/v1alpha1
kind: Cluster
metadata: {name: SPG-02}
spec:
  kubeconfig:
    secretRef: {namespace: manifold-system, name: spg-02-kubeconfig, key: kubeconfig}
`

// TestInCluster installs deploy/ into a management cluster and runs
// `manifold serve` exactly as its Deployment would, except that the pod's
// service account becomes a kubeconfig holding that service account's token:
// the target clusters' kubeconfigs, the Git credentials and the webhook
// secret all come from Secrets, and the RBAC of deploy/ must be enough.
func TestInCluster(t *testing.T) {
	env := harness.ForTest(t,
		harness.ClusterSpec{Name: "MGMT", Mode: harness.Light},
		harness.ClusterSpec{Name: "SPG-01", Mode: harness.Light},
		harness.ClusterSpec{Name: "SPG-02", Mode: harness.Light})
	ctx := context.Background()
	mgmt := env.Cluster("MGMT")
	admin := mgmt.Clientset()

	out, err := exec.Command(filepath.Join(env.BinDir(), "kubectl"), "apply", "-k", "../deploy",
		"--kubeconfig", mgmt.KubeconfigPath()).CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl apply -k deploy: %v\n%s", err, out)
	}
	t.Logf("kubectl apply -k deploy:\n%s", out)

	git := gitserver.Start(t)
	url, work := git.NewRepo(t, "config")
	gitserver.CommitAndPush(t, work, "web app on clusters named by Secret", webFiles(secretRefClusters, "blue"))
	git.RequireBasicAuth("manifold-bot", "e2e-git-token")
	secrets := map[string]map[string]string{
		"manifold-git":     {"username": "manifold-bot", "token": "e2e-git-token"},
		"manifold-webhook": {"secret": webhookSecret},
	}
	for _, name := range []string{"SPG-01", "SPG-02"} {
		kc, err := os.ReadFile(env.Cluster(name).KubeconfigPath())
		if err != nil {
			t.Fatal(err)
		}
		secrets[strings.ToLower(name)+"-kubeconfig"] = map[string]string{"kubeconfig": string(kc)}
	}
	for name, data := range secrets {
		s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: managementNamespace}, StringData: data}
		if _, err := admin.CoreV1().Secrets(managementNamespace).Create(ctx, s, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}

	deploy, err := admin.AppsV1().Deployments(managementNamespace).Get(ctx, "manifold", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pod := deploy.Spec.Template
	if len(pod.Spec.Containers) != 1 {
		t.Fatalf("the Deployment has %d containers, want 1", len(pod.Spec.Containers))
	}
	container := pod.Spec.Containers[0]

	t.Run("the pod meets the restricted Pod Security Standard", func(t *testing.T) {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{GenerateName: "manifold-", Labels: pod.Labels}, Spec: *pod.Spec.DeepCopy()}
		dryRun := metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}
		if _, err := admin.CoreV1().Pods(managementNamespace).Create(ctx, p, dryRun); err != nil {
			t.Fatalf("the Deployment's pod is refused in %s: %v", managementNamespace, err)
		}
		p.Spec.Containers[0].SecurityContext = nil // the control: PodSecurity admission is on
		if _, err := admin.CoreV1().Pods(managementNamespace).Create(ctx, p, dryRun); !apierrors.IsForbidden(err) {
			t.Errorf("a pod without a securityContext: err = %v, want Forbidden", err)
		}
	})

	// The user's edit of manifold-config: the repository to follow.
	for _, from := range container.EnvFrom {
		if from.ConfigMapRef == nil {
			continue
		}
		cm, err := admin.CoreV1().ConfigMaps(managementNamespace).Get(ctx, from.ConfigMapRef.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		cm.Data["MANIFOLD_REPO"] = url
		if _, err := admin.CoreV1().ConfigMaps(managementNamespace).Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}

	saKubeconfig := serviceAccountKubeconfig(t, mgmt, deploy.Spec.Template.Spec.ServiceAccountName)
	args := podArgs(t, container.Args, map[string]string{
		"--in-cluster": "--management-kubeconfig=" + saKubeconfig,
		"--state-dir":  "--state-dir=" + t.TempDir(),
		"--listen":     "", // startServe listens on a free port
	})
	srv := startServe(t, podEnv(t, admin, container), args...)
	t.Cleanup(func() { // runs before the server stops; /status holds the clusters' errors
		if t.Failed() {
			status, _ := json.MarshalIndent(srv.status(), "", "  ")
			t.Logf("/status:\n%s", status)
		}
	})
	srv.waitReady()
	// A follower is ready too (--leader-elect): the app itself shows the leader synced.
	eventually(t, 20*time.Second, "blue on SPG-01 and SPG-02", func() bool {
		return colorOf(env.Cluster("SPG-01")) == "blue" && colorOf(env.Cluster("SPG-02")) == "blue"
	})
	if _, err := admin.CoreV1().Namespaces().Get(ctx, "web", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("the app reached the management cluster, which is no Cluster of the repository: %v", err)
	}
	lease, err := admin.CoordinationV1().Leases(managementNamespace).Get(ctx, "manifold", metav1.GetOptions{})
	if err != nil {
		t.Errorf("the leader's Lease in %s: %v", managementNamespace, err)
	} else if lease.Spec.HolderIdentity == nil || *lease.Spec.HolderIdentity == "" {
		t.Errorf("the Lease %s/manifold has no holder", managementNamespace)
	}

	t.Run("a webhook signed with the secret from manifold-webhook syncs at once", func(t *testing.T) {
		green := gitserver.CommitAndPush(t, work, "green", map[string]string{"app/settings.yaml": webFiles("", "green")["app/settings.yaml"]})
		if code := pushWebhook(t, srv.addr, url, green, true); code != http.StatusAccepted {
			t.Fatalf("signed delivery: status %d, want 202", code)
		}
		eventually(t, 10*time.Second, "green on SPG-01 and SPG-02 (the poll interval is 1m)", func() bool {
			return colorOf(env.Cluster("SPG-01")) == "green" && colorOf(env.Cluster("SPG-02")) == "green"
		})
	})

	t.Run("the service account's permissions are least privilege", func(t *testing.T) {
		for _, tc := range []struct {
			attrs authzv1.ResourceAttributes
			want  bool
		}{
			{authzv1.ResourceAttributes{Namespace: managementNamespace, Verb: "get", Resource: "secrets"}, true},
			{authzv1.ResourceAttributes{Namespace: managementNamespace, Verb: "create", Group: "coordination.k8s.io", Resource: "leases"}, true},
			{authzv1.ResourceAttributes{Namespace: managementNamespace, Verb: "update", Group: "coordination.k8s.io", Resource: "leases"}, true},
			{authzv1.ResourceAttributes{Namespace: managementNamespace, Verb: "create", Resource: "events"}, true},
			{authzv1.ResourceAttributes{Namespace: managementNamespace, Verb: "list", Resource: "secrets"}, false},
			{authzv1.ResourceAttributes{Namespace: managementNamespace, Verb: "update", Resource: "secrets"}, false},
			{authzv1.ResourceAttributes{Namespace: managementNamespace, Verb: "create", Group: "apps", Resource: "deployments"}, false},
			{authzv1.ResourceAttributes{Namespace: managementNamespace, Verb: "delete", Resource: "secrets"}, false},
			{authzv1.ResourceAttributes{Namespace: "kube-system", Verb: "update", Group: "coordination.k8s.io", Resource: "leases"}, false},
			{authzv1.ResourceAttributes{Namespace: "kube-system", Verb: "get", Resource: "secrets"}, false},
			{authzv1.ResourceAttributes{Namespace: "default", Verb: "get", Resource: "secrets"}, false},
			{authzv1.ResourceAttributes{Verb: "get", Resource: "secrets"}, false},
			{authzv1.ResourceAttributes{Verb: "list", Resource: "namespaces"}, false},
		} {
			sar := &authzv1.SubjectAccessReview{Spec: authzv1.SubjectAccessReviewSpec{User: managerSubject,
				Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + managementNamespace, "system:authenticated"}, ResourceAttributes: &tc.attrs}}
			got, err := admin.AuthorizationV1().SubjectAccessReviews().Create(ctx, sar, metav1.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if got.Status.Allowed != tc.want {
				t.Errorf("%s %s/%s in %q: allowed %v, want %v", tc.attrs.Verb, tc.attrs.Group, tc.attrs.Resource, tc.attrs.Namespace, got.Status.Allowed, tc.want)
			}
		}
		// The same with the service account's own token.
		cfg, err := clientcmd.BuildConfigFromFlags("", saKubeconfig)
		if err != nil {
			t.Fatal(err)
		}
		sa := kubernetes.NewForConfigOrDie(cfg)
		if _, err := sa.CoreV1().Secrets("default").List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
			t.Errorf("listing Secrets in default as the service account: err = %v, want Forbidden", err)
		}
		if _, err := sa.CoreV1().Secrets(managementNamespace).Get(ctx, "spg-01-kubeconfig", metav1.GetOptions{}); err != nil {
			t.Errorf("reading a kubeconfig Secret as the service account: %v", err)
		}
	})
}

// serviceAccountKubeconfig writes a kubeconfig for c that authenticates as
// the service account name of manifold-system, with a token from the
// TokenRequest API, as the kubelet would mount it into the pod.
func serviceAccountKubeconfig(t *testing.T, c *harness.Cluster, name string) string {
	t.Helper()
	expiry := int64(3600)
	tr, err := c.Clientset().CoreV1().ServiceAccounts(managementNamespace).CreateToken(context.Background(), name,
		&authnv1.TokenRequest{Spec: authnv1.TokenRequestSpec{ExpirationSeconds: &expiry}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("token for service account %s: %v", name, err)
	}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["mgmt"] = &clientcmdapi.Cluster{Server: c.Server(), CertificateAuthorityData: c.RESTConfig().CAData}
	cfg.AuthInfos[name] = &clientcmdapi.AuthInfo{Token: tr.Status.Token}
	cfg.Contexts["mgmt"] = &clientcmdapi.Context{Cluster: "mgmt", AuthInfo: name}
	cfg.CurrentContext = "mgmt"
	path := filepath.Join(t.TempDir(), "sa.kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	return path
}

// podArgs turns the container's args into `manifold serve` flags for a
// process on this machine: the leading "serve" is dropped and each flag named
// in replace is swapped for its value (an empty value drops it). Every flag
// in replace must be among the args.
func podArgs(t *testing.T, args []string, replace map[string]string) []string {
	t.Helper()
	if len(args) == 0 || args[0] != "serve" {
		t.Fatalf("container args %q do not start with serve", args)
	}
	var out []string
	seen := map[string]bool{}
	for _, a := range args[1:] {
		name, _, _ := strings.Cut(a, "=")
		if r, ok := replace[name]; ok {
			seen[name] = true
			if r != "" {
				out = append(out, r)
			}
			continue
		}
		out = append(out, a)
	}
	for name := range replace {
		if !seen[name] {
			t.Fatalf("container args %q lack %s", args, name)
		}
	}
	return out
}

// podEnv resolves the container's environment as the kubelet would: literal
// values, Secret and ConfigMap keys, and whole ConfigMaps.
func podEnv(t *testing.T, client kubernetes.Interface, c corev1.Container) []string {
	t.Helper()
	ctx := context.Background()
	var out []string
	for _, from := range c.EnvFrom {
		if from.ConfigMapRef == nil {
			t.Fatalf("envFrom %+v: only ConfigMaps are resolved here", from)
		}
		cm, err := client.CoreV1().ConfigMaps(managementNamespace).Get(ctx, from.ConfigMapRef.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range cm.Data {
			out = append(out, from.Prefix+k+"="+v)
		}
	}
	for _, e := range c.Env {
		switch {
		case e.ValueFrom == nil:
			out = append(out, e.Name+"="+e.Value)
		case e.ValueFrom.SecretKeyRef != nil:
			ref := e.ValueFrom.SecretKeyRef
			s, err := client.CoreV1().Secrets(managementNamespace).Get(ctx, ref.Name, metav1.GetOptions{})
			if err != nil {
				t.Fatalf("env %s: %v", e.Name, err)
			}
			out = append(out, e.Name+"="+string(s.Data[ref.Key]))
		case e.ValueFrom.ConfigMapKeyRef != nil:
			ref := e.ValueFrom.ConfigMapKeyRef
			cm, err := client.CoreV1().ConfigMaps(managementNamespace).Get(ctx, ref.Name, metav1.GetOptions{})
			if err != nil {
				t.Fatalf("env %s: %v", e.Name, err)
			}
			out = append(out, e.Name+"="+cm.Data[ref.Key])
		default:
			t.Fatalf("env %s: only values, Secret and ConfigMap keys are resolved here", e.Name)
		}
	}
	return out
}
