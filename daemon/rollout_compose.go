package daemon

import (
	"context"
	"fmt"

	"github.com/manifold-gitops/manifold/api"
	"github.com/manifold-gitops/manifold/render"
	"github.com/manifold-gitops/manifold/rollout"
)

// composeSets picks, for each cluster of one subscription, the target set
// or the stable one. A cluster without a set at the revision it runs gets
// none (the subscription is not, or no longer, delivered there).
func composeSets(target, stable *render.Result, stableErr error, sub string, spec *api.Rollout, st rollout.State) ([]*render.DesiredSet, *composedWaves) {
	targetSets := map[string]*render.DesiredSet{}
	for _, s := range subscriptionSets(target, sub) {
		targetSets[s.Cluster] = s
	}
	stableSets := map[string]*render.DesiredSet{}
	if stableErr == nil {
		for _, s := range subscriptionSets(stable, sub) {
			stableSets[s.Cluster] = s
		}
	}
	var clusters []*api.Cluster
	for _, c := range target.Clusters {
		name := c.Metadata.Name
		if targetSets[name] != nil || stableSets[name] != nil || stableErr != nil {
			clusters = append(clusters, c)
		}
	}
	w := &composedWaves{waves: rollout.Plan(spec, clusters), delivered: map[string]bool{}}
	var sets []*render.DesiredSet
	for _, c := range clusters {
		name := c.Metadata.Name
		set := stableSets[name]
		switch {
		case st.RunsTarget(w.waves, name):
			set = targetSets[name]
		case stableErr != nil && targetSets[name] != nil:
			// Never an empty set: nothing is applied or pruned there.
			set = &render.DesiredSet{Cluster: name, Subscription: sub,
				Err: fmt.Errorf("rollout of %s: stable revision %s: %w", sub, st.Stable, stableErr)}
		}
		if set != nil {
			sets = append(sets, set)
			w.delivered[name] = true
		}
	}
	return sets, w
}

// renderStable renders an earlier revision with the standby clusters of
// the head's render. The snapshot read last is kept, and the renderer's
// cache makes rendering it again cheap.
func (d *Daemon) renderStable(ctx context.Context, revision string, standby map[string]map[string]string) (*render.Result, error) {
	ro := d.rollouts
	if ro.stable == nil || ro.stable.Revision != revision {
		snap, err := d.opts.Source.Snapshot(ctx, revision)
		if err != nil {
			return nil, err
		}
		ro.stable = snap
	}
	r := d.opts.Renderer.RenderWith(ctx, ro.stable, render.Options{Standby: standby})
	if r.Err != nil {
		return nil, fmt.Errorf("revision %s: %w", revision, r.Err)
	}
	return r, nil
}

// standbyOf returns the standby clusters res was rendered with:
// subscription → standby cluster → the target it stands in for.
func standbyOf(res *render.Result) map[string]map[string]string {
	var out map[string]map[string]string
	for _, s := range res.Sets {
		if s.StandbyFor == "" {
			continue
		}
		if out == nil {
			out = map[string]map[string]string{}
		}
		if out[s.Subscription] == nil {
			out[s.Subscription] = map[string]string{}
		}
		out[s.Subscription][s.Cluster] = s.StandbyFor
	}
	return out
}

// setHashes returns the hashes of sets by cluster ("" for a set that
// failed to render).
func setHashes(sets []*render.DesiredSet) map[string]string {
	out := make(map[string]string, len(sets))
	for _, s := range sets {
		out[s.Cluster] = s.Hash
	}
	return out
}

func subscriptionSets(r *render.Result, sub string) []*render.DesiredSet {
	var out []*render.DesiredSet
	for _, s := range r.Sets {
		if s.Subscription == sub {
			out = append(out, s)
		}
	}
	return out
}
