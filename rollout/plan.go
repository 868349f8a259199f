// Package rollout owns progressive delivery of a subscription's new
// revisions: which clusters belong to which wave (Plan), what a new revision
// means for a rollout (Start), how health observed after a sync moves it on
// (Advance), and which clusters run the new revision meanwhile (RunsTarget).
// It is pure: time and health are inputs, so every rule is a table test.
// Storing the state is Store's job; rendering and syncing are the daemon's.
//
// The rules:
//   - A rollout starts when a revision changes the subscription's rendered
//     output: its per-cluster desired-set hashes differ from those of the
//     stable revision (the last one whose rollout completed). A revision
//     with the same output completes at once, with no waves.
//   - The first revision seen for a subscription with spec.rollout (no
//     stable revision yet) goes everywhere at once: nothing runs to protect.
//   - A wave's clusters get the target revision; a later wave starts when
//     every cluster of the wave is healthy and has stayed healthy for the
//     wave's soak. Clusters of later waves keep the stable revision.
//   - A wave not healthy within progressDeadline of its start fails. The
//     deadline bounds becoming healthy: a wave that turns unhealthy during
//     its soak after the deadline has passed fails at once. Halt leaves
//     every promoted cluster on the target; Rollback returns every promoted
//     cluster (the failed wave and the earlier ones) to the stable revision.
//     Halted and RolledBack are final until a revision with a different
//     output arrives.
//   - A newer revision supersedes a rollout in progress and starts again from
//     the first wave; the stable revision stays the last completed one. A
//     newer revision with the same output as the target (an unrelated
//     commit) is followed in place: the rollout keeps its wave and timers.
package rollout

import (
	"sort"

	"github.com/manifold-gitops/manifold/api"
	"k8s.io/apimachinery/pkg/labels"
)

// Plan assigns clusters to the waves of r, sorted by name within a wave. A
// cluster goes to the first wave naming it or matching its affinity; the
// last wave, when it names none and has no affinity, takes the rest; a
// cluster matching no wave goes to the last wave. A wave may be empty.
func Plan(r *api.Rollout, clusters []*api.Cluster) [][]string {
	waves := make([][]string, len(r.Waves))
	if len(waves) == 0 {
		return nil
	}
	for _, c := range clusters {
		name := c.Metadata.Name
		i := waveOf(r, c)
		waves[i] = append(waves[i], name)
	}
	for _, w := range waves {
		sort.Strings(w)
	}
	return waves
}

// waveOf returns the index of the wave c belongs to.
func waveOf(r *api.Rollout, c *api.Cluster) int {
	set := labels.Set(c.Labels())
	for i, w := range r.Waves {
		for _, n := range w.Clusters {
			if n == c.Metadata.Name {
				return i
			}
		}
		if w.ClusterAffinity != nil {
			if sel, err := w.ClusterAffinity.Selector(); err == nil && sel.Matches(set) {
				return i
			}
		}
	}
	return len(r.Waves) - 1
}
