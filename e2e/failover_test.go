package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/manifold-gitops/manifold/e2e/gitserver"
	"github.com/manifold-gitops/manifold/e2e/harness"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
)

// Short failover settings keep these tests fast.
const (
	drUnhealthyAfter = 3 * time.Second
	drFailbackAfter  = 5 * time.Second
	drProbeInterval  = time.Second
)

var dnsEndpointGVR = schema.GroupVersionResource{Group: "externaldns.k8s.io", Version: "v1alpha1", Resource: "dnsendpoints"}

// drClustersYAML declares clusters with labels, their kubeconfigs in the
// credentials directory written by Env.WriteCredentials.
func drClustersYAML(labels map[string]string, names ...string) string {
	var b strings.Builder
	for i, name := range names {
		if i > 0 {
			b.WriteString("---\n")
		}
		fmt.Fprintf(&b, "apiVersion: manifold.dev/v1alpha1\nkind: Cluster\nmetadata:\n  name: %s\n", name)
		if role := labels[name]; role != "" {
			fmt.Fprintf(&b, "  labels: {role: %s}\n", role)
		}
		fmt.Fprintf(&b, "spec:\n  kubeconfig: {file: %s}\n", harness.KubeconfigFileName(name))
	}
	return b.String()
}

// drSubscription targets the named clusters, with failover to clusters
// labelled role: standby, and optionally traffic.
func drSubscription(traffic bool, targets ...string) string {
	s := `apiVersion: apps.clusternet.io/v1alpha1
kind: Subscription
metadata: {name: qcbm-subscription}
spec:
  subscribers:
`
	for _, c := range targets {
		s += "    - clusterAffinity: {matchLabels: {clusters.clusternet.io/cluster-name: " + c + "}}\n"
	}
	s += `  source: {path: app}
  failover:
    standby: {clusterAffinity: {matchLabels: {role: standby}}}
    unhealthyAfter: 3s
    failbackAfter: 5s
`
	if traffic {
		s += `  traffic:
    hosts: [tke-demo.cn]
    dnsEndpoint: {cluster: SPG-MGMT, namespace: manifold-system, name: qcbm}
`
	}
	return s
}

const drNamespace = "apiVersion: v1\nkind: Namespace\nmetadata: {name: qcbm}\n"

const drIngress = `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: qcbm-gateway, namespace: qcbm}
spec:
  rules:
    - host: tke-demo.cn
      http:
        paths:
          - path: /
            pathType: Prefix
            backend: {service: {name: api-gateway, port: {number: 80}}}
`

const drDeployment = `apiVersion: apps/v1
kind: Deployment
metadata: {name: user-service, namespace: qcbm}
spec:
  replicas: 2
  selector: {matchLabels: {app: user-service}}
  template:
    metadata: {labels: {app: user-service}}
    spec:
      containers: [{name: user-service, image: "ccr.ccs.tencentyun.com/qcbm/user-service:fdd3edd"}]
`

// drServe pushes files to a fresh repository on a smart-HTTP Git server and
// runs `manifold serve` on it with short intervals.
func drServe(t *testing.T, env *harness.Env, files map[string]string) (srv *server, url, work string) {
	t.Helper()
	creds := t.TempDir()
	if err := env.WriteCredentials(creds); err != nil {
		t.Fatal(err)
	}
	git := gitserver.Start(t)
	url, work = git.NewRepo(t, "config")
	gitserver.CommitAndPush(t, work, "QCBM", files)
	srv = startServe(t, nil, "--repo", url, "--branch", "main", "--credentials", creds, "--state-dir", t.TempDir(),
		"--interval", "1s", "--probe-interval", drProbeInterval.String())
	srv.waitReady()
	return srv, url, work
}

// installDNSEndpointCRD installs a minimal external-dns DNSEndpoint CRD and
// the manifold-system namespace on c, as an operator installing
// external-dns would.
func installDNSEndpointCRD(t *testing.T, c *harness.Cluster) dynamic.Interface {
	t.Helper()
	ctx := context.Background()
	dyn, err := dynamic.NewForConfig(c.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	crd := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiextensions.k8s.io/v1",
		"kind":       "CustomResourceDefinition",
		"metadata": map[string]any{
			"name": "dnsendpoints.externaldns.k8s.io",
			// *.k8s.io groups need this annotation; "unapproved" is accepted.
			"annotations": map[string]any{"api-approved.kubernetes.io": "unapproved, a minimal copy of external-dns's CRD for tests"},
		},
		"spec": map[string]any{
			"group": "externaldns.k8s.io",
			"scope": "Namespaced",
			"names": map[string]any{"kind": "DNSEndpoint", "listKind": "DNSEndpointList", "plural": "dnsendpoints", "singular": "dnsendpoint"},
			"versions": []any{map[string]any{
				"name": "v1alpha1", "served": true, "storage": true,
				"schema": map[string]any{"openAPIV3Schema": map[string]any{
					"type": "object", "x-kubernetes-preserve-unknown-fields": true,
				}},
			}},
		},
	}}
	crdGVR := schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
	if _, err := dyn.Resource(crdGVR).Create(ctx, crd, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "the DNSEndpoint CRD served", func() bool {
		_, err := dyn.Resource(dnsEndpointGVR).Namespace("default").List(ctx, metav1.ListOptions{})
		return err == nil
	})
	ns := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": "manifold-system"}}}
	if _, err := dyn.Resource(schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}).Create(ctx, ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	return dyn
}

// dnsTargets returns the A record targets of tke-demo.cn in the qcbm
// DNSEndpoint, and its resourceVersion ("" when it does not exist).
func dnsTargets(dyn dynamic.Interface) ([]string, string) {
	u, err := dyn.Resource(dnsEndpointGVR).Namespace("manifold-system").Get(context.Background(), "qcbm", metav1.GetOptions{})
	if err != nil {
		return nil, ""
	}
	endpoints, _, _ := unstructured.NestedSlice(u.Object, "spec", "endpoints")
	var out []string
	for _, e := range endpoints {
		m, _ := e.(map[string]any)
		if m["dnsName"] != "tke-demo.cn" || m["recordType"] != "A" {
			continue
		}
		targets, _, _ := unstructured.NestedStringSlice(m, "targets")
		out = append(out, targets...)
	}
	return out, u.GetResourceVersion()
}

// setIngressIP plays the ingress controller: it publishes ip in the status
// of Ingress qcbm/qcbm-gateway on c once manifold has created it.
func setIngressIP(t *testing.T, c *harness.Cluster, ip string) {
	t.Helper()
	ctx := context.Background()
	eventually(t, 30*time.Second, "Ingress qcbm/qcbm-gateway with ip "+ip+" on "+c.Name(), func() bool {
		ing, err := c.Clientset().NetworkingV1().Ingresses("qcbm").Get(ctx, "qcbm-gateway", metav1.GetOptions{})
		if err != nil {
			return false
		}
		if lb := ing.Status.LoadBalancer.Ingress; len(lb) == 1 && lb[0].IP == ip {
			return true
		}
		ing.Status.LoadBalancer.Ingress = []networkingv1.IngressLoadBalancerIngress{{IP: ip}}
		_, err = c.Clientset().NetworkingV1().Ingresses("qcbm").UpdateStatus(ctx, ing, metav1.UpdateOptions{})
		return err == nil
	})
}

// firstFailure polls c's /readyz every 50ms and sends the time of the
// first failure: a stopped API server keeps answering while it shuts down.
func firstFailure(c *harness.Cluster) <-chan time.Time {
	ch := make(chan time.Time, 1)
	go func() {
		for {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			err := c.Clientset().Discovery().RESTClient().Get().AbsPath("/readyz").Do(ctx).Error()
			cancel()
			if err != nil {
				ch <- time.Now()
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()
	return ch
}

// metricsText reads the daemon's /metrics.
func (s *server) metricsText() string {
	s.t.Helper()
	resp, err := http.Get("http://" + s.addr + "/metrics")
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// noteDecisions returns the decisions of the daemon's last note.
func (s *server) noteDecisions() []string {
	note, _ := s.status()["sync"].(map[string]any)
	list, _ := note["decisions"].([]any)
	var out []string
	for _, d := range list {
		out = append(out, fmt.Sprint(d))
	}
	return out
}

func anyContains(list []string, sub string) bool {
	return slices.ContainsFunc(list, func(s string) bool { return strings.Contains(s, sub) })
}

// TestTrafficFollowsHealthyClusters is the tutorial's DR verification with
// an automatic DNS switch: SPG-01 and SPG-02 serve tke-demo.cn and the
// DNSEndpoint lists both ingress addresses; SPG-01's API server stops and its
// address leaves the record within unhealthyAfter plus one probe interval;
// it restarts and the address returns after failbackAfter.
func TestTrafficFollowsHealthyClusters(t *testing.T) {
	env := harness.ForTest(t,
		harness.ClusterSpec{Name: "SPG-01", Mode: harness.Light},
		harness.ClusterSpec{Name: "SPG-02", Mode: harness.Light},
		harness.ClusterSpec{Name: "SPG-MGMT", Mode: harness.Light})
	spg01, spg02 := env.Cluster("SPG-01"), env.Cluster("SPG-02")
	dyn := installDNSEndpointCRD(t, env.Cluster("SPG-MGMT"))
	srv, url, _ := drServe(t, env, map[string]string{
		"clusters.yaml":      drClustersYAML(nil, "SPG-01", "SPG-02", "SPG-MGMT"),
		"subscription.yaml":  drSubscription(true, "SPG-01", "SPG-02"),
		"app/namespace.yaml": drNamespace,
		"app/ingress.yaml":   drIngress,
	})
	ctx := context.Background()

	setIngressIP(t, spg01, "192.0.2.1")
	setIngressIP(t, spg02, "192.0.2.2")
	var rv string
	eventually(t, 15*time.Second, "the DNSEndpoint lists both clusters", func() bool {
		var targets []string
		targets, rv = dnsTargets(dyn)
		return slices.Equal(targets, []string{"192.0.2.1", "192.0.2.2"})
	})
	time.Sleep(3 * drProbeInterval)
	if _, now := dnsTargets(dyn); now != rv {
		t.Errorf("the DNSEndpoint was written in a steady state: resourceVersion %s → %s", rv, now)
	}

	t.Log("stopping SPG-01's API server")
	down := firstFailure(spg01)
	stopErr := make(chan error, 1)
	go func() { stopErr <- spg01.StopAPIServer(ctx) }() // the process takes seconds to exit
	eventually(t, 30*time.Second, "SPG-01's address leaves the record", func() bool {
		targets, _ := dnsTargets(dyn)
		return slices.Equal(targets, []string{"192.0.2.2"})
	})
	left := time.Since(<-down)
	if err := <-stopErr; err != nil {
		t.Fatal(err)
	}
	t.Logf("SPG-01's address left the record %s after its API server stopped answering", left.Round(10*time.Millisecond))
	// Unhealthy counts from the last healthy probe, up to one interval
	// before the failure; 1s more for the DNS write on a busy machine.
	if left < drUnhealthyAfter-drProbeInterval || left > drUnhealthyAfter+drProbeInterval+time.Second {
		t.Errorf("left after %s, want within unhealthyAfter (%s) plus one probe interval (%s)", left, drUnhealthyAfter, drProbeInterval)
	}

	t.Log("starting SPG-01's API server again")
	if err := spg01.StartAPIServer(ctx); err != nil {
		t.Fatal(err)
	}
	restarted := time.Now()
	eventually(t, 30*time.Second, "SPG-01's address back in the record", func() bool {
		targets, _ := dnsTargets(dyn)
		return slices.Equal(targets, []string{"192.0.2.1", "192.0.2.2"})
	})
	back := time.Since(restarted)
	t.Logf("SPG-01's address returned %s after its API server restarted", back.Round(10*time.Millisecond))
	if back < drFailbackAfter-500*time.Millisecond || back > drFailbackAfter+drProbeInterval+2*time.Second {
		t.Errorf("returned after %s, want failbackAfter (%s) plus at most one probe interval", back, drFailbackAfter)
	}

	eventually(t, 15*time.Second, "the decisions in the note", func() bool {
		ds := srv.noteDecisions()
		return anyContains(ds, "SPG-01 unreachable or not ready") && anyContains(ds, "SPG-01 healthy again") &&
			anyContains(ds, "points tke-demo.cn at 192.0.2.2 (serving: SPG-02)")
	})
	metrics := srv.metricsText()
	for _, want := range []string{
		`manifold_failover_decisions_total{kind="out-of-service",subscription="qcbm-subscription"} 1`,
		`manifold_failover_decisions_total{kind="in-service",subscription="qcbm-subscription"} 1`,
		`manifold_cluster_healthy{cluster="SPG-01"} 1`,
		`manifold_failover_decisions_total{kind="traffic",subscription="qcbm-subscription"}`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	head := gitserver.Git(t, t.TempDir(), "ls-remote", url, "refs/heads/main")
	commit := strings.Fields(head)[0]
	eventually(t, 20*time.Second, "the decisions in the note on the remote", func() bool {
		return strings.Contains(remoteNote(t, url, commit), "back in service for qcbm-subscription")
	})
}

// TestFailoverToStandby runs the app on SPG-01 only, with SPG-03 labelled
// standby: SPG-01 dies and the app runs on SPG-03; SPG-01 recovers and the
// app is back on SPG-01 only, SPG-03's copy pruned without an approval
// trailer.
func TestFailoverToStandby(t *testing.T) {
	env := harness.ForTest(t,
		harness.ClusterSpec{Name: "SPG-01", Mode: harness.Full},
		harness.ClusterSpec{Name: "SPG-03", Mode: harness.Full})
	spg01, spg03 := env.Cluster("SPG-01"), env.Cluster("SPG-03")
	srv, _, _ := drServe(t, env, map[string]string{
		"clusters.yaml":       drClustersYAML(map[string]string{"SPG-03": "standby"}, "SPG-01", "SPG-03"),
		"subscription.yaml":   drSubscription(false, "SPG-01"),
		"app/namespace.yaml":  drNamespace,
		"app/deployment.yaml": drDeployment,
	})
	ctx := context.Background()
	waitAvailable(t, spg01, "qcbm", 1)
	if _, err := spg03.Clientset().CoreV1().Namespaces().Get(ctx, "qcbm", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("the app is on the standby before any failure: %v", err)
	}

	t.Log("stopping SPG-01's API server")
	down := firstFailure(spg01)
	stopErr := make(chan error, 1)
	go func() { stopErr <- spg01.StopAPIServer(ctx) }()
	waitAvailable(t, spg03, "qcbm", 1)
	t.Logf("the app was Available on SPG-03 %s after SPG-01 stopped answering", time.Since(<-down).Round(10*time.Millisecond))
	if err := <-stopErr; err != nil {
		t.Fatal(err)
	}
	eventually(t, 15*time.Second, "the failover in the note", func() bool {
		return anyContains(srv.noteDecisions(), "qcbm-subscription: SPG-01 failed over to standby SPG-03")
	})

	t.Log("starting SPG-01's API server again")
	if err := spg01.StartAPIServer(ctx); err != nil {
		t.Fatal(err)
	}
	restarted := time.Now()
	time.Sleep(drFailbackAfter - 2*time.Second)
	if _, err := spg03.Clientset().AppsV1().Deployments("qcbm").Get(ctx, "user-service", metav1.GetOptions{}); err != nil {
		t.Errorf("the standby copy went before failbackAfter: %v", err)
	}
	eventually(t, 60*time.Second, "the app gone from SPG-03", func() bool {
		_, err := spg03.Clientset().CoreV1().Namespaces().Get(ctx, "qcbm", metav1.GetOptions{})
		return apierrors.IsNotFound(err)
	})
	t.Logf("SPG-03's copy was gone %s after SPG-01 restarted", time.Since(restarted).Round(10*time.Millisecond))
	waitAvailable(t, spg01, "qcbm", 1)
	eventually(t, 15*time.Second, "the failback in the note", func() bool {
		return anyContains(srv.noteDecisions(), "qcbm-subscription: SPG-01 failed back from standby SPG-03")
	})
	if m := srv.metricsText(); !strings.Contains(m, `manifold_failover_decisions_total{kind="failover",subscription="qcbm-subscription"} 1`) ||
		!strings.Contains(m, `manifold_failover_decisions_total{kind="failback",subscription="qcbm-subscription"} 1`) {
		t.Errorf("failover and failback not counted:\n%s", linesWith(m, "manifold_failover"))
	}
}

// TestMoveMakeBeforeBreak moves the app from SPG-01 to SPG-02 by editing the
// subscription (with the approval trailer) and checks every 100ms during the
// move that at least one cluster has the Deployment Available.
func TestMoveMakeBeforeBreak(t *testing.T) {
	env := harness.ForTest(t,
		harness.ClusterSpec{Name: "SPG-01", Mode: harness.Full},
		harness.ClusterSpec{Name: "SPG-02", Mode: harness.Full})
	spg01, spg02 := env.Cluster("SPG-01"), env.Cluster("SPG-02")
	_, _, work := drServe(t, env, map[string]string{
		"clusters.yaml":       drClustersYAML(nil, "SPG-01", "SPG-02"),
		"subscription.yaml":   drSubscription(false, "SPG-01"),
		"app/namespace.yaml":  drNamespace,
		"app/deployment.yaml": drDeployment,
	})
	waitAvailable(t, spg01, "qcbm", 1)

	// state of user-service on a cluster: available, present but not
	// available, gone, or unknown (the read failed).
	state := func(c *harness.Cluster) string {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		d, err := c.Clientset().AppsV1().Deployments("qcbm").Get(ctx, "user-service", metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			return "gone"
		case err != nil:
			return "unknown"
		case available(d):
			return "available"
		}
		return "not available"
	}
	var (
		mu           sync.Mutex
		observations int
		violations   []string
		last         [2]string
		sequence     []string // the distinct states seen, in order
	)
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		ticker := time.NewTicker(100 * time.Millisecond)
		defer ticker.Stop()
		for {
			s1, s2 := state(spg01), state(spg02)
			mu.Lock()
			if s1 != "unknown" && s2 != "unknown" {
				observations++
				if s1 != "available" && s2 != "available" {
					violations = append(violations, fmt.Sprintf("%s: SPG-01 %s, SPG-02 %s", time.Now().Format("15:04:05.000"), s1, s2))
				}
			}
			if now := fmt.Sprintf("SPG-01 %s, SPG-02 %s", s1, s2); len(sequence) == 0 || sequence[len(sequence)-1] != now {
				sequence = append(sequence, now)
			}
			last = [2]string{s1, s2}
			mu.Unlock()
			select {
			case <-done:
				return
			case <-ticker.C:
			}
		}
	}()

	gitserver.CommitAndPush(t, work, "Move QCBM from SPG-01 to SPG-02\n\nManifold-Allow-Prune: qcbm-subscription@SPG-01",
		map[string]string{"subscription.yaml": drSubscription(false, "SPG-02")})
	moved := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return last == [2]string{"gone", "available"}
	}
	err := waitFor(90*time.Second, moved)
	close(done)
	<-stopped
	if err != nil {
		t.Fatalf("the move did not finish: last seen SPG-01 %s, SPG-02 %s", last[0], last[1])
	}
	t.Logf("%d observations during the move: %s", observations, strings.Join(sequence, " → "))
	if observations < 10 {
		t.Errorf("only %d observations: the move was not watched", observations)
	}
	for _, v := range violations {
		t.Errorf("no Available copy of user-service: %s", v)
	}
}

// waitFor polls cond every 100ms until it holds or timeout passes.
func waitFor(timeout time.Duration, cond func() bool) error {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("not within %s", timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return nil
}

func linesWith(text, sub string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
