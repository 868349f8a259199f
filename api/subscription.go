package api

// Scheduling strategies of a Subscription. Replication (the default) gives
// every target cluster the full replica count of each workload; Dividing
// splits it between the target clusters by subscriber weight.
const (
	SchedulingReplication = "Replication"
	SchedulingDividing    = "Dividing"
)

// Types of dividing scheduling. Static (the default) divides by the
// subscribers' weights; Dynamic (by cluster capacity) is not supported yet.
const (
	DividingStatic  = "Static"
	DividingDynamic = "Dynamic"
)

// Subscription is a distribution policy: which resources go to which clusters.
type Subscription struct {
	TypeMeta `yaml:",inline"`
	Metadata ObjectMeta       `yaml:"metadata"`
	Spec     SubscriptionSpec `yaml:"spec"`
	Origin   Origin           `yaml:"-"`
}

// SubscriptionSpec is the body of a Subscription. Fields Clusternet defines
// but manifold does not use (schedulerName, clusterTolerations) are accepted
// so Clusternet objects load unchanged.
type SubscriptionSpec struct {
	SchedulerName      string              `yaml:"schedulerName,omitempty"`
	SchedulingStrategy string              `yaml:"schedulingStrategy,omitempty"`
	DividingScheduling *DividingScheduling `yaml:"dividingScheduling,omitempty"`
	Subscribers        []Subscriber        `yaml:"subscribers"`
	ClusterTolerations []map[string]any    `yaml:"clusterTolerations,omitempty"`
	// Feeds selects resources of the source; empty means all of them.
	Feeds []Feed `yaml:"feeds,omitempty"`
	// Source is where the resources are; default: the folder holding the
	// Subscription's file.
	Source *Source `yaml:"source,omitempty"`
	// Prune tunes pruning for this subscription.
	Prune *PrunePolicy `yaml:"prune,omitempty"`
	// Rollout delivers new revisions wave by wave.
	Rollout *Rollout `yaml:"rollout,omitempty"`
	// Failover moves workloads to standby clusters while a target is down.
	Failover *Failover `yaml:"failover,omitempty"`
	// Traffic keeps DNS pointing at the healthy clusters serving the app.
	Traffic *Traffic `yaml:"traffic,omitempty"`
}

// DividingScheduling configures how replicas are divided between clusters.
type DividingScheduling struct {
	// Type is Static (the default when empty) or Dynamic (refused).
	Type            string         `yaml:"type"`
	DynamicDividing map[string]any `yaml:"dynamicDividing,omitempty"`
}

// Subscriber selects target clusters by label.
type Subscriber struct {
	ClusterAffinity *LabelSelector `yaml:"clusterAffinity"`
	// Weight is the static weight of the clusters this subscriber selects
	// when the subscription divides replicas; a cluster selected by several
	// subscribers has the sum of their weights. Replication ignores it.
	Weight int32 `yaml:"weight,omitempty"`
}

// Feed selects resources, by name or by feedSelector.
type Feed struct {
	APIVersion   string         `yaml:"apiVersion"`
	Kind         string         `yaml:"kind"`
	Name         string         `yaml:"name,omitempty"`
	Namespace    string         `yaml:"namespace,omitempty"`
	FeedSelector *LabelSelector `yaml:"feedSelector,omitempty"`
}

// Source is a folder of the config repository holding a subscription's
// resources, optionally with per-cluster kustomize overlays.
type Source struct {
	// Path is relative to the repository root.
	Path string `yaml:"path,omitempty"`
	// Overlays is a folder, relative to the repository root, holding one
	// kustomize overlay per cluster: <overlays>/<cluster name>/. When a
	// cluster's overlay exists it replaces the plain source build for it.
	Overlays string `yaml:"overlays,omitempty"`
}

// PrunePolicy tunes pruning for one subscription.
type PrunePolicy struct {
	// AllowEmpty lets an empty render prune a non-empty inventory.
	AllowEmpty bool `yaml:"allowEmpty,omitempty"`
}

// Divides reports whether the subscription divides replicas between its
// clusters (schedulingStrategy Dividing) rather than replicating them.
func (s *SubscriptionSpec) Divides() bool {
	return s.SchedulingStrategy == SchedulingDividing
}
