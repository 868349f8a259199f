package override_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/manifold-gitops/manifold/render/override"
)

// The Localization value of the QCBM tutorial, with its YAML comment: it is
// not valid JSON, so it is read as YAML.
const tutorialValue = `[
    {
        "op": "replace",
        "path": "/metadata/annotations/service.kubernetes.io~1qcloud-loadbalancer-internal-subnetid",
        "value": "subnet-3ecd9tbo"  ## Enter the actual value
    }
]`

type applyCase struct {
	name   string
	obj    string
	o      override.Override
	limits override.Limits
	// mutate turns a copy of obj into the expected result.
	mutate  func(o map[string]any)
	wantErr string
}

var applyCases = []applyCase{
	// JSONPatch
	{
		name: "QCBM tutorial localization",
		obj:  service,
		o:    override.Override{Name: "svc-override", Type: override.JSONPatch, Value: tutorialValue},
		mutate: func(o map[string]any) {
			at(o, "metadata", "annotations")["service.kubernetes.io/qcloud-loadbalancer-internal-subnetid"] = "subnet-3ecd9tbo"
		},
	},
	{
		name: "JSON patch as JSON",
		obj:  service,
		o: override.Override{Name: "lb", Type: override.JSONPatch,
			Value: `[{"op":"replace","path":"/spec/type","value":"ClusterIP"},{"op":"remove","path":"/spec/externalTrafficPolicy"},{"op":"remove","path":"/spec/ports/0/nodePort"}]`},
		mutate: func(o map[string]any) {
			at(o, "spec")["type"] = "ClusterIP"
			delete(at(o, "spec"), "externalTrafficPolicy")
			delete(at(o, "spec", "ports", 0), "nodePort")
		},
	},
	{
		name: "JSON patch as YAML",
		obj:  deployment,
		o: override.Override{Name: "scale", Type: override.JSONPatch, Value: `
- op: test
  path: /spec/replicas
  value: 1
- op: replace
  path: /spec/replicas
  value: 3
- op: add
  path: /spec/template/spec/containers/0/env/-
  value: {name: REGION, value: ap-singapore}
- op: add
  path: /metadata/labels/tier
  value: backend
`},
		mutate: func(o map[string]any) {
			at(o, "spec")["replicas"] = 3.0
			c := at(o, "spec", "template", "spec", "containers", 0)
			c["env"] = append(c["env"].([]any), map[string]any{"name": "REGION", "value": "ap-singapore"})
			at(o, "metadata", "labels")["tier"] = "backend"
		},
	},
	{
		name: "JSON patch copy and move",
		obj:  deployment,
		o: override.Override{Name: "labels", Type: override.JSONPatch,
			Value: `[{"op":"copy","from":"/metadata/labels","path":"/metadata/annotations"},{"op":"move","from":"/metadata/annotations/app","path":"/metadata/annotations/owner"}]`},
		mutate: func(o map[string]any) {
			at(o, "metadata")["annotations"] = map[string]any{"owner": "user-service"}
		},
	},
	{
		name: "JSON patch replace on a missing path",
		obj:  deployment,
		o: override.Override{Name: "ann", Type: override.JSONPatch,
			Value: `[{"op":"replace","path":"/metadata/annotations/x","value":"y"}]`},
		wantErr: `override "ann" (JSONPatch): operation 0 (replace /metadata/annotations/x): path not found in the object`,
	},
	{
		name: "JSON patch add does not create parents",
		obj:  deployment,
		o: override.Override{Name: "ann", Type: override.JSONPatch,
			Value: `[{"op":"add","path":"/metadata/labels/a","value":"b"},{"op":"add","path":"/metadata/annotations/x","value":"y"}]`},
		wantErr: `override "ann" (JSONPatch): operation 1 (add /metadata/annotations/x): path not found in the object`,
	},
	{
		name: "JSON patch remove on a missing path",
		obj:  service,
		o: override.Override{Name: "rm", Type: override.JSONPatch,
			Value: `[{"op":"remove","path":"/spec/loadBalancerIP"}]`},
		wantErr: `override "rm" (JSONPatch): operation 0 (remove /spec/loadBalancerIP): path not found in the object`,
	},
	{
		name: "JSON patch failing test",
		obj:  deployment,
		o: override.Override{Name: "guard", Type: override.JSONPatch,
			Value: `[{"op":"test","path":"/spec/replicas","value":2},{"op":"replace","path":"/spec/replicas","value":3}]`},
		wantErr: `override "guard" (JSONPatch): operation 0 (test /spec/replicas): test failed: the value at the path is different`,
	},
	{
		name: "JSON patch move from a missing path",
		obj:  deployment,
		o: override.Override{Name: "mv", Type: override.JSONPatch,
			Value: `[{"op":"move","from":"/metadata/annotations","path":"/metadata/notes"}]`},
		wantErr: `override "mv" (JSONPatch): operation 0 (move from /metadata/annotations to /metadata/notes): from or path not found in the object`,
	},
	{
		name: "JSON patch array index out of range",
		obj:  deployment,
		o: override.Override{Name: "idx", Type: override.JSONPatch,
			Value: `[{"op":"add","path":"/spec/template/spec/containers/5","value":{}}]`},
		wantErr: `override "idx" (JSONPatch): operation 0 (add /spec/template/spec/containers/5): array index out of range in the object`,
	},
	{
		name: "JSON patch replacing the object with an array",
		obj:  service,
		o: override.Override{Name: "root", Type: override.JSONPatch,
			Value: `[{"op":"replace","path":"","value":[]}]`},
		wantErr: `override "root" (JSONPatch): the patched object is an array: an override must keep the object a JSON object`,
	},
	{
		name: "JSON patch negative index",
		obj:  service,
		o: override.Override{Name: "neg", Type: override.JSONPatch,
			Value: `[{"op":"remove","path":"/spec/ports/-1"}]`},
		wantErr: `override "neg" (JSONPatch): operation 0 (remove /spec/ports/-1): array index out of range in the object`,
	},
	{
		name: "JSON patch renaming the object",
		obj:  service,
		o: override.Override{Name: "rename", Type: override.JSONPatch,
			Value: `[{"op":"replace","path":"/metadata/name","value":"api-gateway-2"}]`},
		wantErr: `override "rename" (JSONPatch): the override changes metadata.name: an override must not change an object's apiVersion, kind, metadata.name or metadata.namespace`,
	},
	{
		name: "JSON patch changing the kind",
		obj:  deployment,
		o: override.Override{Name: "kind", Type: override.JSONPatch,
			Value: `[{"op":"replace","path":"/kind","value":"StatefulSet"}]`},
		wantErr: `override "kind" (JSONPatch): the override changes kind: an override must not change an object's apiVersion, kind, metadata.name or metadata.namespace`,
	},
	{
		name: "JSON patch adding a namespace to a cluster-scoped object",
		obj:  namespace,
		o: override.Override{Name: "ns", Type: override.JSONPatch,
			Value: `[{"op":"add","path":"/metadata/namespace","value":"default"}]`},
		wantErr: `override "ns" (JSONPatch): the override changes metadata.namespace: an override must not change an object's apiVersion, kind, metadata.name or metadata.namespace`,
	},
	{
		name: "JSON patch rewriting the name to the same value",
		obj:  service,
		o: override.Override{Name: "same", Type: override.JSONPatch,
			Value: `[{"op":"replace","path":"/metadata/name","value":"api-gateway"}]`},
		mutate: func(map[string]any) {},
	},

	// MergePatch
	{
		name: "merge patch as JSON creates parents",
		obj:  deployment,
		o: override.Override{Name: "ann", Type: override.MergePatch,
			Value: `{"metadata":{"annotations":{"manifold.dev/cluster":"SPG-02"}},"spec":{"replicas":2}}`},
		mutate: func(o map[string]any) {
			at(o, "metadata")["annotations"] = map[string]any{"manifold.dev/cluster": "SPG-02"}
			at(o, "spec")["replicas"] = 2.0
		},
	},
	{
		name: "merge patch as YAML removes with null and replaces arrays",
		obj:  service,
		o: override.Override{Name: "svc", Type: override.MergePatch, Value: `
metadata:
  annotations: null
spec:
  externalTrafficPolicy: null
  ports:
  - {name: http, port: 80}
  selector: {version: v2}
`},
		mutate: func(o map[string]any) {
			delete(at(o, "metadata"), "annotations")
			delete(at(o, "spec"), "externalTrafficPolicy")
			at(o, "spec")["ports"] = []any{map[string]any{"name": "http", "port": 80.0}}
			at(o, "spec", "selector")["version"] = "v2"
		},
	},
	{
		name:    "merge patch renaming the object",
		obj:     service,
		o:       override.Override{Name: "rename", Type: override.MergePatch, Value: `{"metadata":{"namespace":"qcbm-2"}}`},
		wantErr: `override "rename" (MergePatch): the override changes metadata.namespace: an override must not change an object's apiVersion, kind, metadata.name or metadata.namespace`,
	},
	{
		name:    "merge patch removing metadata",
		obj:     service,
		o:       override.Override{Name: "meta", Type: override.MergePatch, Value: `{"metadata":null}`},
		wantErr: `override "meta" (MergePatch): the override changes metadata.name: an override must not change an object's apiVersion, kind, metadata.name or metadata.namespace`,
	},
	{
		name:    "merge patch that is not an object",
		obj:     service,
		o:       override.Override{Name: "arr", Type: override.MergePatch, Value: `[{"op":"remove","path":"/spec"}]`},
		wantErr: `override "arr" (MergePatch): a merge patch must be an object, not an array`,
	},

	// FieldMergePatch and FieldJSONPatch
	{
		name: "field merge patch on YAML",
		obj:  configMap,
		o: override.Override{Name: "db", Type: override.FieldMergePatch, FieldPath: "/data/application.yaml", FieldFormat: override.YAML,
			Value: `mysql: {host: mysql.spg-02, user: qcbm}`},
		mutate: func(o map[string]any) {
			at(o, "data")["application.yaml"] = "mysql:\n  host: mysql.spg-02\n  port: 3306\n  user: qcbm\nserver:\n  port: 8080\n"
		},
	},
	{
		name: "field JSON patch on YAML",
		obj:  configMap,
		o: override.Override{Name: "port", Type: override.FieldJSONPatch, FieldPath: "/data/application.yaml", FieldFormat: override.YAML,
			Value: `[{"op":"replace","path":"/server/port","value":9090}]`},
		mutate: func(o map[string]any) {
			at(o, "data")["application.yaml"] = "mysql:\n  host: mysql.qcbm\n  port: 3306\nserver:\n  port: 9090\n"
		},
	},
	{
		name: "field merge patch on one-line JSON stays on one line",
		obj:  configMap,
		o: override.Override{Name: "region", Type: override.FieldMergePatch, FieldPath: "/data/config.json", FieldFormat: override.JSON,
			Value: `{"region": "ap-guangzhou", "debug": true}`},
		mutate: func(o map[string]any) {
			at(o, "data")["config.json"] = `{"debug":true,"region":"ap-guangzhou","replicas":2}`
		},
	},
	{
		name: "field JSON patch on indented JSON stays indented",
		obj:  configMap,
		o: override.Override{Name: "zones", Type: override.FieldJSONPatch, FieldPath: "/data/pretty.json", FieldFormat: override.JSON,
			Value: `[{"op":"add","path":"/zones/-","value":"ap-singapore-2"}]`},
		mutate: func(o map[string]any) {
			at(o, "data")["pretty.json"] = "{\n  \"region\": \"ap-singapore\",\n  \"zones\": [\n    \"ap-singapore-1\",\n    \"ap-singapore-2\"\n  ]\n}\n"
		},
	},
	{
		name: "field format defaults to JSON",
		obj:  configMap,
		o: override.Override{Name: "replicas", Type: override.FieldJSONPatch, FieldPath: "/data/config.json",
			Value: `[{"op":"replace","path":"/replicas","value":3}]`},
		mutate: func(o map[string]any) {
			at(o, "data")["config.json"] = `{"region":"ap-singapore","replicas":3}`
		},
	},
	{
		name: "field patch through an array index",
		obj:  deployment,
		o: override.Override{Name: "nacos", Type: override.FieldMergePatch, FieldPath: "/spec/template/spec/containers/0/env/1/value",
			Value: `{"nacos":{"host":"nacos.spg-02"}}`},
		mutate: func(o map[string]any) {
			at(o, "spec", "template", "spec", "containers", 0, "env", 1)["value"] = `{"nacos":{"host":"nacos.spg-02","port":8848}}`
		},
	},
	{
		name: "field missing",
		obj:  configMap,
		o: override.Override{Name: "f", Type: override.FieldMergePatch, FieldPath: "/data/missing.yaml", FieldFormat: override.YAML,
			Value: `{a: 1}`},
		wantErr: `override "f" (FieldMergePatch): fieldPath /data/missing.yaml: field not found in the object`,
	},
	{
		name: "field index missing",
		obj:  deployment,
		o: override.Override{Name: "f", Type: override.FieldMergePatch, FieldPath: "/spec/template/spec/containers/01/image",
			Value: `{a: 1}`},
		wantErr: `override "f" (FieldMergePatch): fieldPath /spec/template/spec/containers/01/image: field not found in the object`,
	},
	{
		name: "field is an object",
		obj:  configMap,
		o: override.Override{Name: "f", Type: override.FieldMergePatch, FieldPath: "/metadata", FieldFormat: override.YAML,
			Value: `{a: 1}`},
		wantErr: `override "f" (FieldMergePatch): fieldPath /metadata: field is an object, not a string`,
	},
	{
		name: "field is a number",
		obj:  deployment,
		o: override.Override{Name: "f", Type: override.FieldJSONPatch, FieldPath: "/spec/replicas",
			Value: `[{"op":"add","path":"/a","value":1}]`},
		wantErr: `override "f" (FieldJSONPatch): fieldPath /spec/replicas: field is a number, not a string`,
	},
	{
		name: "field is not JSON",
		obj:  configMap,
		o: override.Override{Name: "f", Type: override.FieldMergePatch, FieldPath: "/data/greeting", FieldFormat: override.JSON,
			Value: `{"a": 1}`},
		wantErr: `override "f" (FieldMergePatch): fieldPath /data/greeting: content is not valid JSON (at byte 1)`,
	},
	{
		name: "field is not YAML",
		obj:  configMap,
		o: override.Override{Name: "f", Type: override.FieldMergePatch, FieldPath: "/data/broken.yaml", FieldFormat: override.YAML,
			Value: `{"a": 1}`},
		wantErr: `override "f" (FieldMergePatch): fieldPath /data/broken.yaml: content is not valid YAML`,
	},
	{
		name: "field JSON patch on a scalar document",
		obj:  configMap,
		o: override.Override{Name: "f", Type: override.FieldJSONPatch, FieldPath: "/data/greeting", FieldFormat: override.YAML,
			Value: `[{"op":"add","path":"/a","value":1}]`},
		wantErr: `override "f" (FieldJSONPatch): fieldPath /data/greeting: content is a string; a JSON patch needs an object or an array`,
	},
	{
		name: "field JSON patch on a missing path",
		obj:  configMap,
		o: override.Override{Name: "f", Type: override.FieldJSONPatch, FieldPath: "/data/application.yaml", FieldFormat: override.YAML,
			Value: `[{"op":"replace","path":"/redis/host","value":"redis.spg-02"}]`},
		wantErr: `override "f" (FieldJSONPatch): fieldPath /data/application.yaml: operation 0 (replace /redis/host): path not found in the field content`,
	},
	{
		name:    "field patch on an identity field",
		obj:     configMap,
		o:       override.Override{Name: "f", Type: override.FieldMergePatch, FieldPath: "/metadata/name", FieldFormat: override.YAML, Value: `{a: 1}`},
		wantErr: `override "f" (FieldMergePatch): the override changes metadata.name: an override must not change an object's apiVersion, kind, metadata.name or metadata.namespace`,
	},

	// Refused types and limits
	{
		name:    "Helm",
		obj:     deployment,
		o:       override.Override{Name: "chart", Type: override.Helm, Value: `replicaCount: 2`},
		wantErr: `override "chart" (Helm): override type Helm is not supported: manifold renders plain manifests and kustomize; use JSONPatch or MergePatch`,
	},
	{
		name:    "unknown type",
		obj:     deployment,
		o:       override.Override{Name: "x", Type: "StrategicMergePatch", Value: `{}`},
		wantErr: `override "x" (StrategicMergePatch): unknown type StrategicMergePatch: supported types are JSONPatch, MergePatch, FieldJSONPatch and FieldMergePatch`,
	},
	{
		name:    "missing type",
		obj:     deployment,
		o:       override.Override{Name: "x", Value: `{}`},
		wantErr: `override "x" (no type): type is missing: supported types are JSONPatch, MergePatch, FieldJSONPatch and FieldMergePatch`,
	},
	{
		name: "too many operations",
		obj:  deployment,
		o: override.Override{Name: "many", Type: override.JSONPatch,
			Value: `[{"op":"test","path":"/kind","value":"Deployment"},{"op":"test","path":"/kind","value":"Deployment"},{"op":"test","path":"/kind","value":"Deployment"}]`},
		limits:  override.Limits{MaxOperations: 2},
		wantErr: `override "many" (JSONPatch): the JSON patch has 3 operations, over the limit of 2`,
	},
	{
		name:    "value too large",
		obj:     deployment,
		o:       override.Override{Name: "big", Type: override.MergePatch, Value: `{"spec":{"replicas":2}}`},
		limits:  override.Limits{MaxValueBytes: 10},
		wantErr: `override "big" (MergePatch): value is 23 bytes, over the limit of 10 bytes`,
	},
	{
		name: "result too large",
		obj:  deployment,
		o: override.Override{Name: "grow", Type: override.JSONPatch,
			Value: `[{"op":"add","path":"/metadata/labels/big","value":"` + strings.Repeat("x", 600) + `"}]`},
		limits:  override.Limits{MaxObjectBytes: 1000},
		wantErr: `override "grow" (JSONPatch): the patched object is 1195 bytes, over the limit of 1000 bytes`,
	},
	{
		name: "copies over the size limit",
		obj:  deployment,
		o: override.Override{Name: "copies", Type: override.JSONPatch,
			Value: `[{"op":"copy","from":"/spec","path":"/a"},{"op":"copy","from":"/spec","path":"/b"},{"op":"copy","from":"/spec","path":"/c"}]`},
		limits:  override.Limits{MaxObjectBytes: 1000},
		wantErr: `override "copies" (JSONPatch): the copied data is over the size limit`,
	},
	{
		name:    "object is not an object",
		obj:     `["a"]`,
		o:       override.Override{Name: "x", Type: override.MergePatch, Value: `{}`},
		wantErr: `override "x" (MergePatch): the object is an array, not a JSON object`,
	},
	{
		name:    "object is not JSON",
		obj:     `apiVersion: v1`,
		o:       override.Override{Name: "x", Type: override.MergePatch, Value: `{}`},
		wantErr: `override "x" (MergePatch): the object is not valid JSON`,
	},
}

func TestApply(t *testing.T) {
	for _, tc := range applyCases {
		t.Run(tc.name, func(t *testing.T) {
			in := []byte(tc.obj)
			got, err := override.Apply(in, tc.o, tc.limits)
			if string(in) != tc.obj {
				t.Errorf("Apply modified its input")
			}
			if tc.wantErr != "" {
				if err == nil {
					t.Fatalf("Apply() = %s, want error %q", got, tc.wantErr)
				}
				if diff := cmp.Diff(tc.wantErr, err.Error()); diff != "" {
					t.Errorf("Apply() error (-want +got):\n%s", diff)
				}
				var oe *override.Error
				if !errors.As(err, &oe) || oe.Override != tc.o.Name || oe.Type != tc.o.Type || oe.Unwrap() == nil {
					t.Errorf("Apply() error = %#v, want an *override.Error for %q that unwraps", err, tc.o.Name)
				}
				return
			}
			if err != nil {
				t.Fatalf("Apply() error = %v", err)
			}
			want := decode(tc.obj)
			tc.mutate(want)
			if diff := cmp.Diff(want, decode(string(got))); diff != "" {
				t.Errorf("Apply() (-want +got):\n%s", diff)
			}
			if c := canonical(t, got); !bytes.Equal(got, c) {
				t.Errorf("Apply() = %s, want compact JSON with sorted keys %s", got, c)
			}
		})
	}
}

// TestValidate checks that Validate finds every static error Apply reports,
// and only those.
func TestValidate(t *testing.T) {
	for _, tc := range applyCases {
		t.Run(tc.name, func(t *testing.T) {
			_, applyErr := override.Apply([]byte(tc.obj), tc.o, tc.limits)
			err := override.Validate(tc.o, tc.limits)
			if err != nil && (applyErr == nil || err.Error() != applyErr.Error()) {
				t.Errorf("Validate() = %v, but Apply() = %v", err, applyErr)
			}
		})
	}
}

func TestValidateErrors(t *testing.T) {
	const add = `[{"op":"add","path":"/a","value":1}]`
	tests := []struct {
		name string
		o    override.Override
		want string // "" for valid
	}{
		{"valid JSON patch", override.Override{Type: override.JSONPatch, Value: add}, ""},
		{"valid field patch", override.Override{Type: override.FieldJSONPatch, FieldPath: "/data/a~1b.json", FieldFormat: override.JSON, Value: add}, ""},
		{"test with null value", override.Override{Type: override.JSONPatch, Value: `[{"op":"test","path":"/a","value":null}]`}, ""},
		{"empty patch", override.Override{Type: override.JSONPatch, Value: `[]`}, ""},
		{"fieldPath on JSONPatch", override.Override{Name: "n", Type: override.JSONPatch, FieldPath: "/data/x", Value: add},
			`override "n" (JSONPatch): fieldPath is only used by types FieldJSONPatch and FieldMergePatch`},
		{"fieldFormat on MergePatch", override.Override{Name: "n", Type: override.MergePatch, FieldFormat: override.YAML, Value: `{}`},
			`override "n" (MergePatch): fieldFormat is only used by types FieldJSONPatch and FieldMergePatch`},
		{"fieldPath missing", override.Override{Name: "n", Type: override.FieldMergePatch, Value: `{}`},
			`override "n" (FieldMergePatch): fieldPath is required for type FieldMergePatch`},
		{"fieldPath not a pointer", override.Override{Name: "n", Type: override.FieldMergePatch, FieldPath: "data.x", Value: `{}`},
			`override "n" (FieldMergePatch): fieldPath data.x is not a valid JSON pointer: it must be empty or start with "/"`},
		{"fieldFormat in lower case", override.Override{Name: "n", Type: override.FieldMergePatch, FieldPath: "/data/x", FieldFormat: "yaml", Value: `{}`},
			`override "n" (FieldMergePatch): fieldFormat "yaml" is not valid: use JSON or YAML`},
		{"empty value", override.Override{Name: "n", Type: override.MergePatch, Value: "  # nothing\n"},
			`override "n" (MergePatch): value is empty`},
		{"value not YAML", override.Override{Name: "n", Type: override.JSONPatch, Value: `[{`},
			`override "n" (JSONPatch): value is neither valid JSON nor valid YAML: yaml: line 1: did not find expected node content`},
		{"duplicate key", override.Override{Name: "n", Type: override.MergePatch, Value: "a: 1\na: 2\n"},
			`override "n" (MergePatch): value is neither valid JSON nor valid YAML: yaml: unmarshal errors: line 2: key "a" already set in map`},
		{"two YAML documents", override.Override{Name: "n", Type: override.MergePatch, Value: "a: 1\n---\nb: 2\n"},
			`override "n" (MergePatch): value is neither valid JSON nor valid YAML: more than one YAML document`},
		{"JSON patch not an array", override.Override{Name: "n", Type: override.JSONPatch, Value: `{"op":"add","path":"/a","value":1}`},
			`override "n" (JSONPatch): value must be a JSON patch: an array of operations`},
		{"operation not an object", override.Override{Name: "n", Type: override.JSONPatch, Value: `[1]`},
			`override "n" (JSONPatch): operation 0 is not a JSON object`},
		{"op missing", override.Override{Name: "n", Type: override.JSONPatch, Value: `[{"path":"/a"}]`},
			`override "n" (JSONPatch): operation 0: "op" is missing`},
		{"op not a string", override.Override{Name: "n", Type: override.JSONPatch, Value: `[{"op":null,"path":"/a"}]`},
			`override "n" (JSONPatch): operation 0: "op" must be a string`},
		{"unknown op", override.Override{Name: "n", Type: override.JSONPatch, Value: `[{"op":"merge","path":"/a"}]`},
			`override "n" (JSONPatch): operation 0: unknown op "merge": use add, remove, replace, move, copy, test`},
		{"path missing", override.Override{Name: "n", Type: override.JSONPatch, Value: `[{"op":"remove"}]`},
			`override "n" (JSONPatch): operation 0 (remove): "path" is missing`},
		{"path missing in second operation", override.Override{Name: "n", Type: override.JSONPatch, Value: `[{"op":"remove","path":"/a"},{"op":"remove"}]`},
			`override "n" (JSONPatch): operation 1 (remove): "path" is missing`},
		{"path not a pointer", override.Override{Name: "n", Type: override.JSONPatch, Value: `[{"op":"remove","path":"a"}]`},
			`override "n" (JSONPatch): operation 0 (remove): "path" is not a valid JSON pointer: it must be empty or start with "/"`},
		{"bad escape", override.Override{Name: "n", Type: override.JSONPatch, Value: `[{"op":"remove","path":"/a~2b"}]`},
			`override "n" (JSONPatch): operation 0 (remove): "path" is not a valid JSON pointer: "~" must be followed by 0 or 1`},
		{"value missing", override.Override{Name: "n", Type: override.JSONPatch, Value: `[{"op":"replace","path":"/a"}]`},
			`override "n" (JSONPatch): operation 0 (replace /a): "value" is missing`},
		{"from missing", override.Override{Name: "n", Type: override.JSONPatch, Value: `[{"op":"copy","path":"/a"}]`},
			`override "n" (JSONPatch): operation 0 (copy /a): "from" is missing`},
		{"remove the whole object", override.Override{Name: "n", Type: override.JSONPatch, Value: `[{"op":"remove","path":""}]`},
			`override "n" (JSONPatch): operation 0 (remove ""): remove, move and copy cannot target the whole object (the empty path)`},
		{"type with a newline", override.Override{Name: "n", Type: "JSON\nPatch", Value: add},
			`override "n" ("JSON\nPatch"): unknown type "JSON\nPatch": supported types are JSONPatch, MergePatch, FieldJSONPatch and FieldMergePatch`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := override.Validate(tc.o, override.Limits{})
			got := ""
			if err != nil {
				got = err.Error()
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Validate() error (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDeterministic applies overrides that touch many keys and checks that
// the bytes never vary.
func TestDeterministic(t *testing.T) {
	var patch strings.Builder
	patch.WriteString(`{"metadata":{"labels":{`)
	for i := range 50 {
		if i > 0 {
			patch.WriteString(",")
		}
		patch.WriteString(`"l` + strings.Repeat("x", i) + `":"v"`)
	}
	patch.WriteString(`}}}`)
	overrides := []override.Override{
		{Name: "merge", Type: override.MergePatch, Value: patch.String()},
		{Name: "field", Type: override.FieldMergePatch, FieldPath: "/data/application.yaml", FieldFormat: override.YAML, Value: patch.String()},
		{Name: "json", Type: override.JSONPatch, Value: `[{"op":"add","path":"/metadata/labels","value":` + patch.String() + `}]`},
	}
	for _, o := range overrides {
		first, err := override.Apply([]byte(configMap), o, override.Limits{})
		if err != nil {
			t.Fatalf("%s: %v", o.Name, err)
		}
		for range 20 {
			got, err := override.Apply([]byte(configMap), o, override.Limits{})
			if err != nil || !bytes.Equal(got, first) {
				t.Fatalf("%s: Apply() = %s, %v; earlier %s", o.Name, got, err, first)
			}
		}
	}
}

// TestErrorsHideContent makes failing overrides on a Secret and checks that
// no error quotes the object's or the patch's values.
func TestErrorsHideContent(t *testing.T) {
	overrides := []override.Override{
		{Type: override.JSONPatch, Value: `[{"op":"test","path":"/stringData/password","value":"s3cr3t-guess"}]`},
		{Type: override.JSONPatch, Value: `[{"op":"replace","path":"/stringData/missing","value":"s3cr3t-new"}]`},
		{Type: override.JSONPatch, Value: `[{"op":"replace","path":"/metadata/name","value":"s3cr3t-name"}]`},
		{Type: override.JSONPatch, Value: `[{"op":"add","path":"/stringData/password/x","value":"s3cr3t-new"}]`},
		{Type: override.JSONPatch, Value: `[{"op":"replace","value":"s3cr3t-new"}]`},
		{Type: override.JSONPatch, Value: `[{"op":"replace","path":"","value":"s3cr3t-root"}]`},
		{Type: override.MergePatch, Value: `["s3cr3t-array"]`},
		{Type: override.FieldMergePatch, FieldPath: "/stringData/password", FieldFormat: override.JSON, Value: `{"a":"s3cr3t-new"}`},
		{Type: override.FieldMergePatch, FieldPath: "/stringData/config.json", Value: `{"a":"s3cr3t-new"}`},
		{Type: override.FieldJSONPatch, FieldPath: "/stringData/config.yaml", FieldFormat: override.YAML, Value: `[{"op":"test","path":"/password","value":"s3cr3t-guess"}]`},
		{Type: override.FieldJSONPatch, FieldPath: "/stringData/password", FieldFormat: override.YAML, Value: `[{"op":"test","path":"/password","value":"s3cr3t-guess"}]`},
	}
	for _, o := range overrides {
		o.Name = "leak"
		_, err := override.Apply([]byte(secret), o, override.Limits{})
		if err == nil {
			t.Errorf("Apply(%s) succeeded, want an error", o.Value)
			continue
		}
		for _, s := range []string{"s3cr3t", "czNjcjN0"} {
			if strings.Contains(err.Error(), s) {
				t.Errorf("Apply(%s) error %q shows a value", o.Value, err)
			}
		}
	}
}

// canonical re-encodes JSON with sorted keys, exact numbers and no HTML
// escaping.
func canonical(t testing.TB, b []byte) []byte {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("invalid JSON %s: %v", b, err)
	}
	var buf bytes.Buffer
	e := json.NewEncoder(&buf)
	e.SetEscapeHTML(false)
	if err := e.Encode(v); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}
