package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	coordinationv1client "k8s.io/client-go/kubernetes/typed/coordination/v1"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
)

// Election configures leader election and sharding: only the holder of a
// Lease in the coordination cluster writes to the clusters of that Lease
// and to Git. Without sharding one Lease (LeaseName) covers every cluster;
// with Shards > 1 there is one Lease per shard (ShardLeasePrefix + index)
// and every replica campaigns for all of them.
type Election struct {
	// Leases is the client of the coordination cluster's Leases.
	Leases coordinationv1client.LeasesGetter
	// Namespace holds the Leases; default manifold-system.
	Namespace string
	// LeaseName is the Lease of the single leader; default manifold.
	LeaseName string
	// Shards splits the clusters into this many shards (ShardOf); 0 and 1
	// mean no sharding.
	Shards int
	// ShardLeasePrefix names the shard Leases; default manifold-shard-.
	ShardLeasePrefix string
	// Identity names this replica in the Leases; default DefaultIdentity().
	Identity string
	// LeaseDuration, RenewDeadline and RetryPeriod are client-go's lease
	// timings; defaults 15s, 10s and 2s.
	LeaseDuration, RenewDeadline, RetryPeriod time.Duration
}

// DefaultIdentity is the hostname and the process id, e.g. manifold-7d9f_1.
func DefaultIdentity() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "manifold"
	}
	return host + "_" + strconv.Itoa(os.Getpid())
}

func (e Election) withDefaults() Election {
	if e.Namespace == "" {
		e.Namespace = "manifold-system"
	}
	if e.LeaseName == "" {
		e.LeaseName = "manifold"
	}
	if e.Shards < 1 {
		e.Shards = 1
	}
	if e.ShardLeasePrefix == "" {
		e.ShardLeasePrefix = "manifold-shard-"
	}
	if e.Identity == "" {
		e.Identity = DefaultIdentity()
	}
	if e.LeaseDuration <= 0 {
		e.LeaseDuration = 15 * time.Second
	}
	if e.RenewDeadline <= 0 {
		e.RenewDeadline = 10 * time.Second
	}
	if e.RetryPeriod <= 0 {
		e.RetryPeriod = 2 * time.Second
	}
	return e
}

// Validate reports settings client-go would refuse, before anything runs.
func (e Election) Validate() error {
	e = e.withDefaults()
	if e.Leases == nil {
		return fmt.Errorf("leader election: no coordination cluster")
	}
	if e.LeaseDuration <= e.RenewDeadline {
		return fmt.Errorf("leader election: the lease duration (%s) must be longer than the renew deadline (%s)", e.LeaseDuration, e.RenewDeadline)
	}
	if e.RenewDeadline <= e.RetryPeriod {
		return fmt.Errorf("leader election: the renew deadline (%s) must be longer than the retry period (%s)", e.RenewDeadline, e.RetryPeriod)
	}
	return nil
}

// leaseNames are the Leases campaigned for, by shard.
func (e Election) leaseNames() []string {
	if e.Shards <= 1 {
		return []string{e.LeaseName}
	}
	out := make([]string, e.Shards)
	for i := range out {
		out[i] = e.ShardLeasePrefix + strconv.Itoa(i)
	}
	return out
}

// Leadership is what a replica leads, for /status.
type Leadership struct {
	// Elected is false when the daemon runs without leader election: it
	// then leads everything.
	Elected  bool   `json:"elected"`
	Identity string `json:"identity,omitempty"`
	// Leader is true while the replica holds at least one Lease.
	Leader bool `json:"leader"`
	// Shards is the number of shards; Held the shards whose Lease this
	// replica holds (shard 0 only without sharding).
	Shards int   `json:"shards"`
	Held   []int `json:"held"`
	// Holders is the holder of every Lease as last observed, by Lease name.
	Holders map[string]string `json:"holders,omitempty"`
}

// leadership campaigns for the Leases of an Election and tracks the ones
// held. A nil *leadership leads everything, always.
type leadership struct {
	opts    Election
	names   []string
	log     *slog.Logger
	changed chan struct{} // a Lease was gained or lost

	mu      sync.Mutex
	held    map[int]context.Context // shard → context of the current term
	holders map[string]string
	// runs cancel the running elector of each shard (shard.go sheds
	// shards with it); cooldown is when a shed shard may be campaigned
	// for again.
	runs     map[int]context.CancelFunc
	cooldown map[int]time.Time
}

func newLeadership(e *Election, log *slog.Logger) *leadership {
	if e == nil {
		return nil
	}
	opts := e.withDefaults()
	return &leadership{
		opts: opts, names: opts.leaseNames(), log: log, changed: make(chan struct{}, 1),
		held: map[int]context.Context{}, holders: map[string]string{},
		runs: map[int]context.CancelFunc{}, cooldown: map[int]time.Time{},
	}
}

// start campaigns for every Lease until the returned stop is called; stop
// releases the Leases held (ReleaseOnCancel) and waits for the campaigns
// to end. Call stop only once no work guarded by the Leases is running.
func (l *leadership) start(ctx context.Context) (stop func()) {
	if l == nil {
		return func() {}
	}
	electCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	for i, name := range l.names {
		wg.Go(func() { l.campaign(electCtx, i, name) })
	}
	if l.opts.Shards > 1 {
		wg.Go(func() { l.campaign(electCtx, memberShard, l.memberLease()) })
	}
	return func() {
		cancel()
		wg.Wait()
		l.leave()
	}
}

// campaign runs client-go's elector for one Lease, again after every loss
// (or shedding, after its cooldown), until ctx ends.
func (l *leadership) campaign(ctx context.Context, shard int, name string) {
	for ctx.Err() == nil {
		if wait := l.cooldownLeft(shard); wait > 0 {
			select {
			case <-ctx.Done():
			case <-time.After(wait):
			}
			continue
		}
		le, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
			Lock: &resourcelock.LeaseLock{
				LeaseMeta:  metav1.ObjectMeta{Namespace: l.opts.Namespace, Name: name},
				Client:     l.opts.Leases,
				LockConfig: resourcelock.ResourceLockConfig{Identity: l.opts.Identity},
			},
			LeaseDuration:   l.opts.LeaseDuration,
			RenewDeadline:   l.opts.RenewDeadline,
			RetryPeriod:     l.opts.RetryPeriod,
			ReleaseOnCancel: true,
			Name:            name,
			Callbacks: leaderelection.LeaderCallbacks{
				OnStartedLeading: func(term context.Context) { l.gained(shard, name, term) },
				OnStoppedLeading: func() { l.lost(shard, name) },
				OnNewLeader: func(id string) {
					if shard != memberShard {
						l.observed(name, id)
					}
				},
			},
		})
		if err != nil { // only invalid timings, refused by Validate first
			l.log.Error("leader election", "lease", name, "err", err)
			return
		}
		runCtx, cancel := context.WithCancel(ctx)
		l.mu.Lock()
		l.runs[shard] = cancel
		l.mu.Unlock()
		le.Run(runCtx)
		cancel()
		select {
		case <-ctx.Done():
		case <-time.After(l.opts.RetryPeriod):
		}
	}
}

// gained records a term; client-go cancels term the moment the Lease is
// lost, before calling lost.
func (l *leadership) gained(shard int, name string, term context.Context) {
	if shard == memberShard {
		return
	}
	l.mu.Lock()
	if term.Err() != nil { // lost before this callback ran
		l.mu.Unlock()
		return
	}
	l.held[shard] = term
	l.holders[name] = l.opts.Identity
	l.mu.Unlock()
	l.log.Info("leading", "lease", name, "identity", l.opts.Identity)
	l.notify()
}

func (l *leadership) lost(shard int, name string) {
	l.mu.Lock()
	_, had := l.held[shard]
	delete(l.held, shard)
	l.mu.Unlock()
	if had {
		l.log.Warn("lease lost: writing stopped", "lease", name, "identity", l.opts.Identity)
		l.notify()
	}
}

func (l *leadership) observed(name, identity string) {
	l.mu.Lock()
	l.holders[name] = identity
	l.mu.Unlock()
}

func (l *leadership) notify() {
	select {
	case l.changed <- struct{}{}:
	default:
	}
}

// changes signals gained and lost Leases; nil (never) without election.
func (l *leadership) changes() <-chan struct{} {
	if l == nil {
		return nil
	}
	return l.changed
}

// scope returns what this replica may write now: the shards it holds and a
// context that ends as soon as any of them is lost. release frees the
// context; call it when the work is done.
func (l *leadership) scope() (sc scope, release func()) {
	if l == nil {
		return scope{ctx: context.Background(), count: 1, shards: []int{0}}, func() {}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	sc = scope{ctx: ctx, count: l.opts.Shards}
	var stops []func() bool
	for shard, term := range l.held {
		if term.Err() != nil {
			continue
		}
		sc.shards = append(sc.shards, shard)
		stops = append(stops, context.AfterFunc(term, cancel))
	}
	slices.Sort(sc.shards)
	return sc, func() {
		for _, stop := range stops {
			stop()
		}
		cancel()
	}
}

// primary returns the term of shard 0 (the single Lease without sharding)
// while this replica holds it. Work that is not per cluster — DNS records,
// previews — runs on the primary only.
func (l *leadership) primary() (context.Context, bool) {
	if l == nil {
		return context.Background(), true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	term, ok := l.held[0]
	if !ok || term.Err() != nil {
		return nil, false
	}
	return term, true
}

// report describes the leadership for /status.
func (l *leadership) report() Leadership {
	if l == nil {
		return Leadership{Leader: true, Shards: 1, Held: []int{0}}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	out := Leadership{Elected: true, Identity: l.opts.Identity, Shards: l.opts.Shards, Held: []int{}, Holders: map[string]string{}}
	for shard, term := range l.held {
		if term.Err() == nil {
			out.Held = append(out.Held, shard)
		}
	}
	slices.Sort(out.Held)
	out.Leader = len(out.Held) > 0
	for name, id := range l.holders {
		out.Holders[name] = id
	}
	return out
}

// Leadership reports what this replica leads.
func (d *Daemon) Leadership() Leadership { return d.lead.report() }

// WhilePrimary runs fn while this replica holds the primary Lease (shard 0,
// or the single Lease), with a context that ends when the Lease is lost or
// ctx ends, and again each time the Lease is won back, until ctx ends.
// Without leader election it runs fn(ctx) once.
func (d *Daemon) WhilePrimary(ctx context.Context, fn func(context.Context)) {
	if d.lead == nil {
		fn(ctx)
		return
	}
	for ctx.Err() == nil {
		term, ok := d.lead.primary()
		if !ok {
			select {
			case <-ctx.Done():
				return
			case <-time.After(d.lead.opts.RetryPeriod):
				continue
			}
		}
		runCtx, cancel := context.WithCancel(ctx)
		stop := context.AfterFunc(term, cancel)
		fn(runCtx)
		stop()
		cancel()
	}
}

// whilePrimary returns a context for one piece of primary-only work that
// ends with ctx or the primary Lease; false when this replica is not the
// primary.
func (d *Daemon) whilePrimary(ctx context.Context) (context.Context, context.CancelFunc, bool) {
	term, ok := d.lead.primary()
	if !ok {
		return nil, nil, false
	}
	runCtx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(term, cancel)
	return runCtx, func() { stop(); cancel() }, true
}
