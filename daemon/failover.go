package daemon

import (
	"context"

	"github.com/manifold-gitops/manifold/reconciler"
	"github.com/manifold-gitops/manifold/render"
)

// standbyTargets returns the standby clusters currently standing in for
// failed targets: subscription → standby cluster → failed cluster.
func (d *Daemon) standbyTargets() map[string]map[string]string { return nil }

// failoverApprovals adds approvals for prunes manifold decides itself, such
// as removing a standby copy after failback.
func (d *Daemon) failoverApprovals(a reconciler.Approvals) reconciler.Approvals { return a }

// observeFailover updates traffic records after a sync.
func (d *Daemon) observeFailover(ctx context.Context, res *render.Result, rep *reconciler.Report) {}

// startProbes starts the cluster health probes failover and traffic need.
func (d *Daemon) startProbes(ctx context.Context) {}
