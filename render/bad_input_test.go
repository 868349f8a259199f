package render

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/manifold-gitops/manifold/gitsource"
)

// TestBadInput checks that each kind of bad input gets a clear error naming
// its subjects, and that what it does not concern still renders.
func TestBadInput(t *testing.T) {
	for _, tc := range []struct {
		name string
		// files are added to a valid repository: clusters a, b, c and
		// subscription web (folder app) for the prod clusters a and b.
		files map[string]string
		// want must all appear in the problems.
		want []string
		// fatal means the policy objects are invalid: nothing renders.
		fatal bool
		// failed lists the (cluster/subscription) sets that must fail; every
		// other set must render.
		failed []string
		limits Limits
	}{
		{
			name:  "unknown field in a Subscription",
			files: map[string]string{"bad.yaml": "apiVersion: apps.clusternet.io/v1alpha1\nkind: Subscription\nmetadata: {name: other}\nspec:\n  subscribers: [{clusterAffinity: {}}]\n  feedz: []\n"},
			want:  []string{"bad.yaml:6: Subscription/other: field feedz not found in type api.SubscriptionSpec"},
			fatal: true,
		},
		{
			name:  "invalid YAML",
			files: map[string]string{"notes/broken.yaml": "a: b\n  c: d\n"},
			want:  []string{"notes/broken.yaml:2: mapping values are not allowed in this context"},
			fatal: true,
		},
		{
			name: "JSONPatch on a missing path",
			files: map[string]string{"loc.yaml": `apiVersion: apps.clusternet.io/v1alpha1
kind: Localization
metadata: {name: gw, namespace: b}
spec:
  feed: {apiVersion: v1, kind: ConfigMap, name: settings, namespace: web}
  overrides:
    - {name: svc-override, type: JSONPatch, value: '[{"op":"replace","path":"/metadata/annotations/nope","value":"x"}]'}
`},
			want:   []string{`loc.yaml:1: Localization/b/gw: override "svc-override" on ConfigMap/web/settings: [cluster b, subscription web] override "svc-override" (JSONPatch): operation 0 (replace /metadata/annotations/nope): path not found`},
			failed: []string{"b/web"},
		},
		{
			name:   "feed that matches nothing",
			files:  map[string]string{"sub.yaml": subscriptionYAML("web", "app", "prod") + "  feeds: [{apiVersion: v1, kind: Secret, name: missing}]\n"},
			want:   []string{"sub.yaml:1: Subscription/web: [subscription web] spec.feeds[0] (v1 Secret missing) matches no resource of the source"},
			failed: []string{"a/web", "b/web"},
		},
		{
			name:  "Localization for an unknown cluster",
			files: map[string]string{"loc.yaml": colorOverride("Localization", "l", "SPG-09", 500, "red")},
			want:  []string{`loc.yaml:1: Localization/SPG-09/l: metadata.namespace "SPG-09" names no cluster`},
		},
		{
			name:  "Localization whose feed is not delivered to its cluster",
			files: map[string]string{"loc.yaml": colorOverride("Localization", "l", "c", 500, "red")},
			want:  []string{"loc.yaml:1: Localization/c/l: [cluster c] spec.feed (v1 ConfigMap web/settings) is not delivered to cluster c by any subscription"},
		},
		{
			name:   "one object delivered to one cluster by two subscriptions",
			files:  map[string]string{"sub2.yaml": subscriptionYAML("web-copy", "app", "prod")},
			want:   []string{"app/all.yaml:1: ConfigMap/web/settings: [cluster a] delivered by two subscriptions, web and web-copy"},
			failed: []string{"a/web", "b/web", "a/web-copy", "b/web-copy"},
		},
		{
			name: "kustomization reaching outside the repository",
			files: map[string]string{
				"sub2.yaml":            subscriptionYAML("escape", "k", "dev"),
				"k/kustomization.yaml": "resources: [../../outside]\n",
			},
			want:   []string{`k/kustomization.yaml: resources "../../outside": reaches outside the repository`},
			failed: []string{"c/escape"},
		},
		{
			name: "remote base URL",
			files: map[string]string{
				"sub2.yaml":            subscriptionYAML("remote", "k", "dev"),
				"k/kustomization.yaml": "resources:\n  - https://github.com/example/repo//base?ref=v1\n",
			},
			want:   []string{`k/kustomization.yaml: resources "https://github.com/example/repo//base?ref=v1": remote resources are not allowed`},
			failed: []string{"c/remote"},
		},
		{
			name: "remote base without scheme",
			files: map[string]string{
				"sub2.yaml":            subscriptionYAML("remote", "k", "dev"),
				"k/kustomization.yaml": "resources:\n  - github.com/example/repo/base?ref=v1\n",
			},
			want:   []string{"remote resources are not allowed"},
			failed: []string{"c/remote"},
		},
		{
			name: "Helm override",
			files: map[string]string{"loc.yaml": `apiVersion: apps.clusternet.io/v1alpha1
kind: Localization
metadata: {name: chart, namespace: a}
spec:
  feed: {apiVersion: v1, kind: ConfigMap, name: settings, namespace: web}
  overrides:
    - {name: values, type: Helm, value: 'replicaCount: 2'}
`},
			want:   []string{`loc.yaml:1: Localization/a/chart: override "values" on ConfigMap/web/settings: [cluster a, subscription web] override "values" (Helm): override type Helm is not supported`},
			failed: []string{"a/web"},
		},
		{
			name:   "object count over the limit",
			limits: Limits{MaxObjects: 1},
			want:   []string{"app renders 2 objects, over the limit of 1"},
			failed: []string{"a/web", "b/web"},
		},
		{
			name:  "kustomize Helm chart",
			files: map[string]string{"sub2.yaml": subscriptionYAML("chart", "k", "dev"), "k/kustomization.yaml": "helmCharts: [{name: mysql}]\n"},
			want:  []string{"k/kustomization.yaml: helmCharts are not supported"}, failed: []string{"c/chart"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string]string{
				"clusters.yaml": clustersYAML,
				"sub.yaml":      subscriptionYAML("web", "app", "prod"),
				"app/all.yaml":  appYAML,
			}
			for k, v := range tc.files {
				files[k] = v
			}
			res := NewRenderer(tc.limits).Render(context.Background(), gitsource.FromFiles("", files))
			txt := problemText(res)
			for _, w := range tc.want {
				if !strings.Contains(txt, w) {
					t.Errorf("problems do not contain %q; got:\n%s", w, txt)
				}
			}
			if tc.fatal {
				if res.Err == nil || len(res.Sets) != 0 {
					t.Fatalf("want a fatal error and no sets, got err=%v and %d sets", res.Err, len(res.Sets))
				}
				return
			}
			if res.Err != nil {
				t.Fatalf("unexpected fatal error: %v", res.Err)
			}
			failed := map[string]bool{}
			for _, f := range tc.failed {
				failed[f] = true
			}
			for _, s := range res.Sets {
				id := s.Cluster + "/" + s.Subscription
				if failed[id] != (s.Err != nil) {
					t.Errorf("set %s: err = %v, want failed=%v", id, s.Err, failed[id])
				}
				if s.Err != nil && len(s.Objects) != 0 {
					t.Errorf("failed set %s still has objects", id)
				}
				delete(failed, id)
			}
			for id := range failed {
				t.Errorf("expected failed set %s is missing", id)
			}
		})
	}
}

// TestSymlinkLeavingTheRepository renders working trees where a manifest is
// a symlink to a file outside the repository. A YAML file that cannot be read
// may hold policy objects, so it stops the whole render; a kustomize resource
// of another name fails its subscription only. Either way the target's
// content appears nowhere.
func TestSymlinkLeavingTheRepository(t *testing.T) {
	const secret = "c3VwZXItc2VjcmV0LW91dHNpZGU="
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret.yaml"), []byte("apiVersion: v1\nkind: Secret\nmetadata: {name: leak, namespace: web}\ndata: {k: "+secret+"}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		links []string
		kust  string
		want  []string
		fatal bool
	}{
		{
			name:  "YAML files",
			links: []string{"k/secret.yaml", "plain/secret.yaml"},
			kust:  "resources: [secret.yaml]\n",
			want:  []string{"k/secret.yaml: symlink points outside the repository", "plain/secret.yaml: symlink points outside the repository"},
			fatal: true,
		},
		{
			name:  "kustomize resource",
			links: []string{"k/secret.json"},
			kust:  "resources: [secret.json]\n",
			want:  []string{"k/kustomization.yaml: resources: k/secret.json: symlink points outside the repository"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			for name, content := range map[string]string{
				"clusters.yaml":        clustersYAML,
				"sub.yaml":             subscriptionYAML("web", "app", "prod"),
				"app/all.yaml":         appYAML,
				"sub2.yaml":            subscriptionYAML("linked", "k", "dev"),
				"k/kustomization.yaml": tc.kust,
				"plain/readme.txt":     "x",
			} {
				p := filepath.Join(root, name)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			for _, link := range tc.links {
				if err := os.Symlink(filepath.Join(outside, "secret.yaml"), filepath.Join(root, link)); err != nil {
					t.Fatal(err)
				}
			}
			snap, err := gitsource.ReadWorktree(root, gitsource.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			res := NewRenderer(Limits{}).Render(context.Background(), snap)
			txt := problemText(res)
			for _, want := range tc.want {
				if !strings.Contains(txt, want) {
					t.Errorf("problems lack %q:\n%s", want, txt)
				}
			}
			var out bytes.Buffer
			if err := res.WriteYAML(&out, Filter{}); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(out.String()+txt, secret) || strings.Contains(out.String()+txt, "leak") {
				t.Fatal("content from outside the repository leaked into output or errors")
			}
			if tc.fatal {
				if res.Err == nil || len(res.Sets) != 0 {
					t.Fatalf("want nothing rendered, got err=%v, %d sets", res.Err, len(res.Sets))
				}
				return
			}
			if s := set(t, res, "c", "linked"); s.Err == nil {
				t.Error("subscription with the escaping symlink rendered")
			}
			if s := set(t, res, "a", "web"); s.Err != nil || len(s.Objects) != 2 {
				t.Errorf("unrelated subscription did not render: %v", s.Err)
			}
		})
	}
}

// TestFileCountLimit: a repository over the file limit is refused as a whole.
func TestFileCountLimit(t *testing.T) {
	root := t.TempDir()
	for _, name := range []string{"a.yaml", "b.yaml", "c.yaml"} {
		if err := os.WriteFile(filepath.Join(root, name), []byte("x: 1\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	_, err := gitsource.ReadWorktree(root, gitsource.Limits{MaxFiles: 2})
	if err == nil || !strings.Contains(err.Error(), "more than 2 files (the limit)") {
		t.Fatalf("err = %v, want the file limit error", err)
	}
}

// TestFailedOverrideIsNotReportedUndelivered: a Localization whose patch
// fails is reported once, for its patch, not also as undelivered.
func TestFailedOverrideIsNotReportedUndelivered(t *testing.T) {
	res := renderFiles(t, map[string]string{
		"clusters.yaml": clustersYAML,
		"sub.yaml":      subscriptionYAML("web", "app", "prod"),
		"app/all.yaml":  appYAML,
		"loc.yaml": `apiVersion: manifold.dev/v1alpha1
kind: Localization
metadata: {name: gw, namespace: a}
spec:
  feed: {apiVersion: v1, kind: ConfigMap, name: settings, namespace: web}
  overrides: [{name: bad, type: JSONPatch, value: '[{"op":"remove","path":"/nope"}]'}]
`,
	})
	txt := problemText(res)
	if !strings.Contains(txt, `override "bad"`) || strings.Contains(txt, "not delivered") || len(res.Problems) != 1 {
		t.Errorf("problems:\n%s", txt)
	}
}
