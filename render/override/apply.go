package override

import (
	"errors"
	"fmt"
)

// apply runs a compiled override on one object.
func (p *patch) apply(obj []byte, l Limits) ([]byte, error) {
	root, err := decodeJSON(obj)
	if err != nil {
		return nil, errors.New("the object is not valid JSON")
	}
	if _, ok := root.(map[string]any); !ok {
		return nil, fmt.Errorf("the object is %s, not a JSON object", kindOf(root))
	}
	before := identityOf(root)

	switch p.o.Type {
	case JSONPatch:
		out, err := applyJSONPatch(obj, p, "the object", l)
		if err != nil {
			return nil, err
		}
		if root, err = decodeJSON(out); err != nil {
			return nil, fmt.Errorf("reading the patched object: %w", err)
		}
	case MergePatch:
		root = mergePatch(root, p.merge)
	default:
		if err := p.patchField(root, l); err != nil {
			return nil, err
		}
	}

	if _, ok := root.(map[string]any); !ok {
		return nil, fmt.Errorf("the patched object is %s: an override must keep the object a JSON object", kindOf(root))
	}
	if changed := before.changed(identityOf(root)); changed != "" {
		return nil, fmt.Errorf("the override changes %s: an override must not change an object's apiVersion, kind, metadata.name or metadata.namespace", changed)
	}
	out, err := encodeJSON(root)
	if err != nil {
		return nil, fmt.Errorf("writing the patched object: %w", err)
	}
	if len(out) > l.MaxObjectBytes {
		return nil, fmt.Errorf("the patched object is %d bytes, over the limit of %d bytes", len(out), l.MaxObjectBytes)
	}
	return out, nil
}

// identityFields are the fields that name an object; no override may change
// them.
var identityFields = [...]struct {
	name string
	path []string
}{
	{"apiVersion", []string{"apiVersion"}},
	{"kind", []string{"kind"}},
	{"metadata.name", []string{"metadata", "name"}},
	{"metadata.namespace", []string{"metadata", "namespace"}},
}

// identity holds the identity fields as JSON, "" when absent.
type identity [len(identityFields)]string

func identityOf(root any) identity {
	var id identity
	for i, f := range identityFields {
		cur, ok := root, true
		for _, k := range f.path {
			m, isObj := cur.(map[string]any)
			if !isObj {
				ok = false
				break
			}
			if cur, ok = m[k]; !ok {
				break
			}
		}
		if ok {
			b, err := encodeJSON(cur)
			if err != nil {
				b = []byte("?")
			}
			id[i] = string(b)
		}
	}
	return id
}

// changed names the first identity field that differs, or returns "".
func (id identity) changed(after identity) string {
	for i := range id {
		if id[i] != after[i] {
			return identityFields[i].name
		}
	}
	return ""
}
