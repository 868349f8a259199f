package diff

import (
	"context"
	"strings"
	"testing"

	"github.com/manifold-gitops/manifold/gitsource"
	"github.com/manifold-gitops/manifold/reconciler"
	"github.com/manifold-gitops/manifold/render"
)

const twoClusters = `apiVersion: manifold.dev/v1alpha1
kind: Cluster
metadata: {name: a}
spec: {kubeconfig: {file: a.kubeconfig}}
---
apiVersion: manifold.dev/v1alpha1
kind: Cluster
metadata: {name: b}
spec: {kubeconfig: {file: b.kubeconfig}}
`

// sub delivers folder source to every cluster.
func sub(name, source string) string {
	return `apiVersion: manifold.dev/v1alpha1
kind: Subscription
metadata: {name: ` + name + `}
spec:
  subscribers: [{clusterAffinity: {matchLabels: {}}}]
  source: {path: ` + source + `}
`
}

func configMap(name string) string {
	return "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: " + name + ", namespace: web}\ndata: {k: v}\n---\n"
}

// compute previews base → head, both in memory.
func compute(t *testing.T, base, head map[string]string, message string) *Report {
	t.Helper()
	ctx := context.Background()
	r := render.NewRenderer(render.Limits{})
	headSnap := gitsource.FromFiles("head", head)
	return Compute(Input{
		Base: r.Render(ctx, gitsource.FromFiles("base", base)), Head: r.Render(ctx, headSnap), HeadMessage: message,
		Explain: func(s *render.DesiredSet) (map[render.ObjectKey]*render.Trace, error) {
			return r.Explain(ctx, headSnap, s)
		},
	})
}

func actions(s *Subscription) map[string]reconciler.Action {
	out := map[string]reconciler.Action{}
	for _, o := range s.Objects {
		out[o.Subject] = o.Action
	}
	return out
}

// TestMoveBetweenSubscriptions: an object moving from one subscription to
// another is handed over: adopted by one, skipped by the other, never pruned.
func TestMoveBetweenSubscriptions(t *testing.T) {
	base := map[string]string{
		"clusters.yaml": twoClusters, "one.yaml": sub("one", "one"), "two.yaml": sub("two", "two"),
		"one/app.yaml": configMap("stays") + configMap("moves"), "two/app.yaml": configMap("other"),
	}
	head := map[string]string{
		"clusters.yaml": twoClusters, "one.yaml": sub("one", "one"), "two.yaml": sub("two", "two"),
		"one/app.yaml": configMap("stays"), "two/app.yaml": configMap("other") + configMap("moves"),
	}
	rep := compute(t, base, head, "")
	one, two := subscription(t, rep, "a", "one"), subscription(t, rep, "a", "two")
	if got := actions(one)["ConfigMap/web/moves"]; got != reconciler.Skipped || one.Objects[0].Reason != "moved to subscription two" {
		t.Errorf("one: %s %q", got, one.Objects[0].Reason)
	}
	if got := actions(two)["ConfigMap/web/moves"]; got != reconciler.Configured || two.Objects[0].Reason != "adopted from subscription one" {
		t.Errorf("two: %s %q", got, two.Objects[0].Reason)
	}
	if one.Counts.Pruned+one.Counts.Held+two.Counts.Pruned+two.Counts.Held != 0 {
		t.Errorf("a move prunes: %+v %+v", one.Counts, two.Counts)
	}
}

// TestSmallPruneAndEmptyRender: one object of three is pruned without
// approval; an empty render is held.
func TestSmallPruneAndEmptyRender(t *testing.T) {
	files := func(app string) map[string]string {
		return map[string]string{"clusters.yaml": twoClusters, "one.yaml": sub("one", "one"), "one/app.yaml": app, "one/README.md": "x"}
	}
	three := configMap("x") + configMap("y") + configMap("z")
	rep := compute(t, files(three), files(configMap("x")+configMap("y")), "")
	if s := subscription(t, rep, "a", "one"); s.Counts != (Counts{Unchanged: 2, Pruned: 1}) || s.HeldReason != "" {
		t.Errorf("small prune: %+v, held %q", s.Counts, s.HeldReason)
	}
	rep = compute(t, files(three), files(""), "Manifold-Allow-Prune: *@*")
	if s := subscription(t, rep, "a", "one"); s.Counts != (Counts{Held: 3}) || !strings.Contains(s.HeldReason, "the render is empty") {
		t.Errorf("empty render: %+v, held %q", s.Counts, s.HeldReason)
	}
}

// TestHeadProblems: a Localization that does not apply fails its cluster's
// set, which is reported and not synced; the other cluster is previewed.
func TestHeadProblems(t *testing.T) {
	base := map[string]string{"clusters.yaml": twoClusters, "one.yaml": sub("one", "one"), "one/app.yaml": configMap("x")}
	head := map[string]string{"clusters.yaml": twoClusters, "one.yaml": sub("one", "one"), "one/app.yaml": configMap("x") + configMap("y"),
		"loc.yaml": `apiVersion: apps.clusternet.io/v1alpha1
kind: Localization
metadata: {name: broken, namespace: a}
spec:
  feed: {apiVersion: v1, kind: ConfigMap, name: x, namespace: web}
  overrides: [{name: bad, type: JSONPatch, value: '[{"op":"replace","path":"/data/missing","value":"v"}]'}]
`}
	rep := compute(t, base, head, "")
	if len(rep.Head.Problems) == 0 || !strings.Contains(rep.Head.Problems[0], `override "bad"`) {
		t.Fatalf("problems = %q", rep.Head.Problems)
	}
	if s := subscription(t, rep, "a", "one"); s.Error == "" || len(s.Objects) != 0 {
		t.Errorf("a: %+v", s)
	}
	if s := subscription(t, rep, "b", "one"); s.Counts != (Counts{Created: 1, Unchanged: 1}) {
		t.Errorf("b: %+v", s.Counts)
	}
	var text strings.Builder
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "head problem: loc.yaml:1:") || !strings.Contains(text.String(), "a one: not synced") {
		t.Errorf("text:\n%s", text.String())
	}
}

// TestClusterNoLongerDeclared: a cluster removed from the repository is
// reported once; nothing is pruned there.
func TestClusterNoLongerDeclared(t *testing.T) {
	base := map[string]string{"clusters.yaml": twoClusters, "one.yaml": sub("one", "one"), "one/app.yaml": configMap("x")}
	head := map[string]string{"clusters.yaml": strings.SplitN(twoClusters, "---\n", 2)[0], "one.yaml": sub("one", "one"), "one/app.yaml": configMap("x")}
	rep := compute(t, base, head, "")
	if len(rep.Clusters) != 2 || rep.Clusters[1].Name != "b" || !strings.Contains(rep.Clusters[1].Note, "no longer declared") || len(rep.Clusters[1].Subscriptions) != 0 {
		t.Errorf("clusters = %+v", rep.Clusters)
	}
	if rep.Clusters[0].Changed {
		t.Error("a changes")
	}
}

// TestDividedReplicasSource: replicas that change because the division
// changed are set by manifold's render rules, not by the file.
func TestDividedReplicasSource(t *testing.T) {
	files := func(weightA string) map[string]string {
		return map[string]string{
			"clusters.yaml": twoClusters,
			"one.yaml": `apiVersion: manifold.dev/v1alpha1
kind: Subscription
metadata: {name: one}
spec:
  schedulingStrategy: Dividing
  subscribers:
    - {clusterAffinity: {matchLabels: {manifold.dev/cluster: a}}, weight: ` + weightA + `}
    - {clusterAffinity: {matchLabels: {manifold.dev/cluster: b}}, weight: 1}
  source: {path: one}
`,
			"one/app.yaml": `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: web}
spec:
  replicas: 4
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: "web:1"}]}
`,
		}
	}
	rep := compute(t, files("1"), files("3"), "")
	for _, cluster := range []string{"a", "b"} {
		s := subscription(t, rep, cluster, "one")
		if len(s.Objects) != 1 || len(s.Objects[0].Fields) != 1 {
			t.Fatalf("%s: %+v", cluster, s.Objects)
		}
		f := s.Objects[0].Fields[0]
		if f.Path != "spec.replicas" || f.Source == nil || f.Source.Kind != SourceManifold {
			t.Errorf("%s: field %+v source %+v", cluster, f, f.Source)
		}
	}
}
