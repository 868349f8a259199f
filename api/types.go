package api

import "fmt"

// API groups and versions accepted for policy objects.
const (
	// GroupVersion is manifold's own API version, valid for every policy kind.
	GroupVersion = "manifold.dev/v1alpha1"
	// ClusternetGroupVersion is Clusternet's API version, accepted for
	// Subscription, Localization and Globalization.
	ClusternetGroupVersion = "apps.clusternet.io/v1alpha1"
)

// Policy kinds.
const (
	KindCluster       = "Cluster"
	KindSubscription  = "Subscription"
	KindLocalization  = "Localization"
	KindGlobalization = "Globalization"
)

// Labels every cluster carries implicitly, so Clusternet-style affinities work.
const (
	LabelClusternetClusterName = "clusters.clusternet.io/cluster-name"
	LabelCluster               = "manifold.dev/cluster"
)

// Origin is where an object was declared in the config repository.
type Origin struct {
	File string // slash-separated path relative to the repository root
	Line int    // 1-based line of the document's first key
}

// String formats the origin as file:line.
func (o Origin) String() string {
	if o.Line == 0 {
		return o.File
	}
	return fmt.Sprintf("%s:%d", o.File, o.Line)
}

// TypeMeta is an object's apiVersion and kind.
type TypeMeta struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
}

// ObjectMeta is the subset of Kubernetes object metadata a policy object uses.
type ObjectMeta struct {
	Name        string            `yaml:"name"`
	Namespace   string            `yaml:"namespace,omitempty"`
	Labels      map[string]string `yaml:"labels,omitempty"`
	Annotations map[string]string `yaml:"annotations,omitempty"`
}

// LabelSelector selects objects (or clusters) by labels, as metav1.LabelSelector.
type LabelSelector struct {
	MatchLabels      map[string]string          `yaml:"matchLabels,omitempty"`
	MatchExpressions []LabelSelectorRequirement `yaml:"matchExpressions,omitempty"`
}

// LabelSelectorRequirement is one expression of a LabelSelector.
type LabelSelectorRequirement struct {
	Key      string   `yaml:"key"`
	Operator string   `yaml:"operator"`
	Values   []string `yaml:"values,omitempty"`
}

// Cluster is a target cluster and where its credentials are.
type Cluster struct {
	TypeMeta `yaml:",inline"`
	Metadata ObjectMeta  `yaml:"metadata"`
	Spec     ClusterSpec `yaml:"spec"`
	Origin   Origin      `yaml:"-"`
}

// ClusterSpec describes a target cluster.
type ClusterSpec struct {
	// Namespace is an optional alias: Localizations whose metadata.namespace
	// equals it (or the cluster name) target this cluster.
	Namespace  string        `yaml:"namespace,omitempty"`
	Kubeconfig KubeconfigRef `yaml:"kubeconfig"`
}

// KubeconfigRef says where a cluster's kubeconfig is, never its content.
type KubeconfigRef struct {
	// File is relative to the daemon's credentials directory.
	File string `yaml:"file,omitempty"`
	// Context selects a context of the kubeconfig; empty means its current one.
	Context string `yaml:"context,omitempty"`
	// SecretRef names a Secret key holding the kubeconfig, for manifold
	// running inside a management cluster.
	SecretRef *SecretKeyRef `yaml:"secretRef,omitempty"`
}

// SecretKeyRef names one key of a Secret.
type SecretKeyRef struct {
	Namespace string `yaml:"namespace"`
	Name      string `yaml:"name"`
	Key       string `yaml:"key"`
}

// Labels returns the cluster's labels including the implicit ones.
func (c *Cluster) Labels() map[string]string {
	out := make(map[string]string, len(c.Metadata.Labels)+2)
	for k, v := range c.Metadata.Labels {
		out[k] = v
	}
	out[LabelClusternetClusterName] = c.Metadata.Name
	out[LabelCluster] = c.Metadata.Name
	return out
}
