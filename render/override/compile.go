package override

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	jsonpatch "github.com/evanphx/json-patch/v5"
)

// patch is an override that passed the static checks, ready to apply.
// It is built for one Apply call: applying may share parts of merge with the
// result.
type patch struct {
	o      Override
	field  []string        // unescaped fieldPath tokens, Field* types only
	format Format          // JSON or YAML, Field* types only
	ops    []operation     // JSON patch types: what each operation says, for errors
	json   jsonpatch.Patch // JSON patch types
	merge  map[string]any  // merge patch types
}

// operation is the part of a JSON patch operation that errors may print.
type operation struct{ op, path, from string }

// describe prints operation i for errors: its index, op and paths.
func (o operation) describe(i int) string {
	if o.op == "move" || o.op == "copy" {
		return fmt.Sprintf("operation %d (%s from %s to %s)", i, o.op, printablePath(o.from), printablePath(o.path))
	}
	return fmt.Sprintf("operation %d (%s %s)", i, o.op, printablePath(o.path))
}

// compile runs the static checks and parses the value. Errors are *Error.
func compile(o Override, l Limits) (*patch, error) {
	p, err := compileOverride(o, l)
	if err != nil {
		return nil, &Error{Override: o.Name, Type: o.Type, Err: err}
	}
	return p, nil
}

func compileOverride(o Override, l Limits) (*patch, error) {
	p := &patch{o: o}
	switch o.Type {
	case JSONPatch, MergePatch:
		if o.FieldPath != "" {
			return nil, errors.New("fieldPath is only used by types FieldJSONPatch and FieldMergePatch")
		}
		if o.FieldFormat != "" {
			return nil, errors.New("fieldFormat is only used by types FieldJSONPatch and FieldMergePatch")
		}
	case FieldJSONPatch, FieldMergePatch:
		if o.FieldPath == "" {
			return nil, fmt.Errorf("fieldPath is required for type %s", o.Type)
		}
		tokens, err := parsePointer(o.FieldPath)
		if err != nil {
			return nil, fmt.Errorf("fieldPath %s is not a valid JSON pointer: %w", printablePath(o.FieldPath), err)
		}
		p.field = tokens
		switch o.FieldFormat {
		case "", JSON:
			p.format = JSON
		case YAML:
			p.format = YAML
		default:
			return nil, fmt.Errorf("fieldFormat %.64q is not valid: use JSON or YAML", string(o.FieldFormat))
		}
	case Helm:
		return nil, errHelm
	default:
		return nil, errUnknownType(o.Type)
	}

	if len(o.Value) > l.MaxValueBytes {
		return nil, fmt.Errorf("value is %d bytes, over the limit of %d bytes", len(o.Value), l.MaxValueBytes)
	}
	value, err := valueToJSON(o.Value)
	if err != nil {
		return nil, err
	}
	switch o.Type {
	case JSONPatch, FieldJSONPatch:
		p.ops, p.json, err = compileJSONPatch(value, l)
	default:
		p.merge, err = compileMergePatch(value)
	}
	if err != nil {
		return nil, err
	}
	return p, nil
}

// valueToJSON reads a value written as JSON or YAML.
func valueToJSON(v string) ([]byte, error) {
	b := []byte(v)
	if !json.Valid(b) {
		var err error
		if b, err = yamlToJSON(b); err != nil {
			// Parser messages name lines and keys, not values; keep them on
			// one line.
			msg := strings.Join(strings.Fields(err.Error()), " ")
			return nil, fmt.Errorf("value is neither valid JSON nor valid YAML: %s", msg)
		}
	}
	if string(b) == "null" {
		return nil, errors.New("value is empty")
	}
	return b, nil
}

var opNames = []string{"add", "remove", "replace", "move", "copy", "test"}

func compileJSONPatch(value []byte, l Limits) ([]operation, jsonpatch.Patch, error) {
	var raw []json.RawMessage
	if err := json.Unmarshal(value, &raw); err != nil {
		return nil, nil, errors.New("value must be a JSON patch: an array of operations")
	}
	if len(raw) > l.MaxOperations {
		return nil, nil, fmt.Errorf("the JSON patch has %d operations, over the limit of %d", len(raw), l.MaxOperations)
	}
	ops := make([]operation, len(raw))
	for i, r := range raw {
		op, err := parseOperation(i, r)
		if err != nil {
			return nil, nil, err
		}
		ops[i] = op
	}
	p, err := jsonpatch.DecodePatch(value)
	if err != nil {
		// The library's message quotes values; the checks above should
		// have said what is wrong already.
		return nil, nil, errors.New("value is not a valid JSON patch")
	}
	return ops, p, nil
}

func parseOperation(i int, raw json.RawMessage) (operation, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return operation{}, fmt.Errorf("operation %d is not a JSON object", i)
	}
	var o operation
	var err error
	if o.op, err = stringMember(m, "op"); err != nil {
		return o, fmt.Errorf("operation %d: %w", i, err)
	}
	known := false
	for _, n := range opNames {
		known = known || o.op == n
	}
	if !known {
		return o, fmt.Errorf("operation %d: unknown op %.64q: use %s", i, o.op, strings.Join(opNames, ", "))
	}
	if o.path, err = pointerMember(m, "path"); err != nil {
		return o, fmt.Errorf("operation %d (%s): %w", i, o.op, err)
	}
	if o.path == "" && (o.op == "remove" || o.op == "move" || o.op == "copy") {
		return o, fmt.Errorf("operation %d (%s \"\"): remove, move and copy cannot target the whole object (the empty path)", i, o.op)
	}
	switch o.op {
	case "move", "copy":
		if o.from, err = pointerMember(m, "from"); err != nil {
			return o, fmt.Errorf("operation %d (%s %s): %w", i, o.op, printablePath(o.path), err)
		}
	case "add", "replace", "test":
		if _, ok := m["value"]; !ok {
			return o, fmt.Errorf("%s: \"value\" is missing", o.describe(i))
		}
	}
	return o, nil
}

func stringMember(m map[string]json.RawMessage, name string) (string, error) {
	raw, ok := m[name]
	if !ok {
		return "", fmt.Errorf("%q is missing", name)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil || string(raw) == "null" {
		return "", fmt.Errorf("%q must be a string", name)
	}
	return s, nil
}

func pointerMember(m map[string]json.RawMessage, name string) (string, error) {
	s, err := stringMember(m, name)
	if err != nil {
		return "", err
	}
	if _, err := parsePointer(s); err != nil {
		return "", fmt.Errorf("%q is not a valid JSON pointer: %w", name, err)
	}
	return s, nil
}

func compileMergePatch(value []byte) (map[string]any, error) {
	v, err := decodeJSON(value)
	if err != nil {
		return nil, errors.New("value is not valid JSON")
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("a merge patch must be an object, not %s", kindOf(v))
	}
	return m, nil
}
