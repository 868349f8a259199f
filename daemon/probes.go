package daemon

import (
	"context"
	"fmt"
	"time"

	"github.com/manifold-gitops/manifold/api"
	"github.com/manifold-gitops/manifold/failover"
	"golang.org/x/sync/errgroup"
)

// probeConcurrency bounds the clusters probed at once.
const probeConcurrency = 16

// pruneRetryRounds is how many probe intervals pass between re-syncs that
// retry removing a released standby's copy.
const pruneRetryRounds = 5

// startProbes starts the cluster health probes failover and traffic need:
// every ProbeInterval, and after each sync, a round probes the clusters of
// the subscriptions that declare spec.failover or spec.traffic, decides,
// and updates DNS. Without such subscriptions a round makes no request.
func (d *Daemon) startProbes(ctx context.Context) {
	go func() {
		ticker := time.NewTicker(d.opts.ProbeInterval)
		defer ticker.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-ticker.C:
			case <-d.failover.kick:
			}
			d.probeRound(ctx)
		}
	}()
}

// probeRound probes, feeds the failover state, records its decisions,
// brings DNS up to date and, when anything was decided, asks for a cycle
// that re-renders with the new standby targets (and writes the decisions
// into the note) even though Git did not move.
func (d *Daemon) probeRound(ctx context.Context) {
	f := d.failover
	f.mu.Lock()
	res := f.res
	f.mu.Unlock()
	if res == nil {
		return
	}
	subs := res.Policies.Subscriptions
	clusters := failover.Probed(subs, res.Clusters)
	at := d.opts.Now()
	errs := d.probe(ctx, clusters)
	if ctx.Err() != nil {
		return // shutting down: a cancelled probe says nothing about the cluster
	}
	now := d.opts.Now()

	f.mu.Lock()
	for i, c := range clusters {
		name := c.Metadata.Name
		if f.state.Observe(name, errs[i] == nil, at) {
			if errs[i] != nil {
				d.opts.Log.Warn("cluster unhealthy", "cluster", name, "err", errs[i])
			} else {
				d.opts.Log.Info("cluster healthy", "cluster", name)
			}
		}
		healthy := 0.0
		if errs[i] == nil {
			healthy = 1
		}
		d.opts.Metrics.clusterHealthy.WithLabelValues(name).Set(healthy)
	}
	decisions := f.state.Decide(now, subs, res.Clusters)
	f.mu.Unlock()
	d.recordDecisions(decisions)
	// DNS records are written by the primary replica only (leader.go).
	var traffic []failover.Decision
	if tctx, done, ok := d.whilePrimary(ctx); ok {
		traffic = d.updateTraffic(tctx, res)
		done()
	}
	d.recordDecisions(traffic)

	// A released standby whose copy is still there (its prune waits for
	// the targets to be healthy) is retried now and then: nothing else may
	// cause a sync while Git and the cluster stand still.
	f.mu.Lock()
	retry := len(f.state.Released()) > 0 && now.Sub(f.retried) >= pruneRetryRounds*d.opts.ProbeInterval
	if retry || len(decisions)+len(traffic) > 0 {
		f.retried = now
	}
	f.mu.Unlock()
	if retry || len(decisions)+len(traffic) > 0 {
		d.mu.Lock()
		d.drifted = true
		d.mu.Unlock()
		d.Trigger("failover")
	}
}

// probe checks each cluster's readiness concurrently and returns nil for
// each ready cluster, the reason for the others.
func (d *Daemon) probe(ctx context.Context, clusters []*api.Cluster) []error {
	errs := make([]error, len(clusters))
	g := errgroup.Group{}
	g.SetLimit(probeConcurrency)
	for i, c := range clusters {
		g.Go(func() error {
			errs[i] = d.probeCluster(ctx, c)
			return nil
		})
	}
	_ = g.Wait()
	return errs
}

// probeCluster asks the cluster's API server for /readyz within
// ProbeTimeout: unreachable, slow or not ready is unhealthy. It only reads.
func (d *Daemon) probeCluster(ctx context.Context, c *api.Cluster) error {
	conn, err := d.opts.Reconciler.Conn(c)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, d.opts.ProbeTimeout)
	defer cancel()
	if err := conn.Discovery.RESTClient().Get().AbsPath("/readyz").Do(ctx).Error(); err != nil {
		return fmt.Errorf("cluster %s is not ready: %w", c.Metadata.Name, err)
	}
	return nil
}
