package render

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/manifold-gitops/manifold/gitsource"
)

// TestExplainNamesTheLastOverride: a Globalization and a Localization set
// the same field; the Localization applies last, so it is the source on the
// cluster it targets, the Globalization elsewhere, and the file for fields
// no override touches.
func TestExplainNamesTheLastOverride(t *testing.T) {
	snap := gitsource.FromFiles("", map[string]string{
		"clusters.yaml":      clustersYAML,
		"sub.yaml":           subscriptionYAML("web", "app", "prod"),
		"app/app.yaml":       appYAML,
		"policy/global.yaml": colorOverride("Globalization", "g", "", 900, "green"),
		"policy/local.yaml":  colorOverride("Localization", "l", "a", 100, "red"),
	})
	r := NewRenderer(Limits{})
	res := r.Render(context.Background(), snap)
	noProblems(t, res)
	key := ObjectKey{Kind: "ConfigMap", Namespace: "web", Name: "settings"}
	for cluster, want := range map[string]string{"a": "Localization/a/l", "b": "Globalization/g"} {
		traces, err := r.Explain(context.Background(), snap, set(t, res, cluster, "web"))
		if err != nil {
			t.Fatal(err)
		}
		tr := traces[key]
		if tr == nil {
			t.Fatalf("%s: no trace for %s", cluster, key)
		}
		if tr.Origin.String() != "app/app.yaml:1" {
			t.Errorf("%s: origin = %s, want app/app.yaml:1", cluster, tr.Origin)
		}
		step := tr.Source("data.color")
		if step == nil || step.Policy != want || step.Override != "color" {
			t.Errorf("%s: source of data.color = %+v, want %s override color", cluster, step, want)
		}
		if step := tr.Source("data.size"); step != nil {
			t.Errorf("%s: data.size comes from the file, got %+v", cluster, step)
		}
		if web := traces[ObjectKey{Group: "apps", Kind: "Deployment", Namespace: "web", Name: "web"}]; web == nil || len(web.Steps) != 0 {
			t.Errorf("%s: the Deployment has no overrides, trace %+v", cluster, web)
		}
	}
}

// TestExplainKustomizeOrigin: objects of a kustomize build are traced to
// the resource file that declares them.
func TestExplainKustomizeOrigin(t *testing.T) {
	snap := gitsource.FromFiles("", map[string]string{
		"clusters.yaml":          clustersYAML,
		"sub.yaml":               subscriptionYAML("web", "app", "prod"),
		"app/kustomization.yaml": "resources: [app.yaml]\n",
		"app/app.yaml":           appYAML,
	})
	r := NewRenderer(Limits{})
	res := r.Render(context.Background(), snap)
	noProblems(t, res)
	traces, err := r.Explain(context.Background(), snap, set(t, res, "a", "web"))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for k, tr := range traces {
		got[k.String()] = tr.Origin.String()
	}
	want := map[string]string{"ConfigMap/web/settings": "app/app.yaml:1", "Deployment/web/web": "app/app.yaml:6"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("origins (-want +got):\n%s", d)
	}
	if s := r.Stats(); s.Builds != 1 {
		t.Errorf("Explain rebuilt the folder: %d builds", s.Builds)
	}
}

func TestChangedFields(t *testing.T) {
	got, err := ChangedFields(
		[]byte(`{"a":{"b":1,"gone":true},"list":[1,2],"grow":[1],"meta":{"annotations":{"x.io/k":"v"}}}`),
		[]byte(`{"a":{"b":2,"new":{"deep":1}},"list":[1,3],"grow":[1,2],"meta":{"annotations":{"x.io/k":"w"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	want := []FieldChange{
		{"a.b", "changed"}, {"a.gone", "removed"}, {"a.new", "added"}, {"grow", "changed"},
		{"list[1]", "changed"}, {`meta.annotations["x.io/k"]`, "changed"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("ChangedFields (-want +got):\n%s", d)
	}
	tr := &Trace{Steps: []TraceStep{{Policy: "p", Changes: []FieldChange{{Path: "a.new", Change: "added"}}}}}
	for path, want := range map[string]bool{"a.new": true, "a.new.deep": true, "a": true, "a.newer": false, "a.b": false} {
		if got := tr.Source(path) != nil; got != want {
			t.Errorf("Source(%q) found = %v, want %v", path, got, want)
		}
	}
}
