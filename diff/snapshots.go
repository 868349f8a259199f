package diff

import (
	"context"

	"github.com/manifold-gitops/manifold/gitsource"
	"github.com/manifold-gitops/manifold/reconciler"
	"github.com/manifold-gitops/manifold/render"
)

// Snapshots is a comparison of two read revisions, for ComputeSnapshots.
type Snapshots struct {
	// Renderer renders both sides and explains the head's objects; nil
	// uses a new one. One renderer builds what the sides share once.
	Renderer *render.Renderer
	// Base is what the clusters run; it may be nil with Live.
	Base, Head *gitsource.Snapshot
	// Live, when set, compares the head with the live clusters through
	// reconciler.Preview (read-only, server-side dry runs), Base standing
	// in for unreachable clusters.
	Live *reconciler.Reconciler
}

// ComputeSnapshots renders both snapshots and computes the report, with
// the head commit's approval trailers and the sources of its fields.
// Unlike Compute it does I/O: rendering, and with Live, cluster reads and
// dry runs.
func ComputeSnapshots(ctx context.Context, s Snapshots) *Report {
	r := s.Renderer
	if r == nil {
		r = render.NewRenderer(render.Limits{})
	}
	in := Input{
		Head:        r.Render(ctx, s.Head),
		HeadMessage: s.Head.Message,
		Explain: func(set *render.DesiredSet) (map[render.ObjectKey]*render.Trace, error) {
			return r.Explain(ctx, s.Head, set)
		},
	}
	if s.Base != nil {
		in.Base = r.Render(ctx, s.Base)
	}
	if s.Live != nil {
		in.Live = s.Live.Preview(ctx, in.Head, reconciler.ParseApprovals(s.Head.Message))
	}
	return Compute(in)
}
