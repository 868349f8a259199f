package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"time"

	"github.com/manifold-gitops/manifold/api"
	"github.com/manifold-gitops/manifold/gitsource"
	"github.com/manifold-gitops/manifold/reconciler"
	"github.com/manifold-gitops/manifold/render"
	"github.com/manifold-gitops/manifold/rollout"
	"github.com/manifold-gitops/manifold/status"
)

// RolloutStateFile is the file under Options.StateDir holding the rollout
// states, so a restarted daemon resumes every rollout where it was.
const RolloutStateFile = "rollouts.json"

// rollouts is the daemon's rollout bookkeeping. Only the cycle goroutine
// uses it.
type rollouts struct {
	store   *rollout.Store // nil: states are kept in memory only
	loadErr error          // the store could not be read: rollouts are held
	states  map[string]rollout.State
	saved   string // the states as last saved
	// specs are the rollout settings of the subscriptions of the revision
	// synced last; waves are their composed waves, for observeRollout.
	specs map[string]*api.Rollout
	waves map[string]*composedWaves
	// stable is the snapshot of a stable revision last read.
	stable *gitsource.Snapshot
	timer  *time.Timer
}

// composedWaves is how composeRollout spread one subscription over its
// clusters.
type composedWaves struct {
	waves     [][]string
	delivered map[string]bool // clusters given a desired set of the subscription
}

func newRollouts(opts Options) *rollouts {
	ro := &rollouts{states: map[string]rollout.State{}}
	if opts.StateDir == "" || opts.Source == nil {
		return ro
	}
	ro.store = rollout.NewStore(filepath.Join(opts.StateDir, RolloutStateFile), opts.Source.URL())
	states, err := ro.store.Load()
	if err != nil {
		ro.loadErr = fmt.Errorf("%w: rollouts are held until the file is repaired or removed (removing it delivers the next revisions everywhere at once)", err)
		return ro
	}
	ro.states = states
	ro.saved = encodeStates(states)
	return ro
}

// composeRollout returns the desired state to sync for res: subscriptions
// with rollout waves keep their clusters not yet promoted (or rolled back)
// on the stable revision, rendered from Git history. Without rollouts it
// returns res.
func (d *Daemon) composeRollout(ctx context.Context, snap *gitsource.Snapshot, res *render.Result) *render.Result {
	ro := d.rollouts
	ro.waves = map[string]*composedWaves{}
	if res.Err != nil {
		return res // nothing is synced at this revision
	}
	ro.specs = map[string]*api.Rollout{}
	for _, sub := range res.Policies.Subscriptions {
		if sub.Spec.Rollout != nil && len(sub.Spec.Rollout.Waves) > 0 {
			ro.specs[sub.Metadata.Name] = sub.Spec.Rollout
		}
	}
	for name := range ro.states {
		if ro.specs[name] == nil {
			delete(ro.states, name) // spec.rollout removed: revisions go everywhere at once
		}
	}
	if len(ro.specs) == 0 {
		d.saveRollouts()
		return res
	}
	out := *res
	out.Sets = nil
	bySub := map[string][]*render.DesiredSet{}
	for _, s := range res.Sets {
		if ro.specs[s.Subscription] == nil {
			out.Sets = append(out.Sets, s)
		} else {
			bySub[s.Subscription] = append(bySub[s.Subscription], s)
		}
	}
	renders := map[string]*render.Result{res.Revision: res}
	renderAt := func(rev string) (*render.Result, error) {
		if r, ok := renders[rev]; ok {
			return r, r.Err
		}
		r, err := d.renderStable(ctx, rev, standbyOf(res))
		if err != nil {
			r = &render.Result{Revision: rev, Err: err}
		}
		renders[rev] = r
		return r, r.Err
	}
	now := d.opts.Now()
	for _, name := range sortedKeys(ro.specs) {
		if ro.loadErr != nil {
			for _, s := range bySub[name] {
				out.Sets = append(out.Sets, &render.DesiredSet{Cluster: s.Cluster, Subscription: name, Err: ro.loadErr})
			}
			continue
		}
		var prev *rollout.State
		if st, ok := ro.states[name]; ok {
			prev = &st
		}
		st := rollout.Start(prev, res.Revision, setHashes(bySub[name]), func() map[string]string {
			r, err := renderAt(prev.Stable)
			if err != nil {
				return nil
			}
			return setHashes(subscriptionSets(r, name))
		}, now)
		if prev == nil || prev.Target != st.Target {
			d.logRollout(name, st)
		}
		ro.states[name] = st
		if st.Phase == rollout.Completed {
			out.Sets = append(out.Sets, bySub[name]...)
			continue
		}
		stable, stableErr := renderAt(st.Stable)
		sets, w := composeSets(res, stable, stableErr, name, ro.specs[name], st)
		out.Sets = append(out.Sets, sets...)
		ro.waves[name] = w
	}
	sort.SliceStable(out.Sets, func(i, j int) bool {
		a, b := out.Sets[i], out.Sets[j]
		if a.Cluster != b.Cluster {
			return a.Cluster < b.Cluster
		}
		return a.Subscription < b.Subscription
	})
	d.saveRollouts()
	return &out
}

// observeRollout feeds the health the sync found into every rollout in
// progress, records the states and schedules the next evaluation.
func (d *Daemon) observeRollout(ctx context.Context, res *render.Result, rep *reconciler.Report) {
	ro := d.rollouts
	now := d.opts.Now()
	var wake time.Time
	resync := false
	for _, name := range sortedKeys(ro.waves) {
		w, st := ro.waves[name], ro.states[name]
		if !st.Phase.Active() {
			continue
		}
		healthy := map[string]bool{}
		for _, wave := range w.waves {
			for _, c := range wave {
				healthy[c] = healthyFor(rep, c, name, w.delivered[c])
			}
		}
		next := rollout.Advance(st, ro.specs[name], w.waves, healthy, now)
		ro.states[name] = next
		if next.Phase != st.Phase || next.Wave != st.Wave {
			d.logRollout(name, next)
		}
		if next.Wave != st.Wave || next.Phase == rollout.Completed || next.Phase == rollout.RolledBack {
			resync = true // the next wave, or every cluster, changes revision
		}
		if at := next.Wake(ro.specs[name]); !at.IsZero() && (wake.IsZero() || at.Before(wake)) {
			wake = at
		}
	}
	d.saveRollouts()
	d.opts.Metrics.observeRollouts(ro.states)
	switch {
	case resync:
		d.recheckRollouts(0)
	case !wake.IsZero():
		d.recheckRollouts(min(d.opts.HealthRecheck, max(wake.Sub(now), 0)+10*time.Millisecond))
	}
}

// healthyFor reports whether a cluster runs its set of sub healthy. A
// cluster given no set has nothing to wait for, unless it reported a failure.
func healthyFor(rep *reconciler.Report, cluster, sub string, delivered bool) bool {
	for _, c := range rep.Clusters {
		if c.Name != cluster {
			continue
		}
		for _, s := range c.Sets {
			if s.Subscription == sub {
				return !s.Failed() && s.Health == reconciler.Healthy
			}
		}
	}
	return !delivered
}

// recheckRollouts re-syncs the same revision after delay, so a rollout
// moves on although Git does not.
func (d *Daemon) recheckRollouts(delay time.Duration) {
	ro := d.rollouts
	if ro.timer != nil {
		ro.timer.Stop()
	}
	ro.timer = time.AfterFunc(delay, func() {
		d.mu.Lock()
		d.drifted = true
		d.mu.Unlock()
		d.Trigger("rollout")
	})
}

// rolloutNotes describes the rollouts of revision.
func (d *Daemon) rolloutNotes(revision string) []status.RolloutNote {
	ro := d.rollouts
	var notes []status.RolloutNote
	for _, name := range sortedKeys(ro.specs) {
		st, ok := ro.states[name]
		if !ok || st.Target != revision {
			continue
		}
		spec := ro.specs[name]
		n := status.RolloutNote{Subscription: name, Revision: st.Target, Stable: st.Stable,
			State: string(st.Phase), Message: st.Message, Done: st.Done(spec)}
		if st.Wave < len(spec.Waves) {
			n.Wave = spec.Waves[st.Wave].Name
		}
		if w := ro.waves[name]; w != nil {
			for _, wave := range w.waves {
				for _, c := range wave {
					if !st.RunsTarget(w.waves, c) {
						n.OnStable = append(n.OnStable, c)
					}
				}
			}
			sort.Strings(n.OnStable)
		}
		notes = append(notes, n)
	}
	return notes
}

// saveRollouts writes the states when they changed. A failure is logged:
// the rollout goes on from memory.
func (d *Daemon) saveRollouts() {
	ro := d.rollouts
	enc := encodeStates(ro.states)
	if ro.store == nil || ro.loadErr != nil || enc == ro.saved {
		return
	}
	if err := ro.store.Save(ro.states); err != nil {
		d.opts.Log.Error("saving rollout state", "err", err)
		return
	}
	ro.saved = enc
}

func (d *Daemon) logRollout(sub string, st rollout.State) {
	d.opts.Log.Info("rollout", "subscription", sub, "revision", st.Target, "stable", st.Stable,
		"wave", st.Wave, "state", st.Phase, "message", st.Message)
}

func encodeStates(states map[string]rollout.State) string {
	b, _ := json.Marshal(states) // plain fields only
	return string(b)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
