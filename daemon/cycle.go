package daemon

import (
	"context"
	"time"

	"github.com/manifold-gitops/manifold/reconciler"
	"github.com/manifold-gitops/manifold/render"
	"github.com/manifold-gitops/manifold/status"
)

// cycle polls Git and, when the branch moved or drift was reported, renders
// and syncs the head revision, then records the outcome.
func (d *Daemon) cycle(ctx, watchCtx context.Context) {
	start := time.Now()
	snap, changed, err := d.opts.Source.Poll(ctx)
	d.mu.Lock()
	d.lastErr = err
	drifted := d.drifted
	d.drifted = false
	d.mu.Unlock()
	if err != nil {
		d.opts.Metrics.gitErrors.Inc()
		d.opts.Log.Error("git", "err", err)
		if snap = d.opts.Source.Last(); snap == nil || !drifted {
			return // keep serving the last good revision
		}
	}
	if snap == nil || (!changed && !drifted && d.synced(snap.Revision)) {
		return
	}
	res := d.opts.Renderer.RenderWith(ctx, snap, render.Options{Standby: d.standbyTargets()})
	res = d.composeRollout(ctx, snap, res)
	// Watch the new desired state before applying it, so the events of
	// manifold's own writes are compared with what it is writing.
	d.watcher.Watch(watchCtx, res)
	approvals := d.failoverApprovals(reconciler.ParseApprovals(snap.Message))
	rep := d.opts.Reconciler.Sync(ctx, res, approvals)
	d.watcher.Watch(watchCtx, res) // kinds whose CRDs this sync created
	d.observeRollout(ctx, res, rep)
	d.observeFailover(ctx, res, rep)
	d.mu.Lock()
	prev := d.note
	d.mu.Unlock()
	note := status.Carry(prev, status.FromReport(rep, res.Problems, d.opts.Now()))
	note.Decisions = d.noteDecisions(prev, note.Revision)
	note.Rollouts = d.rolloutNotes(snap.Revision)
	d.opts.Metrics.observe(rep, time.Since(start))
	d.opts.Log.Info("synced", "revision", snap.Revision, "outcome", note.Outcome, "counts", note.Counts(), "took", time.Since(start).Round(time.Millisecond))

	d.mu.Lock()
	d.note = note
	d.lastSynced = snap.Revision
	if !rep.Failed() {
		d.ready = true
	}
	write := d.fingerprint[snap.Revision] != note.Fingerprint()
	d.fingerprint = map[string]string{snap.Revision: note.Fingerprint()}
	d.mu.Unlock()
	if write {
		d.writeNote(ctx, snap.Revision, note)
	}
	if settling(note) {
		// Check again soon, so the note records the health the rollout
		// reaches; a steady, healthy state schedules nothing.
		d.mu.Lock()
		d.drifted = true
		d.mu.Unlock()
		time.AfterFunc(d.opts.HealthRecheck, func() { d.Trigger("health") })
	}
}

// settling reports whether a synced revision is still on its way to
// healthy: something is progressing and nothing failed.
func settling(n *status.Note) bool {
	if n.Outcome != status.OutcomeSynced {
		return false
	}
	for _, c := range n.Clusters {
		for _, s := range c.Subscriptions {
			if s.Health == string(reconciler.Progressing) {
				return true
			}
		}
	}
	return false
}

// synced reports whether revision was synced last.
func (d *Daemon) synced(revision string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.lastSynced == revision
}

// writeNote records the note locally and pushes it; a failure is logged and
// counted, and never stops syncing.
func (d *Daemon) writeNote(ctx context.Context, revision string, note *status.Note) {
	if revision == "" {
		return
	}
	if err := d.opts.Source.WriteNote(ctx, revision, note.YAML()); err != nil {
		d.opts.Metrics.noteErrors.Inc()
		d.opts.Log.Error("writing status note", "revision", revision, "err", err)
		return
	}
	if err := d.opts.Source.PushNotes(ctx); err != nil {
		d.opts.Metrics.noteErrors.Inc()
		d.opts.Log.Error("pushing status notes", "revision", revision, "err", err)
		return
	}
	d.opts.Metrics.notePushes.Inc()
}
