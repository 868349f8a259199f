package daemon

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/manifold-gitops/manifold/failover"
	"github.com/manifold-gitops/manifold/reconciler"
	"github.com/manifold-gitops/manifold/render"
	"github.com/manifold-gitops/manifold/status"
)

// maxNoteDecisions bounds the decisions a note keeps (the latest win).
const maxNoteDecisions = 50

// failoverLoop is the daemon's failover and traffic state, shared by the
// sync cycle and the probe loop (probes.go, traffic.go).
type failoverLoop struct {
	kick chan struct{} // asks the probe loop for a round now

	mu    sync.Mutex
	state *failover.State
	// res is the last render with valid policy objects: the subscriptions,
	// clusters and desired sets the probes and traffic work from.
	res *render.Result
	// released are the standbys released when the cycle in progress asked
	// for its standby targets, approved for pruning in that cycle.
	released map[string][]string
	// retried is when the probe loop last asked for a cycle.
	retried time.Time
	// decisions wait for the next note.
	decisions []string
	// dns is, per subscription, the fingerprint of its DNSEndpoint as last
	// applied or found; addresses the ingress addresses last read, per
	// subscription and cluster; dnsErr the last traffic error, logged once.
	dns       map[string]string
	addresses map[string]map[string][]string
	dnsErr    map[string]string
}

func newFailoverLoop() *failoverLoop {
	return &failoverLoop{
		kick: make(chan struct{}, 1), state: failover.New(),
		dns: map[string]string{}, addresses: map[string]map[string][]string{}, dnsErr: map[string]string{},
	}
}

// standbyTargets returns the standby clusters currently standing in for
// failed targets: subscription → standby cluster → failed cluster. It also
// fixes the standbys whose prune this cycle approves (failoverApprovals),
// so both agree with one state.
func (d *Daemon) standbyTargets() map[string]map[string]string {
	f := d.failover
	f.mu.Lock()
	defer f.mu.Unlock()
	f.released = f.state.Released()
	if m := f.state.Standby(); len(m) > 0 {
		return m
	}
	return nil
}

// failoverApprovals adds approvals for prunes manifold decides itself: the
// copy of a standby released after failback needs no Manifold-Allow-Prune
// trailer. The reconciler still removes it only once the subscription's
// targets are healthy (make-before-break).
func (d *Daemon) failoverApprovals(a reconciler.Approvals) reconciler.Approvals {
	f := d.failover
	f.mu.Lock()
	defer f.mu.Unlock()
	for sub, clusters := range f.released {
		for _, c := range clusters {
			a = a.With(sub, c)
		}
	}
	return a
}

// observeFailover records the render the probes work from (res: every
// cluster), forgets the released standbys whose copy this sync removed (rep
// covers the clusters owns reports true for; a sharded replica leaves the
// others to their owners), and asks the probe loop for a round, which also
// brings the DNS records up to date.
func (d *Daemon) observeFailover(ctx context.Context, res *render.Result, rep *reconciler.Report, owns func(cluster string) bool) {
	f := d.failover
	f.mu.Lock()
	if res.Err == nil {
		f.res = res
	}
	for sub, clusters := range f.released {
		for _, c := range clusters {
			if owns(c) && pruned(res, rep, sub, c) {
				f.state.Settle(sub, c)
			}
		}
	}
	f.mu.Unlock()
	select {
	case f.kick <- struct{}{}:
	default:
	}
}

// pruned reports whether the copy of sub on a released standby is gone:
// res no longer targets the cluster with sub, and the sync reached the
// cluster and neither held nor failed anything of sub there.
func pruned(res *render.Result, rep *reconciler.Report, sub, cluster string) bool {
	if res.Err != nil {
		return false
	}
	for _, s := range res.Sets {
		if s.Cluster == cluster && (s.Subscription == sub || s.Err != nil) {
			return false // targeted again, or a failed render deferred prunes
		}
	}
	for _, c := range rep.Clusters {
		if c.Name != cluster {
			continue
		}
		if !c.Reachable || c.Err != nil {
			return false
		}
		for _, s := range c.Sets {
			if s.Subscription != sub {
				continue
			}
			counts := s.Changes.Counts()
			if s.Err != nil || counts[reconciler.Held] > 0 || counts[reconciler.Failed] > 0 {
				return false
			}
		}
		return true
	}
	return true // no longer declared: nothing left to prune
}

// recordDecisions logs and counts decisions and keeps them for the next note.
func (d *Daemon) recordDecisions(ds []failover.Decision) {
	if len(ds) == 0 {
		return
	}
	at := d.opts.Now().UTC().Format(time.RFC3339)
	f := d.failover
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, dec := range ds {
		d.opts.Log.Info("failover decision", "subscription", dec.Subscription, "kind", dec.Kind,
			"cluster", dec.Cluster, "standby", dec.Standby, "decision", dec.Message)
		d.opts.Metrics.failoverDecisions.WithLabelValues(dec.Subscription, dec.Kind).Inc()
		f.decisions = append(f.decisions, at+" "+dec.Message)
	}
	if n := len(f.decisions); n > maxNoteDecisions {
		f.decisions = slices.Clone(f.decisions[n-maxNoteDecisions:])
	}
}

// noteDecisions returns the decisions for the note of revision: those the
// previous note of the same revision kept, then the ones taken since, the
// latest maxNoteDecisions.
func (d *Daemon) noteDecisions(prev *status.Note, revision string) []string {
	f := d.failover
	f.mu.Lock()
	pending := f.decisions
	f.decisions = nil
	f.mu.Unlock()
	var out []string
	if prev != nil && prev.Revision == revision {
		out = append(out, prev.Decisions...)
	}
	out = append(out, pending...)
	if n := len(out); n > maxNoteDecisions {
		out = out[n-maxNoteDecisions:]
	}
	return out
}
