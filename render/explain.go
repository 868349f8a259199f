package render

import (
	"context"
	"encoding/json"
	"fmt"
	"path"
	"reflect"
	"sort"
	"strconv"

	"github.com/manifold-gitops/manifold/api"
	"github.com/manifold-gitops/manifold/gitsource"
	"github.com/manifold-gitops/manifold/render/override"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/yaml"
)

// Trace says how one rendered object got its content: the file that
// declares it and, in the order applied, what each override changed.
type Trace struct {
	Key ObjectKey
	// Origin is the file (and line, when known) that declares the object.
	// For a kustomize build it is the resource file that declares an object
	// of the same kind and name, or the build folder when no single file does
	// (a name prefix, a generator).
	Origin api.Origin
	// Steps are the changes made after the object was built, its feeds
	// selected and the ownership label stamped.
	Steps []TraceStep
}

// TraceStep is one override that matched the object, or (with an empty
// Policy) the fields manifold itself set after the overrides.
type TraceStep struct {
	// Policy is the Localization or Globalization, e.g.
	// "Localization/SPG-02/qcbm-svc-gateway-override"; empty for manifold's
	// own changes (the ownership label, other render rules).
	Policy string
	// Origin is where the policy is declared.
	Origin api.Origin
	// Override is the override's name.
	Override string
	// Changes are the fields the step added, removed or replaced, sorted by
	// path. A change that adds or removes a whole map or list names it once.
	Changes []FieldChange
}

// FieldChange is one field that differs between two versions of an object.
// It never holds the values.
type FieldChange struct {
	// Path names the field the way manifold prints paths:
	// spec.template.spec.containers[0].image, or
	// metadata.annotations["example.com/key"] for keys with dots or slashes.
	Path string
	// Change is "added", "removed" or "changed".
	Change string
}

// Source returns the last step that set path (the field itself, a field
// inside it, or a map or list holding it), or nil when the value comes from
// the object's origin file.
func (t *Trace) Source(path string) *TraceStep {
	for i := len(t.Steps) - 1; i >= 0; i-- {
		for _, c := range t.Steps[i].Changes {
			if pathsOverlap(c.Path, path) {
				return &t.Steps[i]
			}
		}
	}
	return nil
}

// pathsOverlap reports whether a and b are the same field or one holds the
// other.
func pathsOverlap(a, b string) bool {
	if len(a) > len(b) {
		a, b = b, a
	}
	if len(a) == len(b) {
		return a == b
	}
	return b[:len(a)] == a && (b[len(a)] == '.' || b[len(a)] == '[')
}

// Explain replays the render of one desired set of snap, which r rendered,
// and returns a Trace for each of its objects. It is computed only on
// demand, so normal renders pay nothing for it: the build comes from the
// cache, the overrides are applied again one by one, and the fields each one
// changed are recorded. Fields the replay does not account for (manifold's
// own render rules) form a last step with an empty Policy.
func (r *Renderer) Explain(ctx context.Context, snap *gitsource.Snapshot, set *DesiredSet) (map[ObjectKey]*Trace, error) {
	if set.Err != nil {
		return nil, fmt.Errorf("cluster %s, subscription %s did not render: %w", set.Cluster, set.Subscription, set.Err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	policySet, _, err := r.loadPolicies(snap)
	if err != nil {
		return nil, err
	}
	sub, cluster := findSubscription(policySet, set.Subscription), findCluster(policySet, set.Cluster)
	if sub == nil || cluster == nil {
		return nil, fmt.Errorf("cluster %s, subscription %s: not declared at this revision", set.Cluster, set.Subscription)
	}
	policies, _ := overridePolicies(&policySet, r.limits.Override)
	mine := clusterPolicies(cluster, policies)
	dir := buildDirOf(snap, sub, cluster.Metadata.Name)
	_, b := r.cachedFolder(snap, dir)
	if b.err != nil {
		return nil, b.err
	}
	selected, err := stampedFeeds(sub, b.objects)
	if err != nil {
		return nil, err
	}
	rendered := make(map[ObjectKey]*Object, len(set.Objects))
	for _, o := range set.Objects {
		rendered[o.Key] = o
	}
	origins := newOriginFinder(snap, dir)
	out := make(map[ObjectKey]*Trace, len(selected))
	for _, o := range selected {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		final, ok := rendered[o.Key]
		if !ok {
			continue
		}
		t, err := r.trace(o, final, mine)
		if err != nil {
			return nil, err
		}
		t.Origin = origins.find(o)
		out[o.Key] = t
	}
	return out, nil
}

// trace applies the matching overrides to o one at a time, recording the
// fields each changes, then what else differs from the rendered object.
func (r *Renderer) trace(o, final *Object, policies []*overridePolicy) (*Trace, error) {
	t := &Trace{Key: o.Key, Origin: o.Origin}
	data := o.JSON
	for _, p := range policies {
		if !p.matches(o) {
			continue
		}
		for _, ov := range p.overrides {
			next, err := override.Apply(data, ov, r.limits.Override)
			if err != nil {
				return nil, fmt.Errorf("%s: override %q on %s: %w", p.subject, ov.Name, o.Key, err)
			}
			changes, err := ChangedFields(data, next)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", o.Key, err)
			}
			t.Steps = append(t.Steps, TraceStep{Policy: p.subject, Origin: p.origin, Override: ov.Name, Changes: changes})
			data = next
		}
	}
	rest, err := ChangedFields(data, final.JSON)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", o.Key, err)
	}
	if len(rest) > 0 {
		t.Steps = append(t.Steps, TraceStep{Changes: rest})
	}
	return t, nil
}

// ChangedFields compares two JSON objects and lists the fields that differ,
// sorted by path. Maps are compared per key; lists of equal length per
// item, lists of different lengths as a whole.
func ChangedFields(before, after []byte) ([]FieldChange, error) {
	var a, b any
	if err := json.Unmarshal(before, &a); err != nil {
		return nil, fmt.Errorf("reading the object: %w", err)
	}
	if err := json.Unmarshal(after, &b); err != nil {
		return nil, fmt.Errorf("reading the object: %w", err)
	}
	var out []FieldChange
	compareFields(a, b, "", &out)
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

func compareFields(a, b any, at string, out *[]FieldChange) {
	switch x := a.(type) {
	case map[string]any:
		if y, ok := b.(map[string]any); ok {
			for k, av := range x {
				p := fieldKey(at, k)
				if bv, found := y[k]; found {
					compareFields(av, bv, p, out)
				} else {
					*out = append(*out, FieldChange{Path: p, Change: "removed"})
				}
			}
			for k := range y {
				if _, found := x[k]; !found {
					*out = append(*out, FieldChange{Path: fieldKey(at, k), Change: "added"})
				}
			}
			return
		}
	case []any:
		if y, ok := b.([]any); ok && len(x) == len(y) {
			for i := range x {
				compareFields(x[i], y[i], at+"["+strconv.Itoa(i)+"]", out)
			}
			return
		}
	}
	if !reflect.DeepEqual(a, b) {
		*out = append(*out, FieldChange{Path: at, Change: "changed"})
	}
}

// fieldKey appends a map key to a path, quoting keys that are not plain
// words (the same form the reconciler prints drift paths in).
func fieldKey(at, k string) string {
	plain := k != ""
	for _, c := range k {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			plain = false
			break
		}
	}
	switch {
	case !plain:
		return at + "[" + strconv.Quote(k) + "]"
	case at == "":
		return k
	}
	return at + "." + k
}

func findSubscription(set api.Set, name string) *api.Subscription {
	for _, s := range set.Subscriptions {
		if s.Metadata.Name == name {
			return s
		}
	}
	return nil
}

func findCluster(set api.Set, name string) *api.Cluster {
	for _, c := range set.Clusters {
		if c.Metadata.Name == name {
			return c
		}
	}
	return nil
}

// buildDirOf is the folder built for a cluster: its overlay when the
// subscription names an overlays folder holding one, else the source.
func buildDirOf(snap *gitsource.Snapshot, sub *api.Subscription, cluster string) string {
	if sub.Spec.Source != nil && sub.Spec.Source.Overlays != "" {
		if overlay := path.Join(api.CleanPath(sub.Spec.Source.Overlays), cluster); snap.IsDir(overlay) {
			return overlay
		}
	}
	return sourceDir(sub)
}

// originFinder finds the resource file declaring an object of a kustomize
// build: the documents of the files listed under resources in the
// kustomization tree, matched by apiVersion, kind, name and (when the file
// sets one) namespace.
type originFinder struct {
	docs []api.Document
}

func newOriginFinder(snap *gitsource.Snapshot, dir string) *originFinder {
	f := &originFinder{}
	if kustomizationIn(snap, dir) == "" {
		return f // plain folders carry file:line already
	}
	roots, err := kustomizeInputs(snap, dir)
	if err != nil {
		return f
	}
	for _, root := range roots {
		data, err := snap.ReadFile(kustomizationIn(snap, root))
		if err != nil {
			continue
		}
		var k types.Kustomization
		if yaml.Unmarshal(data, &k) != nil {
			continue
		}
		for _, res := range k.Resources {
			file, err := localRef(snap, root, res)
			if err != nil || snap.IsDir(file) {
				continue
			}
			content, err := snap.ReadFile(file)
			if err != nil {
				continue
			}
			docs, _ := api.ParseDocuments(file, content)
			f.docs = append(f.docs, docs...)
		}
	}
	return f
}

// find returns the single declaring document's origin, or o's own origin.
func (f *originFinder) find(o *Object) api.Origin {
	var found []api.Origin
	for _, d := range f.docs {
		if d.APIVersion == o.APIVersion && d.Kind == o.Key.Kind && d.Name == o.Key.Name &&
			(d.Namespace == "" || d.Namespace == o.Key.Namespace) {
			found = append(found, d.Origin)
		}
	}
	if len(found) == 1 {
		return found[0]
	}
	return o.Origin
}
