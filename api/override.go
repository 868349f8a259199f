package api

// DefaultPriority is the priority of a Localization or Globalization that
// does not set one.
const DefaultPriority = 500

// Localization changes resources for one cluster, named by its
// metadata.namespace (the cluster's name or its spec.namespace alias).
type Localization struct {
	TypeMeta `yaml:",inline"`
	Metadata ObjectMeta       `yaml:"metadata"`
	Spec     LocalizationSpec `yaml:"spec"`
	Origin   Origin           `yaml:"-"`
}

// LocalizationSpec is the body of a Localization.
type LocalizationSpec struct {
	// OverridePolicy is accepted for Clusternet compatibility; manifold
	// always applies overrides at the next render.
	OverridePolicy string     `yaml:"overridePolicy,omitempty"`
	Priority       *int32     `yaml:"priority,omitempty"`
	Feed           Feed       `yaml:"feed"`
	Overrides      []Override `yaml:"overrides"`
}

// Globalization changes resources for every cluster its clusterAffinity
// matches (all clusters when absent).
type Globalization struct {
	TypeMeta `yaml:",inline"`
	Metadata ObjectMeta        `yaml:"metadata"`
	Spec     GlobalizationSpec `yaml:"spec"`
	Origin   Origin            `yaml:"-"`
}

// GlobalizationSpec is the body of a Globalization.
type GlobalizationSpec struct {
	OverridePolicy  string         `yaml:"overridePolicy,omitempty"`
	Priority        *int32         `yaml:"priority,omitempty"`
	ClusterAffinity *LabelSelector `yaml:"clusterAffinity,omitempty"`
	Feed            Feed           `yaml:"feed"`
	Overrides       []Override     `yaml:"overrides"`
}

// Override is one patch of a Localization or Globalization.
type Override struct {
	Name string `yaml:"name,omitempty"`
	Type string `yaml:"type"`
	// Value is the patch: a string holding JSON or YAML, or a YAML
	// structure written inline.
	Value PatchValue `yaml:"value"`
	// FieldPath and FieldFormat apply to FieldJSONPatch and FieldMergePatch:
	// a JSON pointer to a string field, and how that string is encoded.
	FieldPath   string `yaml:"fieldPath,omitempty"`
	FieldFormat string `yaml:"fieldFormat,omitempty"`
	// OverrideChart is accepted for Clusternet compatibility (Helm only).
	OverrideChart bool `yaml:"overrideChart,omitempty"`
}

// EffectivePriority returns the priority, defaulted.
func (s LocalizationSpec) EffectivePriority() int32 { return priorityOrDefault(s.Priority) }

// EffectivePriority returns the priority, defaulted.
func (s GlobalizationSpec) EffectivePriority() int32 { return priorityOrDefault(s.Priority) }

func priorityOrDefault(p *int32) int32 {
	if p == nil {
		return DefaultPriority
	}
	return *p
}
