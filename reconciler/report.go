package reconciler

import (
	"github.com/manifold-gitops/manifold/render"
)

// Change is what happened to one object.
type Change struct {
	Key    render.ObjectKey
	Action Action
	Reason string
	Health Health
	Err    error
}

// ChangeSet is every change of one (cluster, subscription) sync.
type ChangeSet struct {
	Entries []Change
}

// Counts returns the number of changes per action.
func (cs ChangeSet) Counts() map[Action]int {
	out := map[Action]int{}
	for _, e := range cs.Entries {
		out[e.Action]++
	}
	return out
}

// SetReport is the outcome for one (cluster, subscription).
type SetReport struct {
	Cluster      string
	Subscription string
	Revision     string
	Changes      ChangeSet
	Health       Health
	// HeldReason explains held prunes.
	HeldReason string
	// Err is set when the set was not synced (render error, unreachable
	// cluster) or when some object failed.
	Err error
}

// Failed reports whether the set failed as a whole or in part.
func (s *SetReport) Failed() bool {
	if s.Err != nil {
		return true
	}
	for _, e := range s.Changes.Entries {
		if e.Action == Failed {
			return true
		}
	}
	return false
}

// ClusterReport is the outcome for one cluster.
type ClusterReport struct {
	Name      string
	Reachable bool
	Version   string
	// Err is a cluster-wide problem: unreachable, credentials, inventories.
	Err  error
	Sets []*SetReport
}

// Health is the worst health of the cluster's sets.
func (c *ClusterReport) Health() Health {
	if !c.Reachable {
		return Unknown
	}
	hs := make([]Health, 0, len(c.Sets))
	for _, s := range c.Sets {
		hs = append(hs, s.Health)
	}
	return WorstHealth(hs...)
}

// Report is the outcome of one sync of a revision.
type Report struct {
	Revision string
	// Err is set when nothing was synced (invalid policy objects).
	Err      error
	Clusters []*ClusterReport
}

// Failed reports whether anything failed.
func (r *Report) Failed() bool {
	if r.Err != nil {
		return true
	}
	for _, c := range r.Clusters {
		if c.Err != nil {
			return true
		}
		for _, s := range c.Sets {
			if s.Failed() {
				return true
			}
		}
	}
	return false
}
