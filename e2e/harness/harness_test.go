package harness_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/manifold-gitops/manifold/e2e/harness"
)

// The tests of this package share two full clusters. Tests that stop or drain
// a cluster restore it before they end and do not run in parallel.
func TestMain(m *testing.M) {
	harness.Main(m,
		harness.ClusterSpec{Name: "SPG-01", Mode: harness.Full},
		harness.ClusterSpec{Name: "SPG-02", Mode: harness.Full},
	)
}

// TestOutageAndRecovery is the smoke test of the harness: a Deployment
// becomes Available; stopping its cluster's API server makes that cluster
// unreachable while the other one answers; restarting it brings it back with
// the Deployment still there.
func TestOutageAndRecovery(t *testing.T) {
	env := harness.Shared(t)
	spg1, spg2 := env.Cluster("SPG-01"), env.Cluster("SPG-02")
	ctx := context.Background()
	ns := spg1.Namespace(t)

	createDeployment(t, spg1.Clientset(), ns, "web", "registry.example/web:1")
	waitAvailable(t, spg1.Clientset(), ns, "web", 2)

	if err := spg1.StopAPIServer(ctx); err != nil {
		t.Fatal(err)
	}
	restarted := false
	t.Cleanup(func() {
		if !restarted {
			_ = spg1.StartAPIServer(context.Background())
		}
	})

	short, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, err := spg1.Clientset().AppsV1().Deployments(ns).Get(short, "web", metav1.GetOptions{})
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("SPG-01 with its API server stopped: got err %v, want connection refused", err)
	}
	if _, err := spg2.Clientset().CoreV1().Namespaces().List(short, metav1.ListOptions{}); err != nil {
		t.Fatalf("SPG-02 while SPG-01 is down: %v", err)
	}

	if err := spg1.StartAPIServer(ctx); err != nil {
		t.Fatal(err)
	}
	restarted = true
	if _, err := spg1.Clientset().AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{}); err != nil {
		t.Fatalf("Deployment after the restart: %v", err)
	}
	waitAvailable(t, spg1.Clientset(), ns, "web", 2)
}

// TestDrain: a drained cluster loses its pods and its Deployments stop being
// Available; undrained, they recover.
func TestDrain(t *testing.T) {
	spg2 := harness.Shared(t).Cluster("SPG-02")
	cs := spg2.Clientset()
	ctx := context.Background()
	ns := spg2.Namespace(t)

	createDeployment(t, cs, ns, "web", "registry.example/web:1")
	waitAvailable(t, cs, ns, "web", 2)

	if err := spg2.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = spg2.Undrain(context.Background()) })
	pods, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pods.Items {
		if p.Spec.NodeName != "" || podReady(&p) {
			t.Errorf("pod %s after drain: node %q, ready %v; want unscheduled and not ready", p.Name, p.Spec.NodeName, podReady(&p))
		}
	}
	waitFor(t, "Deployment web unavailable", func(ctx context.Context) (bool, error) {
		d, err := cs.AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
		return err == nil && d.Status.AvailableReplicas == 0, err
	})

	if err := spg2.Undrain(ctx); err != nil {
		t.Fatal(err)
	}
	waitAvailable(t, cs, ns, "web", 2)
}

// TestBrokenImage: pods of an image tagged :broken are scheduled but fail to
// pull their image and never become Ready, so the Deployment never becomes
// Available.
func TestBrokenImage(t *testing.T) {
	spg1 := harness.Shared(t).Cluster("SPG-01")
	cs := spg1.Clientset()
	ns := spg1.Namespace(t)

	createDeployment(t, cs, ns, "broken", "registry.example/web"+harness.BrokenImageSuffix)
	createDeployment(t, cs, ns, "healthy", "registry.example/web:2")
	waitAvailable(t, cs, ns, "healthy", 2)
	waitFor(t, "broken pods scheduled", func(ctx context.Context) (bool, error) {
		pods, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=broken"})
		if err != nil || len(pods.Items) != 2 {
			return false, err
		}
		for _, p := range pods.Items {
			if p.Spec.NodeName == "" {
				return false, nil
			}
		}
		return true, nil
	})
	time.Sleep(2 * time.Second) // the healthy pods needed far less to turn Ready
	ctx := context.Background()
	pods, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=broken"})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pods.Items {
		if podReady(&p) {
			t.Errorf("pod %s with a %s image is Ready", p.Name, harness.BrokenImageSuffix)
		}
		if len(p.Status.ContainerStatuses) != 1 || p.Status.ContainerStatuses[0].State.Waiting == nil ||
			p.Status.ContainerStatuses[0].State.Waiting.Reason != "ErrImagePull" {
			t.Errorf("pod %s: container statuses %+v, want one waiting with ErrImagePull", p.Name, p.Status.ContainerStatuses)
		}
	}
	d, err := cs.AppsV1().Deployments(ns).Get(ctx, "broken", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Status.AvailableReplicas != 0 {
		t.Errorf("Deployment broken: %d available replicas, want 0", d.Status.AvailableReplicas)
	}
}

// TestWriteCredentials: the written kubeconfigs work on their own, and
// clusters.yaml holds manifold Cluster objects that name them.
func TestWriteCredentials(t *testing.T) {
	env := harness.Shared(t)
	dir := t.TempDir()
	if err := env.WriteCredentials(dir); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"SPG-01", "SPG-02"} {
		cfg, err := clientcmd.BuildConfigFromFlags("", filepath.Join(dir, strings.ToLower(name)+".kubeconfig"))
		if err != nil {
			t.Fatal(err)
		}
		cs, err := kubernetes.NewForConfig(cfg)
		if err != nil {
			t.Fatal(err)
		}
		nodes, err := cs.CoreV1().Nodes().List(context.Background(), metav1.ListOptions{})
		if err != nil {
			t.Fatalf("%s through the written kubeconfig: %v", name, err)
		}
		if len(nodes.Items) != 1 || nodes.Items[0].Name != harness.FakeNodeName {
			t.Errorf("%s nodes: got %d, want just %s", name, len(nodes.Items), harness.FakeNodeName)
		}
	}
	got, err := os.ReadFile(filepath.Join(dir, harness.ClustersFile))
	if err != nil {
		t.Fatal(err)
	}
	want := `apiVersion: manifold.dev/v1alpha1
kind: Cluster
metadata:
  name: SPG-01
spec:
  kubeconfig:
    file: spg-01.kubeconfig
---
apiVersion: manifold.dev/v1alpha1
kind: Cluster
metadata:
  name: SPG-02
spec:
  kubeconfig:
    file: spg-02.kubeconfig
`
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("clusters.yaml (-want +got):\n%s", diff)
	}
}

func createDeployment(t *testing.T, cs kubernetes.Interface, ns, name, image string) {
	t.Helper()
	replicas := int32(2)
	labels := map[string]string{"app": name}
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: image}}},
			},
		},
	}
	if _, err := cs.AppsV1().Deployments(ns).Create(context.Background(), d, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create Deployment %s/%s: %v", ns, name, err)
	}
}

func waitAvailable(t *testing.T, cs kubernetes.Interface, ns, name string, replicas int32) {
	t.Helper()
	waitFor(t, "Deployment "+ns+"/"+name+" Available", func(ctx context.Context) (bool, error) {
		d, err := cs.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, nil // e.g. right after an API server restart
		}
		for _, c := range d.Status.Conditions {
			if c.Type == appsv1.DeploymentAvailable && c.Status == corev1.ConditionTrue {
				return d.Status.AvailableReplicas == replicas, nil
			}
		}
		return false, nil
	})
}

func waitFor(t *testing.T, what string, check func(context.Context) (bool, error)) {
	t.Helper()
	err := wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, 60*time.Second, true, check)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
