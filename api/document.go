package api

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// Document is one YAML document of a file, with its identity read out.
type Document struct {
	Origin     Origin
	APIVersion string
	Kind       string
	Name       string
	Namespace  string
	// Node is the document's root mapping.
	Node *yaml.Node
	// index is the document's position in its file, counting every document.
	index int
}

// Subject names the document the way manifold prints objects: Kind/name or
// Kind/namespace/name.
func (d *Document) Subject() string {
	return Subject(d.Kind, d.Namespace, d.Name)
}

// Subject formats an object identity as Kind/name or Kind/namespace/name.
func Subject(kind, namespace, name string) string {
	if namespace == "" {
		return kind + "/" + name
	}
	return kind + "/" + namespace + "/" + name
}

var yamlLinePrefix = regexp.MustCompile(`^(?:yaml: )?line (\d+): `)

// ParseDocuments splits a YAML file into documents, skipping empty ones.
// Invalid YAML is an error naming file:line.
func ParseDocuments(file string, data []byte) ([]Document, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []Document
	for index := 0; ; index++ {
		var root yaml.Node
		err := dec.Decode(&root)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return docs, yamlError(file, 0, "", err)
		}
		if root.Kind != yaml.DocumentNode || len(root.Content) == 0 {
			continue
		}
		body := root.Content[0]
		if body.Kind == yaml.ScalarNode && body.Tag == "!!null" {
			continue
		}
		doc := Document{Origin: Origin{File: file, Line: body.Line}, Node: body, index: index}
		if body.Kind == yaml.MappingNode {
			doc.APIVersion = scalarAt(body, "apiVersion")
			doc.Kind = scalarAt(body, "kind")
			if meta := valueAt(body, "metadata"); meta != nil {
				doc.Name = scalarAt(meta, "name")
				doc.Namespace = scalarAt(meta, "namespace")
			}
		}
		docs = append(docs, doc)
	}
}

// yamlError turns a yaml.v3 error into file:line errors. yaml.v3 reports
// "line N: ..." for syntax errors and a list of them for type errors.
func yamlError(file string, fallbackLine int, object string, err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		var out Errors
		for _, msg := range te.Errors {
			out = append(out, lineError(file, fallbackLine, object, msg))
		}
		return out.Err()
	}
	return lineError(file, fallbackLine, object, err.Error())
}

func lineError(file string, fallbackLine int, object, msg string) *Error {
	line := fallbackLine
	if m := yamlLinePrefix.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = msg[len(m[0]):]
	} else if len(msg) > 6 && msg[:6] == "yaml: " {
		msg = msg[6:]
	}
	return &Error{Origin: Origin{File: file, Line: line}, Object: object, Err: fmt.Errorf("%s", msg)}
}

// valueAt returns the value node of key in a mapping node, or nil.
func valueAt(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func scalarAt(m *yaml.Node, key string) string {
	v := valueAt(m, key)
	if v == nil || v.Kind != yaml.ScalarNode {
		return ""
	}
	return v.Value
}
