package render

import (
	"strings"
	"testing"
)

func TestFeeds(t *testing.T) {
	base := map[string]string{
		"clusters.yaml": clustersYAML,
		"app/all.yaml": appYAML + `---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: web, labels: {app: web, expose: "true"}}
spec: {ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: internal, namespace: web, labels: {app: web}}
spec: {ports: [{port: 81}]}
`,
	}
	for _, tc := range []struct {
		name  string
		feeds string
		want  []string
	}{
		{name: "no feeds: everything", feeds: "", want: []string{"ConfigMap/web/settings", "Service/web/internal", "Service/web/web", "Deployment/web/web"}},
		{name: "by name", feeds: "[{apiVersion: v1, kind: Service, name: internal, namespace: web}]", want: []string{"Service/web/internal"}},
		{name: "by name in any namespace", feeds: "[{apiVersion: apps/v1, kind: Deployment, name: web}]", want: []string{"Deployment/web/web"}},
		{name: "by selector", feeds: "[{apiVersion: v1, kind: Service, feedSelector: {matchLabels: {expose: 'true'}}}]", want: []string{"Service/web/web"}},
		{name: "apiVersion must match", feeds: "[{apiVersion: v1, kind: ConfigMap, name: settings}, {apiVersion: apps/v1, kind: Deployment, feedSelector: {matchExpressions: [{key: app, operator: Exists}]}}]",
			want: []string{"ConfigMap/web/settings", "Deployment/web/web"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string]string{}
			for k, v := range base {
				files[k] = v
			}
			sub := subscriptionYAML("web", "app", "dev")
			if tc.feeds != "" {
				sub += "  feeds: " + tc.feeds + "\n"
			}
			files["sub.yaml"] = sub
			res := renderFiles(t, files)
			noProblems(t, res)
			s := set(t, res, "c", "web")
			var got []string
			for _, o := range s.Objects {
				got = append(got, o.Key.String())
			}
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("objects = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestOverlays(t *testing.T) {
	files := map[string]string{
		"clusters.yaml":           clustersYAML,
		"sub.yaml":                subscriptionYAML("web", "base", "prod") + "  ",
		"base/kustomization.yaml": "resources: [all.yaml]\n",
		"base/all.yaml":           appYAML,
		"overlays/b/kustomization.yaml": `resources: [../../base]
patches:
  - target: {kind: Deployment, name: web}
    patch: '[{"op":"replace","path":"/spec/replicas","value":5}]'
`,
		"loc.yaml": colorOverride("Localization", "l", "b", 500, "red"),
	}
	files["sub.yaml"] = strings.Replace(subscriptionYAML("web", "base", "prod"), "source: {path: base}", "source: {path: base, overlays: overlays}", 1)
	res := renderFiles(t, files)
	noProblems(t, res)
	if d := object(t, set(t, res, "b", "web"), "Deployment/web/web"); !strings.Contains(d, "replicas: 5") {
		t.Errorf("overlay not used for b:\n%s", d)
	}
	if d := object(t, set(t, res, "a", "web"), "Deployment/web/web"); !strings.Contains(d, "replicas: 2") {
		t.Errorf("cluster a without overlay changed:\n%s", d)
	}
	if cm := object(t, set(t, res, "b", "web"), "ConfigMap/web/settings"); !strings.Contains(cm, "color: red") {
		t.Errorf("overrides must apply after the overlay:\n%s", cm)
	}
}
