package render

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/manifold-gitops/manifold/api"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// LabelSubscription is the ownership label stamped on every rendered object.
const LabelSubscription = "manifold.dev/subscription"

// ObjectKey identifies an object without its version.
type ObjectKey struct {
	Group     string
	Kind      string
	Namespace string
	Name      string
}

// String formats the key as Kind/name or Kind/namespace/name, the way
// manifold prints subjects everywhere.
func (k ObjectKey) String() string { return api.Subject(k.Kind, k.Namespace, k.Name) }

// Less orders keys by group, kind, namespace, then name.
func (k ObjectKey) Less(o ObjectKey) bool {
	if k.Group != o.Group {
		return k.Group < o.Group
	}
	if k.Kind != o.Kind {
		return k.Kind < o.Kind
	}
	if k.Namespace != o.Namespace {
		return k.Namespace < o.Namespace
	}
	return k.Name < o.Name
}

// FileName is the key as a file name: group_kind_namespace_name.yaml.
func (k ObjectKey) FileName() string {
	return fmt.Sprintf("%s_%s_%s_%s.yaml", k.Group, k.Kind, k.Namespace, k.Name)
}

// Object is one rendered object, kept as canonical JSON (sorted keys).
type Object struct {
	Key        ObjectKey
	APIVersion string
	// JSON is the canonical encoding; it must not be modified.
	JSON []byte
	// Hash is the SHA-256 of JSON, hex-encoded.
	Hash string
	// Origin is the file the object came from, when known.
	Origin api.Origin
}

// Unstructured returns a fresh decoded copy of the object.
func (o *Object) Unstructured() (*unstructured.Unstructured, error) {
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(o.JSON); err != nil {
		return nil, fmt.Errorf("%s: %w", o.Key, err)
	}
	return u, nil
}

// YAML returns the object as YAML with sorted keys.
func (o *Object) YAML() ([]byte, error) { return yaml.JSONToYAML(o.JSON) }

// newObject canonicalises a decoded object.
func newObject(m map[string]any, origin api.Origin) (*Object, error) {
	data, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	return objectFromJSON(data, origin)
}

// objectFromJSON canonicalises JSON and reads the object's identity.
func objectFromJSON(data []byte, origin api.Origin) (*Object, error) {
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("object is not a JSON object: %w", err)
	}
	u := unstructured.Unstructured{Object: m}
	apiVersion, kind, name := u.GetAPIVersion(), u.GetKind(), u.GetName()
	if apiVersion == "" || kind == "" {
		return nil, fmt.Errorf("not a Kubernetes object: apiVersion and kind are required")
	}
	if name == "" {
		return nil, fmt.Errorf("%s: metadata.name is required", kind)
	}
	canonical, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	group, _, found := strings.Cut(apiVersion, "/")
	if !found {
		group = ""
	}
	sum := sha256.Sum256(canonical)
	return &Object{
		Key:        ObjectKey{Group: group, Kind: kind, Namespace: u.GetNamespace(), Name: name},
		APIVersion: apiVersion,
		JSON:       canonical,
		Hash:       hex.EncodeToString(sum[:]),
		Origin:     origin,
	}, nil
}

// withJSON returns a copy of o with new content of the same identity.
func (o *Object) withJSON(data []byte) *Object {
	sum := sha256.Sum256(data)
	c := *o
	c.JSON, c.Hash = data, hex.EncodeToString(sum[:])
	return &c
}

// labels returns the object's metadata.labels.
func (o *Object) labels() map[string]string {
	var m struct {
		Metadata struct {
			Labels map[string]string `json:"labels"`
		} `json:"metadata"`
	}
	_ = json.Unmarshal(o.JSON, &m)
	return m.Metadata.Labels
}

// withLabel returns a copy of o with label key=value set.
func (o *Object) withLabel(key, value string) (*Object, error) {
	var m map[string]any
	if err := json.Unmarshal(o.JSON, &m); err != nil {
		return nil, err
	}
	u := unstructured.Unstructured{Object: m}
	labels := u.GetLabels()
	if labels == nil {
		labels = map[string]string{}
	}
	labels[key] = value
	u.SetLabels(labels)
	return newObject(u.Object, o.Origin)
}

// DesiredSet is what one subscription delivers to one cluster.
type DesiredSet struct {
	Cluster      string
	Subscription string
	// Objects are sorted by key.
	Objects []*Object
	// Hash covers every object's key and hash.
	Hash string
	// Err is set when the set could not be rendered; Objects is then empty
	// and the set must not be synced (nor anything pruned for it).
	Err error
	// AllowEmptyPrune copies the subscription's spec.prune.allowEmpty.
	AllowEmptyPrune bool
	// StandbyFor names the failed target this standby set stands in for
	// (RenderWith's Options.Standby); empty for regular targets.
	StandbyFor string
}

// setHash hashes the keys and hashes of sorted objects.
func setHash(objs []*Object) string {
	h := sha256.New()
	for _, o := range objs {
		fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00%s\n", o.Key.Group, o.Key.Kind, o.Key.Namespace, o.Key.Name, o.Hash)
	}
	return hex.EncodeToString(h.Sum(nil))
}
