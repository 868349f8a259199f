package render

import (
	"context"
	"strings"
	"testing"

	"github.com/manifold-gitops/manifold/gitsource"
)

func TestCacheUnrelatedCommitRendersNothing(t *testing.T) {
	files := map[string]string{
		"clusters.yaml":            clustersYAML,
		"sub.yaml":                 subscriptionYAML("web", "app", "prod"),
		"app/kustomization.yaml":   "resources: [all.yaml]\n",
		"app/all.yaml":             appYAML,
		"README.md":                "first",
		"loc.yaml":                 colorOverride("Localization", "l", "a", 500, "red"),
		"docs/notes/kustomize.txt": "x",
	}
	r := NewRenderer(Limits{})
	render := func() *Result {
		t.Helper()
		res := r.Render(context.Background(), gitsource.FromFiles("", files))
		noProblems(t, res)
		return res
	}
	first := render()
	if s := r.Stats(); s.Builds != 1 || s.Sets != 2 {
		t.Fatalf("first render: %+v, want 1 build and 2 sets", s)
	}

	files["README.md"] = "an unrelated change"
	second := render()
	if s := r.Stats(); s.Builds != 1 || s.Sets != 2 || s.PolicyLoads != 1 {
		t.Errorf("unrelated commit re-rendered: %+v", s)
	}
	for i := range first.Sets {
		if first.Sets[i].Hash != second.Sets[i].Hash {
			t.Errorf("set %s changed hash", first.Sets[i].Cluster)
		}
	}

	files["loc.yaml"] = colorOverride("Localization", "l", "a", 500, "green")
	third := render()
	if s := r.Stats(); s.Builds != 1 || s.Sets != 3 {
		t.Errorf("a Localization change must re-apply overrides for its cluster only, reusing the build: %+v", s)
	}
	if set(t, third, "a", "web").Hash == set(t, first, "a", "web").Hash {
		t.Error("cluster a's set did not change")
	}
	if set(t, third, "b", "web").Hash != set(t, first, "b", "web").Hash {
		t.Error("cluster b's set changed")
	}

	files["app/all.yaml"] = appYAML + "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra, namespace: web}\n"
	render()
	if s := r.Stats(); s.Builds != 2 || s.Sets != 5 {
		t.Errorf("a source change must rebuild once and recompute both sets: %+v", s)
	}
}

func TestRenderIsDeterministic(t *testing.T) {
	files := map[string]string{
		"clusters.yaml": clustersYAML,
		"sub.yaml":      subscriptionYAML("web", "app", "prod"),
		"app/all.yaml":  appYAML,
		"g.yaml":        colorOverride("Globalization", "g", "", 500, "gold"),
	}
	a := renderFiles(t, files)
	b := renderFiles(t, files)
	for i := range a.Sets {
		if a.Sets[i].Hash != b.Sets[i].Hash || a.Sets[i].Hash == "" {
			t.Errorf("set %d hash %q vs %q", i, a.Sets[i].Hash, b.Sets[i].Hash)
		}
	}
}

func TestStandbyTargets(t *testing.T) {
	files := map[string]string{
		"clusters.yaml": clustersYAML,
		"sub.yaml":      subscriptionYAML("web", "app", "prod"),
		"app/all.yaml":  appYAML,
		"loc.yaml":      colorOverride("Localization", "l", "c", 500, "standby-green"),
	}
	r := NewRenderer(Limits{})
	res := r.RenderWith(context.Background(), gitsource.FromFiles("", files), Options{Standby: map[string]map[string]string{"web": {"c": "a"}}})
	if len(res.Problems) > 0 {
		t.Fatalf("problems: %v", problemText(res))
	}
	s := set(t, res, "c", "web")
	if s.StandbyFor != "a" {
		t.Errorf("StandbyFor = %q, want a", s.StandbyFor)
	}
	if cm := object(t, s, "ConfigMap/web/settings"); !strings.Contains(cm, "color: standby-green") {
		t.Errorf("the standby's own Localization was not applied:\n%s", cm)
	}
	if len(res.Sets) != 3 {
		t.Errorf("%d sets, want a, b and the standby c", len(res.Sets))
	}
	plain := r.Render(context.Background(), gitsource.FromFiles("", files))
	if len(plain.Sets) != 2 {
		t.Errorf("without standby: %d sets, want 2", len(plain.Sets))
	}
}
