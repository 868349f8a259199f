package reconciler

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"

	"github.com/manifold-gitops/manifold/render"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// ignoredFields are never compared: the server owns them.
var ignoredFields = map[string]bool{
	"apiVersion":                 true, // identity is the key; live is read at the desired version
	"status":                     true,
	"metadata.managedFields":     true,
	"metadata.resourceVersion":   true,
	"metadata.uid":               true,
	"metadata.creationTimestamp": true,
	"metadata.generation":        true,
}

// plainKey matches map keys that print unquoted in a path.
var plainKey = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// liveMatches reports whether every field set in the desired object has an
// equal value in the live one, and otherwise returns the first differing
// path (e.g. "spec.template.spec.containers[0].image"). Fields the manifest
// leaves out (defaults, an autoscaler's replicas, other managers'
// annotations) are ignored, and so are the server-owned ignoredFields.
//
// Maps compare per desired key, lists pairwise with equal lengths, numbers
// numerically, and strings that are equal Kubernetes quantities ("0.5" and
// "500m") match. A desired null, or a desired zero value ("", 0, false, {},
// []) that is absent live, matches: the server drops such fields. A Secret's
// stringData is compared with the base64 data the server stores.
// The path never contains values.
func liveMatches(desired *render.Object, live *unstructured.Unstructured) (bool, string) {
	if live == nil {
		return false, "(object missing)"
	}
	var want map[string]any
	if err := json.Unmarshal(desired.JSON, &want); err != nil {
		return false, "(desired object unreadable)"
	}
	if desired.Key.Group == "" && desired.Key.Kind == "Secret" {
		if ok, path := secretStringDataMatches(want, live.Object); !ok {
			return false, path
		}
	}
	return subsetMatches(want, live.Object, "")
}

// secretStringDataMatches compares a Secret's stringData with the live
// base64 data, then removes stringData (and the data keys it overrides)
// from want so the generic comparison skips them.
func secretStringDataMatches(want, live map[string]any) (bool, string) {
	sd, _ := want["stringData"].(map[string]any)
	delete(want, "stringData")
	data, _ := want["data"].(map[string]any)
	liveData, _ := live["data"].(map[string]any)
	for _, k := range sortedKeys(sd) {
		delete(data, k)
		s, _ := sd[k].(string)
		if got, _ := liveData[k].(string); got != base64.StdEncoding.EncodeToString([]byte(s)) {
			return false, joinKey("stringData", k)
		}
	}
	return true, ""
}

// subsetMatches compares want with got recursively at path.
func subsetMatches(want, got any, path string) (bool, string) {
	if ignoredFields[path] || want == nil {
		return true, ""
	}
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return got == nil && len(w) == 0, path
		}
		for _, k := range sortedKeys(w) {
			p := joinKey(path, k)
			gv, present := g[k]
			if !present {
				if isZero(w[k]) || ignoredFields[p] {
					continue
				}
				return false, p
			}
			if ok, diff := subsetMatches(w[k], gv, p); !ok {
				return false, diff
			}
		}
		return true, ""
	case []any:
		g, ok := got.([]any)
		if !ok {
			return got == nil && len(w) == 0, path
		}
		if len(w) != len(g) {
			return false, path
		}
		for i := range w {
			if ok, diff := subsetMatches(w[i], g[i], fmt.Sprintf("%s[%d]", path, i)); !ok {
				return false, diff
			}
		}
		return true, ""
	}
	return scalarsEqual(want, got), path
}

// scalarsEqual compares strings, booleans and numbers, treating equal
// numbers of any Go type, and equal quantities, as equal.
func scalarsEqual(want, got any) bool {
	if want == got {
		return true
	}
	wn, wIsNum := number(want)
	gn, gIsNum := number(got)
	if wIsNum && gIsNum {
		return wn == gn
	}
	ws, wIsStr := quantityText(want)
	gs, gIsStr := quantityText(got)
	if !wIsStr || !gIsStr {
		return false
	}
	if ws == gs { // a number and a string saying the same, as in "memory: 512"
		return true
	}
	wq, err := resource.ParseQuantity(ws)
	if err != nil {
		return false
	}
	gq, err := resource.ParseQuantity(gs)
	return err == nil && wq.Cmp(gq) == 0
}

// number converts any JSON number representation to float64.
func number(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case float32:
		return float64(n), true
	case int64:
		return float64(n), true
	case int32:
		return float64(n), true
	case int:
		return float64(n), true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}

// quantityText returns a string, or a finite number written out, for
// comparison as a quantity (a manifest may write "memory: 512").
func quantityText(v any) (string, bool) {
	if s, ok := v.(string); ok {
		return s, true
	}
	if f, ok := number(v); ok && !math.IsInf(f, 0) && !math.IsNaN(f) {
		return strconv.FormatFloat(f, 'f', -1, 64), true
	}
	return "", false
}

// isZero reports whether v is a JSON zero value the server may omit.
func isZero(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case bool:
		return !x
	case map[string]any:
		return len(x) == 0
	case []any:
		return len(x) == 0
	}
	f, ok := number(v)
	return ok && f == 0
}

// joinKey appends a map key to a path, quoting keys such as
// "manifold.dev/prune" that would make the path ambiguous.
func joinKey(path, k string) string {
	if !plainKey.MatchString(k) {
		return path + "[" + strconv.Quote(k) + "]"
	}
	if path == "" {
		return k
	}
	return path + "." + k
}

// sortedKeys returns m's keys in order, for a deterministic first difference.
func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
