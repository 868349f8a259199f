package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/manifold-gitops/manifold/e2e/harness"
	"github.com/manifold-gitops/manifold/reconciler"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// twoClusters declares SPG-01 and SPG-02 with the harness' kubeconfig names.
const twoClusters = `apiVersion: manifold.dev/v1alpha1
kind: Cluster
metadata: {name: SPG-01}
spec: {kubeconfig: {file: spg-01.kubeconfig}}
---
apiVersion: manifold.dev/v1alpha1
kind: Cluster
metadata: {name: SPG-02}
spec: {kubeconfig: {file: spg-02.kubeconfig}}
`

// faultsRepo declares SPG-01 and SPG-02 and two subscriptions, shop and
// blog, each delivering a namespace and three ConfigMaps to both clusters.
func faultsRepo(t *testing.T) *gitRepo {
	r := &gitRepo{t: t, dir: t.TempDir()}
	r.git("init", "-q", "-b", "main")
	r.write("clusters.yaml", twoClusters)
	for _, app := range []string{"shop", "blog"} {
		r.write(app+"/subscription.yaml", fmt.Sprintf(`apiVersion: manifold.dev/v1alpha1
kind: Subscription
metadata: {name: %s}
spec:
  subscribers: [{clusterAffinity: {matchExpressions: [{key: manifold.dev/cluster, operator: Exists}]}}]
  source: {path: %s/manifests}
`, app, app))
		r.write(app+"/manifests/kustomization.yaml", "resources: [namespace.yaml, config.yaml]\n")
		r.write(app+"/manifests/namespace.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: "+app+"}\n")
		r.write(app+"/manifests/config.yaml", configMaps(app, "a", "b", "c"))
	}
	r.commit("shop and blog")
	return r
}

func configMaps(namespace string, names ...string) string {
	var docs []string
	for _, n := range names {
		docs = append(docs, fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: %s, namespace: %s}\ndata: {v: '1'}\n", n, namespace))
	}
	return strings.Join(docs, "---\n")
}

func configMapNames(t *testing.T, c *harness.Cluster, namespace string) []string {
	t.Helper()
	list, err := c.Clientset().CoreV1().ConfigMaps(namespace).List(context.Background(), metav1.ListOptions{LabelSelector: "manifold.dev/subscription"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, cm := range list.Items {
		names = append(names, cm.Name)
	}
	return names
}

// TestFaults: failures in one cluster or one subscription never stop the
// others and never cause a prune (design §4, invariants 1–3).
func TestFaults(t *testing.T) {
	env := harness.ForTest(t,
		harness.ClusterSpec{Name: "SPG-01", Mode: harness.Light},
		harness.ClusterSpec{Name: "SPG-02", Mode: harness.Light})
	spg01, spg02 := env.Cluster("SPG-01"), env.Cluster("SPG-02")
	ctx := context.Background()
	repo := faultsRepo(t)
	s := newSyncer(t, env, repo, nil)
	if rep := s.sync(); rep.Failed() {
		t.Fatalf("initial sync failed: %+v", rep)
	}

	t.Run("unreachable cluster: the other syncs, nothing is pruned", func(t *testing.T) {
		if err := spg01.StopAPIServer(ctx); err != nil {
			t.Fatal(err)
		}
		repo.write("shop/manifests/config.yaml", configMaps("shop", "a", "b"))
		repo.commit("shop drops c")
		rep := s.sync()
		c1 := clusterReport(t, rep, "SPG-01")
		if c1.Reachable || c1.Err == nil || !strings.Contains(c1.Err.Error(), "unreachable") {
			t.Errorf("SPG-01 not reported unreachable: %+v", c1)
		}
		if !rep.Failed() {
			t.Error("report does not fail with an unreachable cluster")
		}
		if got := counts(set(t, rep, "SPG-02", "shop"))[reconciler.Pruned]; got != 1 {
			t.Errorf("SPG-02 pruned %d, want 1", got)
		}
		if err := spg01.StartAPIServer(ctx); err != nil {
			t.Fatal(err)
		}
		if got := configMapNames(t, spg01, "shop"); len(got) != 3 {
			t.Errorf("SPG-01 lost objects while unreachable: %v", got)
		}
		rep = s.sync()
		if rep.Failed() {
			t.Fatalf("sync after recovery failed: %+v", rep)
		}
		if got := configMapNames(t, spg01, "shop"); len(got) != 2 {
			t.Errorf("after recovery SPG-01 has %v, want a and b", got)
		}
	})

	t.Run("render error in one subscription: the other syncs, nothing is pruned", func(t *testing.T) {
		repo.write("blog/manifests/kustomization.yaml", "resources: [namespace.yaml, config.yaml, missing.yaml]\n")
		repo.write("shop/manifests/config.yaml", configMaps("shop", "a", "b", "d"))
		repo.commit("break blog, add shop/d")
		rep := s.sync()
		for _, c := range []string{"SPG-01", "SPG-02"} {
			if b := set(t, rep, c, "blog"); b.Err == nil || !strings.Contains(b.Err.Error(), "missing.yaml") {
				t.Errorf("%s blog error = %v", c, b.Err)
			}
			if got := counts(set(t, rep, c, "shop"))[reconciler.Created]; got != 1 {
				t.Errorf("%s shop created %d, want 1", c, got)
			}
		}
		for _, c := range []*harness.Cluster{spg01, spg02} {
			if got := configMapNames(t, c, "blog"); len(got) != 3 {
				t.Errorf("%s blog objects %v, want all 3 kept", c.Name(), got)
			}
		}
		repo.write("blog/manifests/kustomization.yaml", "resources: [namespace.yaml, config.yaml]\n")
		repo.commit("repair blog")
	})

	t.Run("empty render of a non-empty inventory prunes nothing", func(t *testing.T) {
		repo.write("blog/manifests/kustomization.yaml", "resources: []\n")
		repo.commit("blog renders nothing")
		rep := s.sync()
		b := set(t, rep, "SPG-01", "blog")
		if got := counts(b)[reconciler.Held]; got != 4 || !strings.Contains(b.HeldReason, "allowEmpty") {
			t.Errorf("held %d, reason %q; want all 4 held for the empty render", got, b.HeldReason)
		}
		if got := configMapNames(t, spg01, "blog"); len(got) != 3 {
			t.Errorf("blog objects %v, want all kept", got)
		}
		repo.write("blog/manifests/kustomization.yaml", "resources: [namespace.yaml, config.yaml]\n")
		repo.commit("blog is back")
		if rep := s.sync(); rep.Failed() {
			t.Fatalf("sync failed: %+v", rep)
		}
	})

	t.Run("labelled object outside the inventory is not deleted", func(t *testing.T) {
		stray := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "stray", Namespace: "shop",
			Labels: map[string]string{"manifold.dev/subscription": "shop"}}}
		if _, err := spg01.Clientset().CoreV1().ConfigMaps("shop").Create(ctx, stray, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		repo.write("shop/manifests/config.yaml", configMaps("shop", "a", "b"))
		repo.commit("shop drops d")
		rep := s.sync()
		if got := counts(set(t, rep, "SPG-01", "shop"))[reconciler.Pruned]; got != 1 {
			t.Errorf("pruned %d, want only d", got)
		}
		if _, err := spg01.Clientset().CoreV1().ConfigMaps("shop").Get(ctx, "stray", metav1.GetOptions{}); err != nil {
			t.Errorf("stray object outside the inventory was deleted: %v", err)
		}
	})

	t.Run("prune disabled by annotation", func(t *testing.T) {
		_, err := spg01.Clientset().CoreV1().ConfigMaps("shop").Patch(ctx, "b", "application/merge-patch+json",
			[]byte(`{"metadata":{"annotations":{"manifold.dev/prune":"disabled"}}}`), metav1.PatchOptions{FieldManager: "operator"})
		if err != nil {
			t.Fatal(err)
		}
		repo.write("shop/manifests/config.yaml", configMaps("shop", "a"))
		repo.commit("shop drops b")
		rep := s.sync()
		if got := counts(set(t, rep, "SPG-01", "shop"))[reconciler.Skipped]; got != 1 {
			t.Errorf("skipped %d on SPG-01, want b", got)
		}
		if _, err := spg01.Clientset().CoreV1().ConfigMaps("shop").Get(ctx, "b", metav1.GetOptions{}); err != nil {
			t.Errorf("annotated object was deleted: %v", err)
		}
		if _, err := spg02.Clientset().CoreV1().ConfigMaps("shop").Get(ctx, "b", metav1.GetOptions{}); err == nil {
			t.Error("b was not pruned from SPG-02")
		}
	})
}
