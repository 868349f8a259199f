package daemon

import (
	"context"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/manifold-gitops/manifold/reconciler"
	"github.com/manifold-gitops/manifold/render"
	"github.com/manifold-gitops/manifold/status"
)

// cycle polls Git and, when the branch moved, drift was reported or the
// scope changed, renders and syncs the head revision to the clusters of the
// scope, then records the outcome. ctx ends when the scope's Lease is lost:
// then nothing more is written, not even the note.
func (d *Daemon) cycle(ctx, watchCtx context.Context, sc scope) {
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
	if snap == nil {
		return
	}
	synced := snap.Revision + "@" + sc.key()
	if !changed && !drifted && d.synced(synced) {
		return
	}
	full := d.opts.Renderer.RenderWith(ctx, snap, render.Options{Standby: d.standbyTargets()})
	if !sc.sharded() {
		full = d.composeRollout(ctx, snap, full)
	}
	res := sc.filter(full)
	// Watch the new desired state before applying it, so the events of
	// manifold's own writes are compared with what it is writing.
	d.watcher.Watch(watchCtx, res)
	approvals := d.failoverApprovals(reconciler.ParseApprovals(snap.Message))
	rep := d.opts.Reconciler.Sync(ctx, res, approvals)
	if sc.ctx.Err() != nil {
		d.opts.Log.Warn("lease lost during the sync: its outcome is not recorded", "revision", snap.Revision)
		return
	}
	d.watcher.Watch(watchCtx, res) // kinds whose CRDs this sync created
	if !sc.sharded() {
		d.observeRollout(ctx, res, rep)
	}
	d.observeFailover(ctx, full, rep, sc.owns)
	d.mu.Lock()
	prev := d.note
	d.mu.Unlock()
	note := status.Carry(prev, status.FromReport(rep, res.Problems, d.opts.Now()))
	note.Decisions = d.noteDecisions(prev, note.Revision)
	if !sc.sharded() {
		note.Rollouts = d.rolloutNotes(snap.Revision)
	}
	d.opts.Metrics.observe(rep, time.Since(start))
	d.opts.Log.Info("synced", "revision", snap.Revision, "outcome", note.Outcome, "counts", note.Counts(), "took", time.Since(start).Round(time.Millisecond))

	d.mu.Lock()
	d.note = note
	d.lastSynced = synced
	d.syncedClusters = d.syncedClusters[:0]
	for _, c := range res.Clusters {
		d.syncedClusters = append(d.syncedClusters, c.Metadata.Name)
	}
	if !rep.Failed() {
		d.ready = true
	}
	var writes []shardNote
	fingerprints := map[string]string{}
	for _, part := range sc.notes(note) {
		key := part.ref.String() + "@" + synced
		fingerprints[key] = part.note.Fingerprint()
		if d.fingerprint[key] != fingerprints[key] {
			writes = append(writes, part)
		}
	}
	d.fingerprint = fingerprints
	d.mu.Unlock()
	for _, part := range writes {
		d.writeNote(ctx, part.ref, snap.Revision, part.note)
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

// writeNote records the note locally under ref and pushes it; a failure is
// logged and counted, and never stops syncing.
func (d *Daemon) writeNote(ctx context.Context, ref plumbing.ReferenceName, revision string, note *status.Note) {
	if revision == "" || ctx.Err() != nil {
		return
	}
	if err := d.opts.Source.WriteNoteRef(ctx, ref, revision, note.YAML()); err != nil {
		d.opts.Metrics.noteErrors.Inc()
		d.opts.Log.Error("writing status note", "revision", revision, "err", err)
		return
	}
	if err := d.opts.Source.PushNotesRef(ctx, ref); err != nil {
		d.opts.Metrics.noteErrors.Inc()
		d.opts.Log.Error("pushing status notes", "revision", revision, "err", err)
		return
	}
	d.opts.Metrics.notePushes.Inc()
}
