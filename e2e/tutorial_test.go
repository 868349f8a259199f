package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/manifold-gitops/manifold/e2e/harness"
	"github.com/manifold-gitops/manifold/reconciler"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
)

const (
	sub          = "qcbm-subscription"
	spg02Sub     = "    - clusterAffinity:\n        matchLabels:\n          clusters.clusternet.io/cluster-name: SPG-02\n"
	spg01Sub     = "    - clusterAffinity:\n        matchLabels:\n          clusters.clusternet.io/cluster-name: SPG-01\n"
	subnetAnnot  = "service.kubernetes.io/qcloud-loadbalancer-internal-subnetid"
	qcbmObjects  = 12
	deployments  = 6
	localization = "localizations/spg-02-gateway.yaml"
)

// TestTutorial follows the QCBM tutorial with commits to a Git repository
// and syncs to two real clusters: distribute to SPG-01, add SPG-02, localize
// SPG-02, canary an image on SPG-02, repair drift, then migrate off SPG-01.
func TestTutorial(t *testing.T) {
	env := harness.ForTest(t,
		harness.ClusterSpec{Name: "SPG-01", Mode: harness.Full},
		harness.ClusterSpec{Name: "SPG-02", Mode: harness.Full})
	spg01, spg02 := env.Cluster("SPG-01"), env.Cluster("SPG-02")
	ctx := context.Background()

	repo := newRepo(t, filepath.Join("..", "examples", "qcbm"))
	locContent, err := os.ReadFile(filepath.Join(repo.dir, localization))
	if err != nil {
		t.Fatal(err)
	}
	repo.edit("subscription.yaml", spg02Sub, "")
	repo.git("rm", "-q", localization)
	repo.commit("Distribute QCBM to SPG-01")
	counter := newWriteCounter()
	s := newSyncer(t, env, repo, counter)

	t.Run("1 distribute to SPG-01 only", func(t *testing.T) {
		rep := s.sync()
		if rep.Failed() {
			t.Fatalf("sync failed: %+v", rep)
		}
		if got := counts(set(t, rep, "SPG-01", sub))[reconciler.Created]; got != qcbmObjects {
			t.Errorf("created %d objects on SPG-01, want %d", got, qcbmObjects)
		}
		if sets := clusterReport(t, rep, "SPG-02").Sets; len(sets) != 0 {
			t.Errorf("SPG-02 got sets: %v", sets)
		}
		waitAvailable(t, spg01, "qcbm", deployments)
		if _, err := spg02.Clientset().CoreV1().Namespaces().Get(ctx, "qcbm", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("namespace qcbm on SPG-02: err = %v, want NotFound", err)
		}
		counter.take("SPG-01")
		again := s.sync()
		if n, log := counter.take("SPG-01"); n != 0 {
			t.Errorf("a repeated sync with no change made %d write requests: %v", n, log)
		}
		if got := counts(set(t, again, "SPG-01", sub))[reconciler.Unchanged]; got != qcbmObjects {
			t.Errorf("repeated sync: %d unchanged, want %d", got, qcbmObjects)
		}
		if h := set(t, again, "SPG-01", sub).Health; h != reconciler.Healthy {
			t.Errorf("health after Deployments are Available = %s, want Healthy", h)
		}
	})

	t.Run("2 new cluster release", func(t *testing.T) {
		before := resourceVersions(t, spg01)
		repo.edit("subscription.yaml", spg01Sub, spg01Sub+spg02Sub)
		repo.commit("Associate qcbm-subscription with SPG-02")
		counter.take("SPG-01")
		rep := s.sync()
		if rep.Failed() {
			t.Fatalf("sync failed: %+v", rep)
		}
		if got := counts(set(t, rep, "SPG-02", sub))[reconciler.Created]; got != qcbmObjects {
			t.Errorf("created %d on SPG-02, want %d", got, qcbmObjects)
		}
		if n, log := counter.take("SPG-01"); n != 0 {
			t.Errorf("SPG-01 got %d writes: %v", n, log)
		}
		if after := resourceVersions(t, spg01); !equalMaps(before, after) {
			t.Errorf("SPG-01 resourceVersions changed:\nbefore %v\nafter  %v", before, after)
		}
		waitAvailable(t, spg02, "qcbm", deployments)
	})

	t.Run("3 localization", func(t *testing.T) {
		repo.write(localization, string(locContent))
		repo.commit("SPG-02 uses its own subnet")
		counter.take("SPG-01")
		rep := s.sync()
		if rep.Failed() {
			t.Fatalf("sync failed: %+v", rep)
		}
		if got := counts(set(t, rep, "SPG-02", sub))[reconciler.Configured]; got != 1 {
			t.Errorf("SPG-02 configured %d objects, want 1 (api-gateway)", got)
		}
		assertSubnet(t, spg01, "subnet-spg01-3x8f2a")
		assertSubnet(t, spg02, "subnet-spg02-7k2m9q")
		repo.edit(localization, "subnet-spg02-7k2m9q", "subnet-spg02-changed")
		repo.commit("SPG-02 moves to another subnet")
		rep = s.sync()
		if n, log := counter.take("SPG-01"); n != 0 {
			t.Errorf("SPG-01 got %d writes: %v", n, log)
		}
		if got := counts(set(t, rep, "SPG-02", sub))[reconciler.Configured]; got != 1 {
			t.Errorf("SPG-02 configured %d, want 1", got)
		}
		assertSubnet(t, spg02, "subnet-spg02-changed")
		assertSubnet(t, spg01, "subnet-spg01-3x8f2a")
	})

	t.Run("4 canary by localization", func(t *testing.T) {
		repo.write("localizations/spg-02-canary.yaml", `apiVersion: apps.clusternet.io/v1alpha1
kind: Localization
metadata: {name: user-service-canary, namespace: SPG-02}
spec:
  priority: 500
  feed: {apiVersion: apps/v1, kind: Deployment, name: user-service, namespace: qcbm}
  overrides:
    - name: canary-image
      type: JSONPatch
      value: '[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"ccr.ccs.tencentyun.com/qcbm/user-service:canary"}]'
`)
		repo.commit("Canary user-service on SPG-02")
		counter.take("SPG-01")
		rep := s.sync()
		if rep.Failed() {
			t.Fatalf("sync failed: %+v", rep)
		}
		if n, log := counter.take("SPG-01"); n != 0 {
			t.Errorf("SPG-01 got %d writes: %v", n, log)
		}
		if img := image(t, spg02, "user-service"); !strings.HasSuffix(img, ":canary") {
			t.Errorf("SPG-02 image %s, want the canary", img)
		}
		if img := image(t, spg01, "user-service"); !strings.HasSuffix(img, ":fdd3edd") {
			t.Errorf("SPG-01 image %s changed", img)
		}
	})

	t.Run("6 drift is noticed by the watch and repaired, other managers' fields survive", func(t *testing.T) {
		drifts := make(chan reconciler.Drift, 16)
		watchCtx, stop := context.WithCancel(ctx)
		defer stop()
		w := s.rec.NewWatcher(func(d reconciler.Drift) {
			select {
			case drifts <- d:
			default: // later events of the same drift
			}
		})
		w.Watch(watchCtx, s.last)
		time.Sleep(time.Second) // let the informers list
		deps := spg01.Clientset().AppsV1().Deployments("qcbm")
		_, err := deps.Patch(ctx, "user-service", types.MergePatchType,
			[]byte(`{"metadata":{"annotations":{"team.example.com/owner":"books"}}}`), metav1.PatchOptions{FieldManager: "someone-else"})
		if err != nil {
			t.Fatal(err)
		}
		select {
		case d := <-drifts:
			t.Fatalf("another manager's annotation reported as drift: %+v", d)
		case <-time.After(time.Second):
		}
		_, err = deps.Patch(ctx, "user-service", types.MergePatchType,
			[]byte(`{"spec":{"replicas":3}}`), metav1.PatchOptions{FieldManager: "kubectl-scale"})
		if err != nil {
			t.Fatal(err)
		}
		select {
		case d := <-drifts:
			if d.Cluster != "SPG-01" || d.Subscription != sub || d.Key.String() != "Deployment/qcbm/user-service" || d.Path != "spec.replicas" {
				t.Errorf("drift = %+v", d)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the watch did not report the scaled Deployment")
		}
		rep := s.sync()
		s1 := set(t, rep, "SPG-01", sub)
		var drift *reconciler.Change
		for i, ch := range s1.Changes.Entries {
			if ch.Key.Name == "user-service" && ch.Key.Kind == "Deployment" {
				drift = &s1.Changes.Entries[i]
			}
		}
		if drift == nil || drift.Action != reconciler.Configured || !strings.Contains(drift.Reason, "drift") {
			t.Fatalf("drift not reported: %+v", drift)
		}
		d, err := deps.Get(ctx, "user-service", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if *d.Spec.Replicas != 1 {
			t.Errorf("replicas = %d, want 1 restored", *d.Spec.Replicas)
		}
		if d.Annotations["team.example.com/owner"] != "books" {
			t.Errorf("another manager's annotation was removed: %v", d.Annotations)
		}
	})

	t.Run("5 migration off SPG-01 is held, then approved", func(t *testing.T) {
		waitAvailable(t, spg02, "qcbm", deployments)
		repo.edit("subscription.yaml", spg01Sub, "")
		repo.commit("Move QCBM off SPG-01")
		counter.take("SPG-02")
		rep := s.sync()
		held := set(t, rep, "SPG-01", sub)
		if got := counts(held)[reconciler.Held]; got != qcbmObjects {
			t.Errorf("held %d on SPG-01, want all %d: %+v", got, qcbmObjects, held.Changes)
		}
		if !strings.Contains(held.HeldReason, "Namespace/qcbm") || !strings.Contains(held.HeldReason, "Manifold-Allow-Prune: qcbm-subscription@SPG-01") {
			t.Errorf("held reason does not name the Namespace and the trailer: %q", held.HeldReason)
		}
		if _, err := spg01.Clientset().CoreV1().Services("qcbm").Get(ctx, "api-gateway", metav1.GetOptions{}); err != nil {
			t.Errorf("held prune deleted something: %v", err)
		}
		if n, log := counter.take("SPG-02"); n != 0 {
			t.Errorf("SPG-02 got %d writes: %v", n, log)
		}

		repo.commit("Approve removing QCBM from SPG-01\n\nManifold-Allow-Prune: qcbm-subscription@SPG-01")
		rep = s.sync()
		if got := counts(set(t, rep, "SPG-01", sub))[reconciler.Pruned]; got != qcbmObjects {
			t.Errorf("pruned %d on SPG-01, want %d: %+v", got, qcbmObjects, set(t, rep, "SPG-01", sub))
		}
		if n, log := counter.take("SPG-02"); n != 0 {
			t.Errorf("SPG-02 got %d writes: %v", n, log)
		}
		err := wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, 60*time.Second, true, func(ctx context.Context) (bool, error) {
			_, err := spg01.Clientset().CoreV1().Namespaces().Get(ctx, "qcbm", metav1.GetOptions{})
			return apierrors.IsNotFound(err), nil
		})
		if err != nil {
			t.Errorf("namespace qcbm still on SPG-01: %v", err)
		}
		waitAvailable(t, spg02, "qcbm", deployments)
	})
}

func resourceVersions(t *testing.T, c *harness.Cluster) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	deps, err := c.Clientset().AppsV1().Deployments("qcbm").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range deps.Items {
		out["Deployment/"+d.Name] = d.ResourceVersion
	}
	svcs, err := c.Clientset().CoreV1().Services("qcbm").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range svcs.Items {
		out["Service/"+s.Name] = s.ResourceVersion
	}
	cm, err := c.Clientset().CoreV1().ConfigMaps("qcbm").Get(ctx, "qcbm-env", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out["ConfigMap/qcbm-env"] = cm.ResourceVersion
	return out
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func assertSubnet(t *testing.T, c *harness.Cluster, want string) {
	t.Helper()
	svc, err := c.Clientset().CoreV1().Services("qcbm").Get(context.Background(), "api-gateway", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := svc.Annotations[subnetAnnot]; got != want {
		t.Errorf("%s api-gateway subnet = %q, want %q", c.Name(), got, want)
	}
}

func image(t *testing.T, c *harness.Cluster, name string) string {
	t.Helper()
	d, err := c.Clientset().AppsV1().Deployments("qcbm").Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return d.Spec.Template.Spec.Containers[0].Image
}
