package override

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	yamlv2 "go.yaml.in/yaml/v2"
	"sigs.k8s.io/yaml"
)

// decodeJSON decodes one JSON value into maps, slices, strings, bools, nil
// and json.Number, so that numbers are written back exactly as they came.
func decodeJSON(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, errors.New("unexpected data after the JSON value")
	}
	return v, nil
}

// encodeJSON writes v as compact JSON with sorted object keys.
func encodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	e := json.NewEncoder(&buf)
	e.SetEscapeHTML(false)
	if err := e.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// yamlToJSON converts a single YAML document to JSON. Duplicate keys and
// further non-empty documents are errors, so that nothing is dropped silently.
func yamlToJSON(b []byte) ([]byte, error) {
	d := yamlv2.NewDecoder(bytes.NewReader(b))
	for n := 0; ; n++ {
		var doc any
		err := d.Decode(&doc)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if n > 0 && doc != nil {
			return nil, errors.New("more than one YAML document")
		}
	}
	return yaml.YAMLToJSONStrict(b)
}

// kindOf names the JSON type of a decoded value, for errors that must not
// show the value itself.
func kindOf(v any) string {
	switch v.(type) {
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	default:
		return fmt.Sprintf("a %T", v)
	}
}

// parsePointer splits an RFC 6901 JSON pointer into unescaped reference
// tokens. The empty pointer (the whole document) has no tokens.
func parsePointer(p string) ([]string, error) {
	if p == "" {
		return nil, nil
	}
	if p[0] != '/' {
		return nil, errors.New(`it must be empty or start with "/"`)
	}
	tokens := strings.Split(p[1:], "/")
	for i, t := range tokens {
		for j := 0; j < len(t); j++ {
			if t[j] == '~' && (j+1 == len(t) || t[j+1] != '0' && t[j+1] != '1') {
				return nil, errors.New(`"~" must be followed by 0 or 1`)
			}
		}
		tokens[i] = strings.ReplaceAll(strings.ReplaceAll(t, "~1", "/"), "~0", "~")
	}
	return tokens, nil
}

// arrayIndex reads an RFC 6901 array index ("0" or digits without a leading
// zero) that must be below n.
func arrayIndex(t string, n int) (int, bool) {
	if t == "" || len(t) > 1 && t[0] == '0' || strings.TrimLeft(t, "0123456789") != "" {
		return 0, false
	}
	i, err := strconv.Atoi(t)
	return i, err == nil && i < n
}
