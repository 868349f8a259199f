package daemon

import (
	"context"

	"github.com/manifold-gitops/manifold/gitsource"
	"github.com/manifold-gitops/manifold/reconciler"
	"github.com/manifold-gitops/manifold/render"
)

// composeRollout returns the desired state to sync for res: subscriptions
// with rollout waves keep their clusters not yet promoted on the previous
// revision. Without rollouts it returns res.
func (d *Daemon) composeRollout(ctx context.Context, snap *gitsource.Snapshot, res *render.Result) *render.Result {
	return res
}

// observeRollout advances rollouts after a sync.
func (d *Daemon) observeRollout(ctx context.Context, res *render.Result, rep *reconciler.Report) {}
