package reconciler

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/manifold-gitops/manifold/render"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// testSub owns the test objects.
const testSub = "qcbm-subscription"

var apiVersions = map[string]string{
	"Namespace": "v1", "ConfigMap": "v1", "Service": "v1", "Secret": "v1",
	"PersistentVolume": "v1", "PersistentVolumeClaim": "v1",
	"Deployment":               "apps/v1",
	"ClusterRole":              "rbac.authorization.k8s.io/v1",
	"CustomResourceDefinition": "apiextensions.k8s.io/v1",
}

// obj renders a labelled test object; ref is "Kind/name" or "Kind/ns/name".
func obj(ref string, fields map[string]any) *render.Object {
	parts := strings.Split(ref, "/")
	kind, ns, name := parts[0], "", parts[len(parts)-1]
	if len(parts) == 3 {
		ns = parts[1]
	}
	av := apiVersions[kind]
	meta := map[string]any{"name": name, "labels": map[string]any{render.LabelSubscription: testSub}}
	if ns != "" {
		meta["namespace"] = ns
	}
	m := map[string]any{"apiVersion": av, "kind": kind, "metadata": meta}
	for k, v := range fields {
		m[k] = v
	}
	data, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	group, _, found := strings.Cut(av, "/")
	if !found {
		group = ""
	}
	return &render.Object{
		Key:        render.ObjectKey{Group: group, Kind: kind, Namespace: ns, Name: name},
		APIVersion: av,
		JSON:       data,
		Hash:       "h-" + string(data),
	}
}

// liveOf returns what the server holds after applying o, changed by mutate.
func liveOf(o *render.Object, mutate ...func(u *unstructured.Unstructured)) *unstructured.Unstructured {
	u, err := o.Unstructured()
	if err != nil {
		panic(err)
	}
	u.SetUID("0b5f6c1e")
	u.SetResourceVersion("42")
	for _, m := range mutate {
		m(u)
	}
	return u
}

func withLabel(k, v string) func(*unstructured.Unstructured) {
	return func(u *unstructured.Unstructured) {
		l := u.GetLabels()
		if v == "" {
			delete(l, k)
		} else {
			l[k] = v
		}
		u.SetLabels(l)
	}
}

func withAnnotation(k, v string) func(*unstructured.Unstructured) {
	return func(u *unstructured.Unstructured) { u.SetAnnotations(map[string]string{k: v}) }
}

// podSpec is a deployment's pod template spec as a manifest writes it.
func podSpec(image string, extra map[string]any) map[string]any {
	c := map[string]any{"name": "web", "image": image,
		"resources": map[string]any{"requests": map[string]any{"cpu": "0.5", "memory": "1Gi"}}}
	for k, v := range extra {
		c[k] = v
	}
	return map[string]any{"containers": []any{c}}
}

func deploymentSpec(replicas any, image string, extra map[string]any) map[string]any {
	s := map[string]any{"template": map[string]any{"spec": podSpec(image, extra)}}
	if replicas != nil {
		s["replicas"] = replicas
	}
	return s
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestLiveMatches(t *testing.T) {
	// live is what the server returns: defaults added, numbers int64,
	// quantities canonical, status and server metadata present.
	live := func(ref string, fields map[string]any, mutate ...func(*unstructured.Unstructured)) *unstructured.Unstructured {
		u := liveOf(obj(ref, fields), mutate...)
		u.SetGeneration(7)
		u.SetManagedFields(nil)
		u.Object["status"] = map[string]any{"replicas": int64(9)}
		return u
	}
	defaulted := map[string]any{"imagePullPolicy": "IfNotPresent", "terminationMessagePath": "/dev/termination-log"}
	canonical := map[string]any{"resources": map[string]any{"requests": map[string]any{"cpu": "500m", "memory": "1024Mi"}}}
	for k, v := range defaulted {
		canonical[k] = v
	}
	tests := []struct {
		name     string
		ref      string
		desired  map[string]any
		live     *unstructured.Unstructured
		wantOK   bool
		wantPath string
	}{{
		name:    "identical",
		ref:     "Deployment/qcbm/web",
		desired: map[string]any{"spec": deploymentSpec(2, "qcbm/web:1", nil)},
		live:    live("Deployment/qcbm/web", map[string]any{"spec": deploymentSpec(2, "qcbm/web:1", nil)}),
		wantOK:  true,
	}, {
		name:    "defaults, status, server metadata and other managers' annotations are ignored",
		ref:     "Deployment/qcbm/web",
		desired: map[string]any{"spec": deploymentSpec(2, "qcbm/web:1", nil), "status": map[string]any{"replicas": 1}},
		live: live("Deployment/qcbm/web", map[string]any{"spec": deploymentSpec(int64(2), "qcbm/web:1", canonical)},
			withAnnotation("deployment.kubernetes.io/revision", "3")),
		wantOK: true,
	}, {
		name:    "replicas left to an autoscaler are ignored",
		ref:     "Deployment/qcbm/web",
		desired: map[string]any{"spec": deploymentSpec(nil, "qcbm/web:1", nil)},
		live:    live("Deployment/qcbm/web", map[string]any{"spec": deploymentSpec(int64(5), "qcbm/web:1", nil)}),
		wantOK:  true,
	}, {
		name:     "replicas differ",
		ref:      "Deployment/qcbm/web",
		desired:  map[string]any{"spec": deploymentSpec(2, "qcbm/web:1", nil)},
		live:     live("Deployment/qcbm/web", map[string]any{"spec": deploymentSpec(int64(3), "qcbm/web:1", nil)}),
		wantPath: "spec.replicas",
	}, {
		name:     "image differs inside a list",
		ref:      "Deployment/qcbm/web",
		desired:  map[string]any{"spec": deploymentSpec(2, "qcbm/web:2", nil)},
		live:     live("Deployment/qcbm/web", map[string]any{"spec": deploymentSpec(int64(2), "qcbm/web:1", defaulted)}),
		wantPath: "spec.template.spec.containers[0].image",
	}, {
		name:    "list lengths differ",
		ref:     "Service/qcbm/web",
		desired: map[string]any{"spec": map[string]any{"ports": []any{map[string]any{"port": 80}}}},
		live: live("Service/qcbm/web", map[string]any{"spec": map[string]any{"ports": []any{
			map[string]any{"port": int64(80)}, map[string]any{"port": int64(443)}}}}),
		wantPath: "spec.ports",
	}, {
		name:     "field missing live",
		ref:      "ConfigMap/qcbm/a",
		desired:  map[string]any{"data": map[string]any{"k": "v", "app.properties": "x=1"}},
		live:     live("ConfigMap/qcbm/a", map[string]any{"data": map[string]any{"k": "v"}}),
		wantPath: `data["app.properties"]`,
	}, {
		name:     "quantities that differ",
		ref:      "Deployment/qcbm/web",
		desired:  map[string]any{"spec": deploymentSpec(2, "qcbm/web:1", map[string]any{"resources": map[string]any{"limits": map[string]any{"cpu": "1"}}})},
		live:     live("Deployment/qcbm/web", map[string]any{"spec": deploymentSpec(int64(2), "qcbm/web:1", map[string]any{"resources": map[string]any{"limits": map[string]any{"cpu": "2"}}})}),
		wantPath: "spec.template.spec.containers[0].resources.limits.cpu",
	}, {
		name:    "a number and the quantity string the server stores",
		ref:     "Deployment/qcbm/web",
		desired: map[string]any{"spec": deploymentSpec(2, "qcbm/web:1", map[string]any{"resources": map[string]any{"limits": map[string]any{"memory": 512}}})},
		live:    live("Deployment/qcbm/web", map[string]any{"spec": deploymentSpec(int64(2), "qcbm/web:1", map[string]any{"resources": map[string]any{"limits": map[string]any{"memory": "512"}}})}),
		wantOK:  true,
	}, {
		name:     "strings that are not quantities compare as text",
		ref:      "ConfigMap/qcbm/a",
		desired:  map[string]any{"data": map[string]any{"mode": "1e3"}},
		live:     live("ConfigMap/qcbm/a", map[string]any{"data": map[string]any{"mode": "fast"}}),
		wantPath: "data.mode",
	}, {
		name:     "type mismatch",
		ref:      "ConfigMap/qcbm/a",
		desired:  map[string]any{"data": map[string]any{"k": "v"}},
		live:     live("ConfigMap/qcbm/a", map[string]any{"data": "v"}),
		wantPath: "data",
	}, {
		name:    "nulls and zero values the server drops match",
		ref:     "Deployment/qcbm/web",
		desired: map[string]any{"metadata": map[string]any{"name": "web", "namespace": "qcbm", "annotations": map[string]any{}, "creationTimestamp": nil, "labels": map[string]any{"manifold.dev/subscription": testSub}}, "spec": map[string]any{"paused": false, "strategy": nil, "minReadySeconds": 0}},
		live:    live("Deployment/qcbm/web", map[string]any{"spec": map[string]any{"strategy": map[string]any{"type": "RollingUpdate"}}}),
		wantOK:  true,
	}, {
		name:     "a label changed live names the label",
		ref:      "Deployment/qcbm/web",
		desired:  map[string]any{"spec": deploymentSpec(2, "qcbm/web:1", nil)},
		live:     live("Deployment/qcbm/web", map[string]any{"spec": deploymentSpec(int64(2), "qcbm/web:1", nil)}, withLabel("manifold.dev/subscription", "other")),
		wantPath: `metadata.labels["manifold.dev/subscription"]`,
	}, {
		name:    "Secret stringData matches the base64 data the server stores",
		ref:     "Secret/qcbm/db",
		desired: map[string]any{"stringData": map[string]any{"password": "hunter2"}, "data": map[string]any{"password": b64("old"), "user": b64("qcbm")}},
		live:    live("Secret/qcbm/db", map[string]any{"data": map[string]any{"password": b64("hunter2"), "user": b64("qcbm")}}),
		wantOK:  true,
	}, {
		name:     "Secret stringData differs: the path names the key, never the value",
		ref:      "Secret/qcbm/db",
		desired:  map[string]any{"stringData": map[string]any{"password": "hunter2"}},
		live:     live("Secret/qcbm/db", map[string]any{"data": map[string]any{"password": b64("hunter3")}}),
		wantPath: "stringData.password",
	}, {
		name:     "Secret data differs",
		ref:      "Secret/qcbm/db",
		desired:  map[string]any{"data": map[string]any{"token": b64("hunter2")}},
		live:     live("Secret/qcbm/db", map[string]any{"data": map[string]any{"token": b64("hunter3")}}),
		wantPath: "data.token",
	}, {
		name:     "object missing",
		ref:      "ConfigMap/qcbm/a",
		wantPath: "(object missing)",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, path := liveMatches(obj(tt.ref, tt.desired), tt.live)
			if ok != tt.wantOK {
				t.Errorf("liveMatches = %v at %q, want %v", ok, path, tt.wantOK)
			}
			if ok {
				return
			}
			if diff := cmp.Diff(tt.wantPath, path); diff != "" {
				t.Errorf("path (-want +got):\n%s", diff)
			}
			for _, secret := range []string{"hunter", b64("hunter2"), b64("hunter3")} {
				if strings.Contains(path, secret) {
					t.Errorf("path %q contains a value", path)
				}
			}
		})
	}
}

func TestScalarsEqual(t *testing.T) {
	tests := []struct {
		want, got any
		equal     bool
	}{
		{float64(2), int64(2), true},
		{float64(2.5), int64(2), false},
		{int64(1 << 40), float64(1 << 40), true},
		{"0.5", "500m", true},
		{"1Gi", "1024Mi", true},
		{"1G", "1Gi", false},
		{"100m", "0.1", true},
		{float64(512), "512", true},
		{"8080", float64(8080), true},
		{"http", float64(80), false},
		{true, "true", false},
		{true, true, true},
		{"a", "b", false},
	}
	for _, tt := range tests {
		if got := scalarsEqual(tt.want, tt.got); got != tt.equal {
			t.Errorf("scalarsEqual(%#v, %#v) = %v, want %v", tt.want, tt.got, got, tt.equal)
		}
	}
}
