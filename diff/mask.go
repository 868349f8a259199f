package diff

import (
	"encoding/json"
	"reflect"
	"strings"

	"github.com/manifold-gitops/manifold/render"
	"sigs.k8s.io/yaml"
)

// Masks shown instead of secret values. A value that differs between base
// and head shows as Changed on the head side; otherwise as Masked.
const (
	Masked  = "***"
	Changed = "<changed>"
)

// annotationLastApplied holds a copy of the whole object, secrets included.
const annotationLastApplied = "kubectl.kubernetes.io/last-applied-configuration"

// objectDiff is the unified diff of an object's YAML from before (labelled
// from: "base" or "live") to head, with secret values masked on both sides.
func objectDiff(from string, before, after *render.Object) string {
	a, b := decode(before.JSON), decode(after.JSON)
	if a == nil || b == nil {
		return ""
	}
	maskPair(before.Key, a, b)
	ay, err := yaml.Marshal(a)
	if err != nil {
		return ""
	}
	by, err := yaml.Marshal(b)
	if err != nil {
		return ""
	}
	subject := before.Key.String()
	return unified(from+"/"+subject, "head/"+subject, lines(string(ay)), lines(string(by)), 3)
}

func decode(data []byte) map[string]any {
	var m map[string]any
	if json.Unmarshal(data, &m) != nil {
		return nil
	}
	return m
}

// maskPair replaces secret values in both versions of an object: a
// Secret's data and stringData entries, and the last-applied-configuration
// annotation of any object. Equal values become Masked on both sides;
// differing ones Masked at base and Changed at head.
func maskPair(key render.ObjectKey, base, head map[string]any) {
	if key.Group == "" && key.Kind == "Secret" {
		for _, field := range []string{"data", "stringData"} {
			maskMap(base, head, field)
		}
	}
	maskMap(annotations(base), annotations(head), annotationLastApplied)
}

// maskMap masks base[field] and head[field]: per entry when both are maps,
// else as a whole.
func maskMap(base, head map[string]any, field string) {
	bv, bok := lookup(base, field)
	hv, hok := lookup(head, field)
	bm, bIsMap := bv.(map[string]any)
	hm, hIsMap := hv.(map[string]any)
	if (bIsMap || !bok) && (hIsMap || !hok) && (bIsMap || hIsMap) {
		for k := range bm {
			maskValue(bm, hm, k)
		}
		for k := range hm {
			if _, seen := bm[k]; !seen {
				maskValue(bm, hm, k)
			}
		}
		return
	}
	maskValue(base, head, field)
}

// maskValue masks the entry k of base and head (either may be nil).
func maskValue(base, head map[string]any, k string) {
	bv, bok := lookup(base, k)
	hv, hok := lookup(head, k)
	if bok {
		base[k] = Masked
	}
	if hok {
		if bok && !reflect.DeepEqual(bv, hv) {
			head[k] = Changed
		} else {
			head[k] = Masked
		}
	}
}

func lookup(m map[string]any, k string) (any, bool) {
	if m == nil {
		return nil, false
	}
	v, ok := m[k]
	return v, ok
}

// annotations returns the object's metadata.annotations map, or nil.
func annotations(obj map[string]any) map[string]any {
	meta, _ := obj["metadata"].(map[string]any)
	a, _ := meta["annotations"].(map[string]any)
	return a
}

// lines splits text into lines without their newlines.
func lines(s string) []string {
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}
