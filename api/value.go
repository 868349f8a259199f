package api

import (
	"encoding/json"
	"fmt"

	"go.yaml.in/yaml/v3"
)

// PatchValue is an override's value. In YAML it is usually a string holding
// JSON or YAML (Clusternet's form); a structure written inline is accepted
// too and kept as its JSON encoding.
type PatchValue string

// UnmarshalYAML implements yaml.Unmarshaler.
func (v *PatchValue) UnmarshalYAML(node *yaml.Node) error {
	if node.Kind == yaml.ScalarNode && (node.Tag == "!!str" || node.Tag == "") {
		*v = PatchValue(node.Value)
		return nil
	}
	var decoded any
	if err := node.Decode(&decoded); err != nil {
		return err
	}
	b, err := json.Marshal(decoded)
	if err != nil {
		return fmt.Errorf("line %d: value cannot be encoded as JSON: %v", node.Line, err)
	}
	*v = PatchValue(b)
	return nil
}
