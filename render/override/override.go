// Package override applies one Clusternet-style override (an entry of a
// Localization's or Globalization's spec.overrides) to one rendered object.
//
// The render pipeline folds the overrides that target an object over it in a
// total order (priority, then name): bytes in, bytes out. This package owns one
// step of that fold and nothing else; the caller sorts the overrides and adds
// file, object and cluster to the errors.
//
// Supported types are JSONPatch (RFC 6902), MergePatch (RFC 7386),
// FieldJSONPatch and FieldMergePatch (the same patches applied to a JSON or
// YAML document held in a string field, such as a ConfigMap entry). Helm is
// refused: manifold renders plain manifests and kustomize.
//
// Decisions worth knowing:
//
//   - A value may be written as JSON or YAML; YAML is converted to JSON first.
//   - JSON patch "add" does not create missing parents (plain RFC 6902, as
//     Clusternet does): adding /metadata/annotations/x to an object without
//     annotations fails. Use a MergePatch to create nested fields. Array
//     indices follow RFC 6901: "-" appends, negative indices are errors.
//   - "replace" and "remove" on a missing path and a failing "test" are errors
//     that name the operation (index, op, path).
//   - An empty fieldFormat means JSON, as in Clusternet; JSON and YAML are
//     the only values (case-sensitive). A Field* override re-encodes the
//     whole field: YAML with sorted keys and without the original comments
//     (sigs.k8s.io/yaml, so YAML 1.1 rules such as yes/no booleans apply);
//     JSON with sorted keys, on one line if the original was on one line,
//     otherwise indented by two spaces.
//   - An override must not change apiVersion, kind, metadata.name or
//     metadata.namespace, and the result must be a JSON object.
//   - The result is compact JSON with object keys sorted, so equal inputs give
//     byte-identical outputs.
//   - Errors never quote the object's content (it may be a Secret) nor the
//     values of a patch; they name paths, keys, operations and types.
package override

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Type is an override's kind, the "type" field of an override.
type Type string

// The override types. Helm is listed so that it can be refused by name.
const (
	JSONPatch       Type = "JSONPatch"
	MergePatch      Type = "MergePatch"
	FieldJSONPatch  Type = "FieldJSONPatch"
	FieldMergePatch Type = "FieldMergePatch"
	Helm            Type = "Helm"
)

// Format is how the string field patched by a FieldJSONPatch or
// FieldMergePatch override is encoded. The empty Format means JSON.
// Values are case-sensitive, as in Clusternet's schema.
type Format string

// The field formats.
const (
	JSON Format = "JSON"
	YAML Format = "YAML"
)

// Override is one entry of a Localization's or Globalization's
// spec.overrides.
type Override struct {
	// Name identifies the override in errors.
	Name string
	// Type selects how Value is applied.
	Type Type
	// Value is the patch, written as JSON or YAML: an array of operations for
	// the JSONPatch types, an object for the MergePatch types.
	Value string
	// FieldPath is a JSON pointer (RFC 6901) to the string field patched by
	// the Field* types, e.g. /data/application.yaml. Empty for other types.
	FieldPath string
	// FieldFormat is the encoding of that field. Empty for other types.
	FieldFormat Format
}

// Default limits, used for the fields of Limits that are zero or negative.
const (
	DefaultMaxOperations  = 1000
	DefaultMaxValueBytes  = 256 << 10
	DefaultMaxObjectBytes = 3 << 20 / 2 // etcd's default request limit, 1.5 MiB
)

// Limits bounds the work one override may cause. A zero or negative field
// means its default.
type Limits struct {
	// MaxOperations caps the operations of one JSON patch.
	// Default DefaultMaxOperations.
	MaxOperations int
	// MaxValueBytes caps the size of an override's value.
	// Default DefaultMaxValueBytes.
	MaxValueBytes int
	// MaxObjectBytes caps the size of the patched object, and the bytes that
	// JSON patch "copy" operations may add. Default DefaultMaxObjectBytes.
	MaxObjectBytes int
}

func (l Limits) withDefaults() Limits {
	if l.MaxOperations <= 0 {
		l.MaxOperations = DefaultMaxOperations
	}
	if l.MaxValueBytes <= 0 {
		l.MaxValueBytes = DefaultMaxValueBytes
	}
	if l.MaxObjectBytes <= 0 {
		l.MaxObjectBytes = DefaultMaxObjectBytes
	}
	return l
}

// Error is the error returned by Validate and Apply. Its message starts with
// `override "NAME" (TYPE): `; callers add file, object and cluster.
type Error struct {
	Override string // the override's name
	Type     Type   // the override's type, as written
	Err      error  // what went wrong
}

func (e *Error) Error() string {
	return fmt.Sprintf("override %q (%s): %v", e.Override, printableType(e.Type), e.Err)
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// printableType keeps a user-written type on one short, readable line.
func printableType(t Type) string {
	if t == "" {
		return "no type"
	}
	plain := len(t) <= 64 && !strings.ContainsFunc(string(t), func(r rune) bool {
		return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9')
	})
	if !plain {
		return fmt.Sprintf("%.64q", string(t))
	}
	return string(t)
}

// Validate checks an override without a target object: a supported type, a
// value within limits that parses as JSON or YAML and has the shape the type
// needs (valid operations for a JSON patch, an object for a merge patch), and
// fieldPath and fieldFormat set exactly for the Field* types.
func Validate(o Override, l Limits) error {
	_, err := compile(o, l.withDefaults())
	return err
}

// Apply applies the override to obj, a Kubernetes object as JSON, and
// returns the patched object as compact JSON with sorted keys. obj is not
// modified. All errors are *Error.
func Apply(obj []byte, o Override, l Limits) ([]byte, error) {
	l = l.withDefaults()
	p, err := compile(o, l)
	if err != nil {
		return nil, err
	}
	out, err := p.apply(obj, l)
	if err != nil {
		return nil, &Error{Override: o.Name, Type: o.Type, Err: err}
	}
	return out, nil
}

var errHelm = errors.New("override type Helm is not supported: manifold renders plain manifests and kustomize; use JSONPatch or MergePatch")

func errUnknownType(t Type) error {
	supported := "supported types are JSONPatch, MergePatch, FieldJSONPatch and FieldMergePatch"
	if t == "" {
		return errors.New("type is missing: " + supported)
	}
	return fmt.Errorf("unknown type %s: %s", printableType(t), supported)
}

// printablePath shows a JSON pointer as written, or quoted when it is empty
// or holds characters that would garble a log line.
func printablePath(p string) string {
	if p == "" || len(p) > 256 || !utf8.ValidString(p) || strings.ContainsFunc(p, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '"' }) {
		return fmt.Sprintf("%.256q", p)
	}
	return p
}
