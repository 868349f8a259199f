package reconciler

import (
	"context"
	"errors"
	"fmt"

	"github.com/manifold-gitops/manifold/api"
	"github.com/manifold-gitops/manifold/render"
	"golang.org/x/sync/errgroup"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// PreviewReport is what a sync of a revision would do to each declared
// cluster as it is now, found without changing anything.
type PreviewReport struct {
	Revision string
	// Err is set when nothing would be synced (invalid policy objects).
	Err error
	// Clusters are the declared clusters, in the render's order.
	Clusters []*ClusterPreview
}

// ClusterPreview is the preview of one cluster.
type ClusterPreview struct {
	Name      string
	Reachable bool
	Version   string
	// Err is a cluster-wide problem (unreachable, credentials,
	// inventories): nothing was previewed there.
	Err error
	// Sets are the subscriptions targeting the cluster, in the render's
	// order, then those that no longer target it, by name.
	Sets []*SetPreview
}

// SetPreview is the preview of one (cluster, subscription).
type SetPreview struct {
	Subscription string
	// Targeted is false for a subscription that no longer targets the
	// cluster: a sync removes its objects there once the subscription's
	// other clusters are healthy (make-before-break).
	Targeted bool
	// RenderErr is the set's render error: it would not be synced.
	RenderErr error
	// Err is set when the live objects could not be read: not previewed.
	Err error
	// Plan is the plan a sync would make, from the real inventory and the
	// live objects.
	Plan Plan
	// DryRuns holds, for each object the plan creates or configures, the
	// outcome of a server-side dry run of its apply.
	DryRuns map[render.ObjectKey]DryRunResult
}

// DryRunResult is the outcome of one server-side dry-run apply.
type DryRunResult struct {
	// Object is the object as the API server would store it (defaults,
	// admission and other managers' fields included); nil when the dry
	// run failed or could not be made.
	Object *unstructured.Unstructured
	// Unchecked says why the server could not check the object: its
	// namespace, or the CRD serving its kind, is created by the same sync.
	Unchecked string
	// Err is the dry run's failure: a sync would fail on this object too.
	Err error
}

// Preview computes, for every declared cluster, what Sync(ctx, res,
// approvals) would do now: it connects, reads the real inventories and the
// live objects, plans each set with MakePlan exactly as a sync does
// (including subscriptions that no longer target the cluster), and sends
// every apply the plans make as a server-side dry run (field manager
// manifold, forced), so the result shows defaulted fields and drift as
// they really are. It never writes: its only requests besides reads are
// those dry runs, and it neither prunes nor records inventories. An
// unreachable cluster is reported in its ClusterPreview and never delays
// the others. Rollout waves and standby targets, which the daemon adds on
// top of a render, are not part of res and so not previewed.
func (r *Reconciler) Preview(ctx context.Context, res *render.Result, approvals Approvals) *PreviewReport {
	rep := &PreviewReport{Revision: res.Revision}
	if res.Err != nil {
		rep.Err = res.Err
		return rep
	}
	bySet := setsByCluster(res)
	rep.Clusters = make([]*ClusterPreview, len(res.Clusters))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(r.opts.ClusterConcurrency)
	for i, c := range res.Clusters {
		g.Go(func() error {
			rep.Clusters[i] = r.previewCluster(gctx, c, bySet[c.Metadata.Name], approvals)
			return nil
		})
	}
	_ = g.Wait()
	return rep
}

// previewCluster plans every set on one cluster and dry-runs the applies.
func (r *Reconciler) previewCluster(ctx context.Context, c *api.Cluster, sets []*render.DesiredSet, approvals Approvals) *ClusterPreview {
	cp := &ClusterPreview{Name: c.Metadata.Name}
	conn, err := r.Conn(c)
	if err != nil {
		cp.Err = err
		return cp
	}
	if cp.Version, err = conn.Version(ctx); err != nil {
		cp.Err = err
		return cp
	}
	cp.Reachable = true
	invs, err := loadInventories(ctx, conn)
	if err != nil {
		cp.Err = fmt.Errorf("cluster %s: %w", cp.Name, err)
		return cp
	}
	claimed, renderFailed := claimsOf(sets)
	for _, s := range sets {
		sp := &SetPreview{Subscription: s.Subscription, Targeted: true, RenderErr: s.Err}
		cp.Sets = append(cp.Sets, sp)
		if s.Err == nil {
			sp.Plan, sp.Err = r.planSet(ctx, conn, cp.Name, s.Subscription, planRequestFor(s, invs, claimed, renderFailed, approvals))
		}
	}
	if !renderFailed { // as in Sync: nothing is removed while a set fails to render
		for _, sub := range untargetedSubscriptions(sets, invs) {
			sp := &SetPreview{Subscription: sub}
			sp.Plan, sp.Err = r.planUntargeted(ctx, conn, cp.Name, sub, invs[sub], claimed, approvals)
			cp.Sets = append(cp.Sets, sp)
		}
	}
	r.dryRunApplies(ctx, conn, cp.Sets)
	return cp
}

// dryRunApplies sends every create and configure step of the sets' plans
// as a server-side dry run and records the outcomes.
func (r *Reconciler) dryRunApplies(ctx context.Context, conn *Conn, sets []*SetPreview) {
	type job struct {
		set  *SetPreview
		step Step
	}
	var jobs []job
	newNamespaces := map[string]bool{}
	for _, sp := range sets {
		for _, step := range sp.Plan.Steps {
			if step.Action != Created && step.Action != Configured {
				continue
			}
			jobs = append(jobs, job{sp, step})
			if step.Key.Group == "" && step.Key.Kind == "Namespace" && step.Action == Created {
				newNamespaces[step.Key.Name] = true
			}
		}
	}
	results := make([]DryRunResult, len(jobs))
	idx := make([]int, len(jobs))
	for i := range idx {
		idx[i] = i
	}
	runSteps(ctx, r.opts.ObjectConcurrency, idx, func(i int) {
		step := jobs[i].step
		out, err := serverApply(ctx, conn, step.Desired, ServerDryRun)
		switch {
		case err == nil:
			results[i].Object = out
		case newNamespaces[step.Key.Namespace] && apierrors.IsNotFound(errors.Unwrap(err)):
			// A dry run creates no namespace, so the server cannot check
			// the objects of one this sync creates.
			results[i].Unchecked = "its namespace is created by this sync; not checked by the dry run"
		case meta.IsNoMatchError(err):
			results[i].Unchecked = "its kind is not served yet (a CRD applied by this sync may define it); not checked by the dry run"
		default:
			results[i].Err = err
		}
	})
	for i, j := range jobs {
		if j.set.DryRuns == nil {
			j.set.DryRuns = map[render.ObjectKey]DryRunResult{}
		}
		j.set.DryRuns[j.step.Key] = results[i]
	}
}
