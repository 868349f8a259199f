package override_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/manifold-gitops/manifold/render/override"
)

// FuzzApply checks, on any object and override, that Apply does not panic,
// agrees with Validate, returns a canonical JSON object with the same
// identity, and returns the same bytes every time.
func FuzzApply(f *testing.F) {
	for _, tc := range applyCases {
		f.Add([]byte(tc.obj), string(tc.o.Type), tc.o.Value, tc.o.FieldPath, string(tc.o.FieldFormat))
	}
	f.Add([]byte(secret), "FieldJSONPatch", `[{"op":"copy","from":"","path":"/x"}]`, "/stringData/config.yaml", "YAML")
	f.Add([]byte(`{"a":[1,2,{"b":null}],"c":"{\"d\":[]}"}`), "FieldJSONPatch", `[{"op":"move","from":"/d","path":"/e"}]`, "/c", "")
	f.Add([]byte(`{"a":[1]}`), "JSONPatch", `[{"op":"add","path":"","value":null},{"op":"add","path":"/-1","value":1}]`, "", "")
	limits := override.Limits{MaxObjectBytes: 64 << 10}
	f.Fuzz(func(t *testing.T, obj []byte, typ, value, fieldPath, fieldFormat string) {
		o := override.Override{Name: "fuzz", Type: override.Type(typ), Value: value, FieldPath: fieldPath, FieldFormat: override.Format(fieldFormat)}
		in := bytes.Clone(obj)
		got, err := override.Apply(obj, o, limits)
		if !bytes.Equal(in, obj) {
			t.Fatal("Apply modified its input")
		}
		validateErr := override.Validate(o, limits)
		if err != nil {
			var oe *override.Error
			if !errors.As(err, &oe) || !strings.HasPrefix(err.Error(), `override "fuzz" (`) {
				t.Fatalf("Apply() error %q is not an *override.Error", err)
			}
			if validateErr != nil && validateErr.Error() != err.Error() {
				t.Fatalf("Validate() = %v, Apply() = %v", validateErr, err)
			}
			return
		}
		if validateErr != nil {
			t.Fatalf("Apply() succeeded but Validate() = %v", validateErr)
		}
		if c := canonical(t, got); !bytes.Equal(got, c) {
			t.Fatalf("Apply() = %s, want canonical %s", got, c)
		}
		after := decode(string(got))
		before := decode(string(obj))
		for _, path := range [][]string{{"apiVersion"}, {"kind"}, {"metadata", "name"}, {"metadata", "namespace"}} {
			if diff := cmp.Diff(lookup(before, path), lookup(after, path)); diff != "" {
				t.Fatalf("Apply() changed %v (-before +after):\n%s", path, diff)
			}
		}
		again, err := override.Apply(obj, o, limits)
		if err != nil || !bytes.Equal(again, got) {
			t.Fatalf("second Apply() = %s, %v; first %s", again, err, got)
		}
	})
}

// FuzzValidate checks that Validate does not panic and returns only
// *override.Error.
func FuzzValidate(f *testing.F) {
	for _, tc := range applyCases {
		f.Add(string(tc.o.Type), tc.o.Value, tc.o.FieldPath, string(tc.o.FieldFormat))
	}
	f.Fuzz(func(t *testing.T, typ, value, fieldPath, fieldFormat string) {
		o := override.Override{Name: "fuzz", Type: override.Type(typ), Value: value, FieldPath: fieldPath, FieldFormat: override.Format(fieldFormat)}
		if err := override.Validate(o, override.Limits{}); err != nil {
			var oe *override.Error
			if !errors.As(err, &oe) {
				t.Fatalf("Validate() error %q is not an *override.Error", err)
			}
		}
	})
}

func lookup(o map[string]any, path []string) any {
	var cur any = o
	for _, k := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[k]
	}
	return cur
}

// BenchmarkApply applies the QCBM tutorial's JSON patch to the api-gateway
// Service, the per-cluster step of rendering; ms/1000clusters is the cost
// for 1,000 clusters.
func BenchmarkApply(b *testing.B) {
	o := override.Override{Name: "svc-override", Type: override.JSONPatch,
		Value: `[{"op":"replace","path":"/metadata/annotations/service.kubernetes.io~1qcloud-loadbalancer-internal-subnetid","value":"subnet-3ecd9tbo"}]`}
	obj := []byte(service)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := override.Apply(obj, o, override.Limits{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)*1000/1e6, "ms/1000clusters")
}
