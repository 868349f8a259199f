package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/manifold-gitops/manifold/e2e/harness"
	"github.com/manifold-gitops/manifold/reconciler"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
)

const (
	dividingSub = "user-service-dividing"
	// dividingSPG01 is the SPG-01 subscriber of dividingSubscriptionYAML.
	dividingSPG01 = `    - clusterAffinity:
        matchLabels:
          clusters.clusternet.io/cluster-name: SPG-01
      weight: 2
`
	dividingSubscriptionYAML = `apiVersion: apps.clusternet.io/v1alpha1
kind: Subscription
metadata:
  name: user-service-dividing
spec:
  schedulingStrategy: Dividing
  dividingScheduling:
    type: Static
  subscribers:
` + dividingSPG01 + `    - clusterAffinity:
        matchLabels:
          clusters.clusternet.io/cluster-name: SPG-02
      weight: 1
  source:
    path: app
`
	dividingAppYAML = `apiVersion: v1
kind: Namespace
metadata:
  name: qcbm
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: user-service
  namespace: qcbm
spec:
  replicas: 6
  selector:
    matchLabels: {app: user-service}
  template:
    metadata:
      labels: {app: user-service}
    spec:
      containers:
        - name: user-service
          image: ccr.ccs.tencentyun.com/qcbm/user-service:fdd3edd
`
)

// TestDividing divides user-service's 6 replicas 2:1 between SPG-01 and
// SPG-02, then removes SPG-01 from the subscription: SPG-02 takes all 6
// before SPG-01's copy is pruned.
func TestDividing(t *testing.T) {
	env := harness.ForTest(t,
		harness.ClusterSpec{Name: "SPG-01", Mode: harness.Full},
		harness.ClusterSpec{Name: "SPG-02", Mode: harness.Full})
	spg01, spg02 := env.Cluster("SPG-01"), env.Cluster("SPG-02")
	ctx := context.Background()

	src := t.TempDir()
	clusters, err := os.ReadFile(filepath.Join("..", "examples", "qcbm", "clusters.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{
		"clusters.yaml":     string(clusters),
		"subscription.yaml": dividingSubscriptionYAML,
		"app/qcbm.yaml":     dividingAppYAML,
	} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(src, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(src, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	repo := newRepo(t, src)
	s := newSyncer(t, env, repo, nil)

	rep := s.sync()
	if rep.Failed() {
		t.Fatalf("sync failed: %+v", rep)
	}
	for _, c := range []string{"SPG-01", "SPG-02"} {
		if got := counts(set(t, rep, c, dividingSub))[reconciler.Created]; got != 2 {
			t.Errorf("created %d objects on %s, want 2", got, c)
		}
	}
	waitAvailableReplicas(t, spg01, "user-service", 4)
	waitAvailableReplicas(t, spg02, "user-service", 2)

	repo.edit("subscription.yaml", dividingSPG01, "")
	repo.commit("Move user-service off SPG-01\n\nManifold-Allow-Prune: " + dividingSub + "@SPG-01")
	// SPG-02 scales to 6 at once; SPG-01's copy goes once SPG-02 is
	// healthy, so a sync may hold the prune while SPG-02 scales up.
	syncs := 0
	err = wait.PollUntilContextTimeout(ctx, time.Second, 90*time.Second, true, func(ctx context.Context) (bool, error) {
		syncs++
		rep := s.sync()
		if rep.Failed() {
			t.Fatalf("sync failed: %+v", rep)
		}
		s1 := set(t, rep, "SPG-01", dividingSub)
		if n := counts(s1)[reconciler.Pruned]; n > 0 {
			if n != 2 {
				t.Errorf("pruned %d on SPG-01, want 2: %+v", n, s1.Changes)
			}
			t.Logf("SPG-01 pruned at sync %d after the change", syncs)
			return true, nil
		}
		if !strings.Contains(s1.HeldReason, "make-before-break") {
			t.Fatalf("SPG-01 neither pruned nor held for SPG-02's health: %+v", s1)
		}
		return false, nil
	})
	if err != nil {
		t.Fatalf("SPG-01 was never pruned: %v", err)
	}
	waitAvailableReplicas(t, spg02, "user-service", 6)
	err = wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, 60*time.Second, true, func(ctx context.Context) (bool, error) {
		_, err := spg01.Clientset().CoreV1().Namespaces().Get(ctx, "qcbm", metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
	if err != nil {
		t.Errorf("namespace qcbm still on SPG-01: %v", err)
	}
	if _, err := spg01.Clientset().AppsV1().Deployments("qcbm").Get(ctx, "user-service", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("user-service on SPG-01: err = %v, want NotFound", err)
	}
}

// waitAvailableReplicas waits until Deployment qcbm/name on c asks for want
// replicas and has want available.
func waitAvailableReplicas(t *testing.T, c *harness.Cluster, name string, want int32) {
	t.Helper()
	var last string
	err := wait.PollUntilContextTimeout(context.Background(), 250*time.Millisecond, 90*time.Second, true, func(ctx context.Context) (bool, error) {
		d, err := c.Clientset().AppsV1().Deployments("qcbm").Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			last = err.Error()
			return false, nil
		}
		if d.Spec.Replicas == nil || *d.Spec.Replicas != want {
			last = "spec.replicas unset"
			if d.Spec.Replicas != nil {
				last = fmt.Sprintf("spec.replicas %d", *d.Spec.Replicas)
			}
			return false, nil
		}
		last = fmt.Sprintf("%d available", d.Status.AvailableReplicas)
		return available(d) && d.Status.AvailableReplicas == want, nil
	})
	if err != nil {
		t.Fatalf("%s: Deployment qcbm/%s never had %d available replicas (%s): %v", c.Name(), name, want, last, err)
	}
}
