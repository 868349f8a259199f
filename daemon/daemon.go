// Package daemon runs manifold as a service: it follows a Git branch,
// renders and syncs each new revision, repairs drift reported by watches,
// and writes the outcome back to Git as a status note. Triggers — the poll
// timer, webhooks, filesystem events, drift — coalesce: one cycle runs at a
// time, and any number of triggers during a cycle cause one more.
package daemon

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/manifold-gitops/manifold/gitsource"
	"github.com/manifold-gitops/manifold/reconciler"
	"github.com/manifold-gitops/manifold/render"
	"github.com/manifold-gitops/manifold/status"
)

// Options configure a Daemon.
type Options struct {
	Source     *gitsource.Source
	Renderer   *render.Renderer
	Reconciler *reconciler.Reconciler
	// Interval is the poll period; each wait adds up to 10% jitter.
	Interval time.Duration
	// CycleTimeout bounds one cycle; a cycle is never cut short by shutdown.
	CycleTimeout time.Duration
	// HealthRecheck is how soon a revision still progressing is checked
	// again, so its note reaches its final health; default 2s.
	HealthRecheck time.Duration
	// ProbeInterval is how often clusters are probed for failover and
	// traffic (only while a subscription declares either); default 5s.
	// ProbeTimeout bounds each probe and traffic request; default 5s.
	ProbeInterval time.Duration
	ProbeTimeout  time.Duration
	Metrics       *Metrics
	Log           *slog.Logger
	// StateDir holds the rollout state (RolloutStateFile); empty: rollouts
	// are kept in memory only and restart from scratch.
	StateDir string
	// Now is the clock, for tests; default time.Now.
	Now func() time.Time
	// Election, when set, makes the daemon write only while it holds a
	// Lease: to the clusters of the shards it holds (leader.go, shard.go).
	// Nil: this daemon is the only writer.
	Election *Election
}

// Daemon follows a Git branch and keeps clusters in sync with it.
type Daemon struct {
	opts    Options
	trigger chan struct{}
	watcher *reconciler.Watcher
	// rollouts is used by the cycle goroutine only.
	rollouts *rollouts
	// failover is the failover and traffic state (failover.go).
	failover *failoverLoop
	// lead is the leader election; nil without one (leader.go).
	lead *leadership

	mu          sync.Mutex
	ready       bool
	note        *status.Note
	lastErr     error
	fingerprint map[string]string // revision → fingerprint of the last note written
	drifted     bool
	// lastSynced is the revision and scope key synced last.
	lastSynced string
	// syncedClusters are the clusters the last cycle synced.
	syncedClusters []string
}

// New returns a daemon; Run starts it.
func New(opts Options) *Daemon {
	if opts.Interval <= 0 {
		opts.Interval = time.Minute
	}
	if opts.CycleTimeout <= 0 {
		opts.CycleTimeout = 10 * time.Minute
	}
	if opts.HealthRecheck <= 0 {
		opts.HealthRecheck = 2 * time.Second
	}
	if opts.ProbeInterval <= 0 {
		opts.ProbeInterval = 5 * time.Second
	}
	if opts.ProbeTimeout <= 0 {
		opts.ProbeTimeout = 5 * time.Second
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Metrics == nil {
		opts.Metrics = NewMetrics(nil)
	}
	d := &Daemon{opts: opts, trigger: make(chan struct{}, 1), fingerprint: map[string]string{}, rollouts: newRollouts(opts), failover: newFailoverLoop()}
	d.lead = newLeadership(opts.Election, opts.Log)
	d.watcher = opts.Reconciler.NewWatcher(d.onDrift)
	return d
}

// Trigger asks for a cycle now. It never blocks; triggers that arrive while
// one is pending coalesce into it.
func (d *Daemon) Trigger(reason string) {
	d.opts.Metrics.triggers.WithLabelValues(reason).Inc()
	select {
	case d.trigger <- struct{}{}:
	default:
	}
}

func (d *Daemon) onDrift(dr reconciler.Drift) {
	d.opts.Metrics.drift.WithLabelValues(dr.Cluster, dr.Subscription).Inc()
	d.opts.Log.Info("drift", "cluster", dr.Cluster, "subscription", dr.Subscription, "object", dr.Key.String(), "path", dr.Path, "deleted", dr.Deleted)
	d.mu.Lock()
	d.drifted = true
	d.mu.Unlock()
	d.Trigger("drift")
}

// Run polls and syncs until ctx ends. A cycle in progress when ctx ends is
// finished first, so no inventory or note is left half-written; then the
// Leases held are released. With leader election a cycle runs only while
// a Lease is held, and is cancelled at once when one is lost.
func (d *Daemon) Run(ctx context.Context) error {
	watchCtx, stopWatches := context.WithCancel(context.Background())
	defer stopWatches()
	stopElection := d.lead.start(ctx)
	defer stopElection()
	d.startProbes(ctx)
	balance := d.lead.balanceTicks()
	defer balance.Stop()
	for {
		d.lead.rebalance(ctx)
		sc, release := d.lead.scope()
		if sc.leads() {
			cycleCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.opts.CycleTimeout)
			stop := context.AfterFunc(sc.ctx, cancel)
			d.cycle(cycleCtx, watchCtx, sc)
			stop()
			cancel()
		} else {
			d.follow()
		}
		release()
		if !d.wait(ctx, balance.C) {
			return nil
		}
	}
}

// wait waits for the next cycle: the poll interval with jitter, a trigger
// or a Lease gained or lost. Sharded, it balances the shards between the
// replicas on every balance tick meanwhile. It returns false when ctx ends.
func (d *Daemon) wait(ctx context.Context, balance <-chan time.Time) bool {
	timer := time.NewTimer(d.opts.Interval + time.Duration(rand.Int64N(int64(d.opts.Interval)/10+1)))
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return false
		case <-d.trigger:
			return true
		case <-d.lead.changes():
			return true
		case <-timer.C:
			return true
		case <-balance:
			d.lead.rebalance(ctx)
		}
	}
}

// follow forgets what the replica synced while it led: the note and the
// clusters are another replica's now, and leading again syncs afresh.
func (d *Daemon) follow() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.note, d.lastSynced, d.syncedClusters = nil, "", nil
	d.fingerprint = map[string]string{}
}

// SyncedClusters returns the clusters the last cycle synced (this
// replica's shards), sorted; none while it leads nothing.
func (d *Daemon) SyncedClusters() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.syncedClusters)
}

// Ready reports whether a sync has succeeded since start.
func (d *Daemon) Ready() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.ready
}

// Status returns the note of the last sync (nil before the first) and the
// last Git error, if the source is failing.
func (d *Daemon) Status() (*status.Note, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.note, d.lastErr
}
