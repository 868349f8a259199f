package override

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"sigs.k8s.io/yaml"
)

// patchField applies a Field* override to the string field at p.field in
// root: the string is decoded as p.format, patched and written back in the
// same format.
func (p *patch) patchField(root any, l Limits) error {
	path := printablePath(p.o.FieldPath)
	ref, ok := resolve(root, p.field)
	if !ok {
		return fmt.Errorf("fieldPath %s: field not found in the object", path)
	}
	content, ok := ref.get().(string)
	if !ok {
		return fmt.Errorf("fieldPath %s: field is %s, not a string", path, kindOf(ref.get()))
	}
	doc, err := decodeField(content, p.format)
	if err != nil {
		return fmt.Errorf("fieldPath %s: %w", path, err)
	}

	switch p.o.Type {
	case FieldJSONPatch:
		switch doc.(type) {
		case map[string]any, []any:
		default:
			return fmt.Errorf("fieldPath %s: content is %s; a JSON patch needs an object or an array", path, kindOf(doc))
		}
		in, err := encodeJSON(doc)
		if err != nil {
			return fmt.Errorf("fieldPath %s: %w", path, err)
		}
		out, err := applyJSONPatch(in, p, "the field content", l)
		if err != nil {
			return fmt.Errorf("fieldPath %s: %w", path, err)
		}
		if doc, err = decodeJSON(out); err != nil {
			return fmt.Errorf("fieldPath %s: reading the patched content: %w", path, err)
		}
	default:
		doc = mergePatch(doc, p.merge)
	}

	s, err := encodeField(doc, p.format, content)
	if err != nil {
		return fmt.Errorf("fieldPath %s: %w", path, err)
	}
	ref.set(s)
	return nil
}

// decodeField reads a field's content. Parser messages are left out: they
// may quote the content, and the object may be a Secret.
func decodeField(content string, f Format) (any, error) {
	b := []byte(content)
	if f == YAML {
		var err error
		if b, err = yamlToJSON(b); err != nil {
			return nil, errors.New("content is not valid YAML")
		}
	}
	doc, err := decodeJSON(b)
	if err != nil {
		var syntax *json.SyntaxError
		if errors.As(err, &syntax) {
			return nil, fmt.Errorf("content is not valid JSON (at byte %d)", syntax.Offset)
		}
		return nil, errors.New("content is not valid JSON")
	}
	return doc, nil
}

// encodeField writes patched content back in its format, deterministically:
// YAML with sorted keys (comments and key order of the original are not
// kept); JSON with sorted keys, on one line when the original was on one line
// and otherwise indented by two spaces with a final newline.
func encodeField(doc any, f Format, original string) (string, error) {
	b, err := encodeJSON(doc)
	if err != nil {
		return "", err
	}
	switch {
	case f == YAML:
		y, err := yaml.JSONToYAML(b)
		if err != nil {
			return "", errors.New("the patched content cannot be written as YAML")
		}
		return string(y), nil
	case strings.Contains(original, "\n"):
		var buf bytes.Buffer
		if err := json.Indent(&buf, b, "", "  "); err != nil {
			return "", err
		}
		return buf.String() + "\n", nil
	default:
		return string(b), nil
	}
}

// fieldRef is where a field lives: under a key of an object or at an index
// of an array.
type fieldRef struct {
	obj   map[string]any
	key   string
	array []any
	index int
}

func (r fieldRef) get() any {
	if r.obj != nil {
		return r.obj[r.key]
	}
	return r.array[r.index]
}

func (r fieldRef) set(v any) {
	if r.obj != nil {
		r.obj[r.key] = v
		return
	}
	r.array[r.index] = v
}

// resolve finds the field named by JSON pointer tokens; there is at least
// one token.
func resolve(root any, tokens []string) (fieldRef, bool) {
	var ref fieldRef
	cur := root
	for _, t := range tokens {
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[t]
			if !ok {
				return ref, false
			}
			ref, cur = fieldRef{obj: c, key: t}, v
		case []any:
			i, ok := arrayIndex(t, len(c))
			if !ok {
				return ref, false
			}
			ref, cur = fieldRef{array: c, index: i}, c[i]
		default:
			return ref, false
		}
	}
	return ref, len(tokens) > 0
}
