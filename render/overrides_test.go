package render

import (
	"fmt"
	"strings"
	"testing"
)

// colorOverride is a Localization or Globalization that sets the
// ConfigMap's color to value.
func colorOverride(kind, name, target string, priority int, value string) string {
	meta := fmt.Sprintf("metadata: {name: %s}", name)
	if kind == "Localization" {
		meta = fmt.Sprintf("metadata: {name: %s, namespace: %s}", name, target)
	}
	affinity := ""
	if kind == "Globalization" && target != "" {
		affinity = fmt.Sprintf("  clusterAffinity: {matchLabels: {tier: %s}}\n", target)
	}
	return fmt.Sprintf(`apiVersion: apps.clusternet.io/v1alpha1
kind: %s
%s
spec:
  priority: %d
%s  feed: {apiVersion: v1, kind: ConfigMap, name: settings, namespace: web}
  overrides:
    - {name: color, type: MergePatch, value: '{"data":{"color":"%s"}}'}
`, kind, meta, priority, affinity, value)
}

func TestOverrideOrder(t *testing.T) {
	for _, tc := range []struct {
		name      string
		overrides []string
		want      map[string]string // cluster → color
	}{
		{
			name: "no overrides",
			want: map[string]string{"a": "blue", "b": "blue"},
		},
		{
			name:      "Localization wins over Globalization of higher priority",
			overrides: []string{colorOverride("Globalization", "g", "", 900, "green"), colorOverride("Localization", "l", "a", 100, "red")},
			want:      map[string]string{"a": "red", "b": "green"},
		},
		{
			name:      "higher priority Globalization wins",
			overrides: []string{colorOverride("Globalization", "g1", "", 600, "green"), colorOverride("Globalization", "g2", "", 100, "yellow")},
			want:      map[string]string{"a": "green", "b": "green"},
		},
		{
			name:      "equal priority: later name wins",
			overrides: []string{colorOverride("Localization", "zeta", "a", 500, "z"), colorOverride("Localization", "alpha", "a", 500, "a")},
			want:      map[string]string{"a": "z", "b": "blue"},
		},
		{
			name:      "Localization by cluster alias",
			overrides: []string{colorOverride("Localization", "l", "alias-b", 500, "purple")},
			want:      map[string]string{"a": "blue", "b": "purple"},
		},
		{
			name:      "Globalization by cluster affinity",
			overrides: []string{colorOverride("Globalization", "g", "prod", 500, "black")},
			want:      map[string]string{"a": "black", "b": "black"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string]string{
				"clusters.yaml": clustersYAML,
				"sub.yaml":      subscriptionYAML("web", "app", "prod"),
				"app/all.yaml":  appYAML,
			}
			for i, o := range tc.overrides {
				files[fmt.Sprintf("overrides/%d.yaml", i)] = o
			}
			res := renderFiles(t, files)
			noProblems(t, res)
			for cluster, color := range tc.want {
				cm := object(t, set(t, res, cluster, "web"), "ConfigMap/web/settings")
				if !strings.Contains(cm, "color: "+color+"\n") {
					t.Errorf("cluster %s: want color %s, got\n%s", cluster, color, cm)
				}
			}
		})
	}
}

func TestOverrideTypes(t *testing.T) {
	files := map[string]string{
		"clusters.yaml": clustersYAML,
		"sub.yaml":      subscriptionYAML("web", "app", "prod"),
		"app/all.yaml": appYAML + `---
apiVersion: v1
kind: ConfigMap
metadata: {name: files, namespace: web}
data:
  app.json: '{"replicas":1,"mode":"a"}'
  app.yaml: |
    mode: a
    nested: {x: 1}
`,
		"loc.yaml": `apiVersion: manifold.dev/v1alpha1
kind: Localization
metadata: {name: all-types, namespace: a}
spec:
  feed: {apiVersion: v1, kind: ConfigMap, name: files, namespace: web}
  overrides:
    - name: json-patch-yaml-value
      type: JSONPatch
      value: |
        - {op: add, path: /data/extra, value: "yes"}
    - name: merge
      type: MergePatch
      value: '{"metadata":{"annotations":{"team":"blue"}}}'
    - name: field-json
      type: FieldJSONPatch
      fieldPath: /data/app.json
      fieldFormat: JSON
      value: '[{"op":"replace","path":"/mode","value":"b"}]'
    - name: field-merge
      type: FieldMergePatch
      fieldPath: /data/app.yaml
      fieldFormat: YAML
      value: '{"nested":{"y":2}}'
---
apiVersion: manifold.dev/v1alpha1
kind: Localization
metadata: {name: image, namespace: a}
spec:
  feed: {apiVersion: apps/v1, kind: Deployment, name: web, namespace: web}
  overrides:
    - name: canary-image
      type: JSONPatch
      value: '[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"web:2"}]'
`,
	}
	res := renderFiles(t, files)
	noProblems(t, res)
	got := object(t, set(t, res, "a", "web"), "ConfigMap/web/files")
	for _, want := range []string{"extra: \"yes\"", "team: blue", `app.json: '{"mode":"b","replicas":1}'`, `"y": 2`, "x: 1"} {
		if !strings.Contains(got, want) {
			t.Errorf("patched ConfigMap lacks %q:\n%s", want, got)
		}
	}
	if d := object(t, set(t, res, "a", "web"), "Deployment/web/web"); !strings.Contains(d, "image: web:2") {
		t.Errorf("cluster a image not overridden:\n%s", d)
	}
	if d := object(t, set(t, res, "b", "web"), "Deployment/web/web"); !strings.Contains(d, "image: web:1") {
		t.Errorf("cluster b image changed:\n%s", d)
	}
}
