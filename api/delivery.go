package api

// Rollout failure policies.
const (
	OnFailureHalt     = "Halt"
	OnFailureRollback = "Rollback"
)

// Rollout spreads a new revision over the subscription's clusters in waves:
// a wave starts when every cluster of the previous one is healthy and has
// stayed healthy for its soak time. Clusters not yet promoted keep the
// previous revision.
type Rollout struct {
	Waves []Wave `yaml:"waves"`
	// ProgressDeadline bounds how long a wave may take to become healthy.
	ProgressDeadline Duration `yaml:"progressDeadline,omitempty"`
	// OnFailure is Halt (default: stop the rollout at the failed wave) or
	// Rollback (re-apply the previous revision to the failed wave).
	OnFailure string `yaml:"onFailure,omitempty"`
}

// Wave is one step of a rollout: named clusters, clusters matching an
// affinity, or (neither given) every target not in an earlier wave.
type Wave struct {
	Name            string         `yaml:"name"`
	Clusters        []string       `yaml:"clusters,omitempty"`
	ClusterAffinity *LabelSelector `yaml:"clusterAffinity,omitempty"`
	// Soak is how long the wave must stay healthy before the next starts.
	Soak Duration `yaml:"soak,omitempty"`
}

// Failover moves a subscription's workloads to standby clusters while a
// target is unhealthy, and back once it has recovered.
type Failover struct {
	Standby Standby `yaml:"standby"`
	// UnhealthyAfter is how long a target must be unreachable or unhealthy
	// before its workloads go to a standby cluster.
	UnhealthyAfter Duration `yaml:"unhealthyAfter,omitempty"`
	// FailbackAfter is how long a failed target must be healthy again before
	// the standby copy is removed.
	FailbackAfter Duration `yaml:"failbackAfter,omitempty"`
}

// Standby selects the clusters that take over for a failed target.
type Standby struct {
	ClusterAffinity *LabelSelector `yaml:"clusterAffinity"`
}

// Traffic keeps DNS records pointing at the healthy clusters serving the
// subscription, through an external-dns DNSEndpoint object.
type Traffic struct {
	Hosts       []string       `yaml:"hosts"`
	DNSEndpoint DNSEndpointRef `yaml:"dnsEndpoint"`
}

// DNSEndpointRef names the DNSEndpoint manifold maintains, on a declared
// cluster (typically a management cluster).
type DNSEndpointRef struct {
	Cluster   string `yaml:"cluster"`
	Namespace string `yaml:"namespace"`
	Name      string `yaml:"name"`
}
