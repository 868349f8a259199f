package reconciler

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"sync"

	"github.com/manifold-gitops/manifold/api"
	"github.com/manifold-gitops/manifold/render"
	"golang.org/x/sync/errgroup"
)

// Options configure a Reconciler.
type Options struct {
	Connect ConnectOptions
	DryRun  DryRun
	// ClusterConcurrency bounds clusters synced at once; default 16.
	ClusterConcurrency int
	// ObjectConcurrency bounds requests in flight per cluster; default 16.
	ObjectConcurrency int
	Log               *slog.Logger
}

// Reconciler syncs rendered revisions to clusters. It keeps one connection
// per cluster and is safe for concurrent use by one sync at a time.
type Reconciler struct {
	opts  Options
	mu    sync.Mutex
	conns map[string]*Conn
}

// New returns a Reconciler.
func New(opts Options) *Reconciler {
	if opts.ClusterConcurrency <= 0 {
		opts.ClusterConcurrency = 16
	}
	if opts.ObjectConcurrency <= 0 {
		opts.ObjectConcurrency = 16
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	return &Reconciler{opts: opts, conns: map[string]*Conn{}}
}

// Conn returns the connection to a declared cluster, building it once.
func (r *Reconciler) Conn(c *api.Cluster) (*Conn, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if conn, ok := r.conns[c.Metadata.Name]; ok {
		return conn, nil
	}
	conn, err := Connect(c, r.opts.Connect)
	if err != nil {
		return nil, err
	}
	r.conns[c.Metadata.Name] = conn
	return conn, nil
}

// clusterWork is one cluster's part of a sync.
type clusterWork struct {
	cluster *api.Cluster
	sets    []*render.DesiredSet
	report  *ClusterReport
	conn    *Conn
	// inventories found on the cluster, by subscription.
	inventories map[string]*Inventory
	// untargeted are plans to prune subscriptions that no longer target
	// this cluster, run after the targeted clusters are healthy.
	untargeted []*untargetedPlan
}

type untargetedPlan struct {
	sub  string
	prev *Inventory
	plan Plan
}

// Sync makes every declared cluster match res: it applies each desired set,
// prunes what left it, and removes subscriptions from clusters they no
// longer target once their remaining targets are healthy (make-before-break).
// A cluster or subscription that fails never stops the others and never
// causes a prune.
func (r *Reconciler) Sync(ctx context.Context, res *render.Result, approvals Approvals) *Report {
	rep := &Report{Revision: res.Revision}
	if res.Err != nil {
		rep.Err = res.Err
		return rep
	}
	bySet := setsByCluster(res)
	work := make([]*clusterWork, len(res.Clusters))
	for i, c := range res.Clusters {
		work[i] = &clusterWork{cluster: c, sets: bySet[c.Metadata.Name], report: &ClusterReport{Name: c.Metadata.Name}}
		rep.Clusters = append(rep.Clusters, work[i].report)
	}
	r.forEach(ctx, work, func(ctx context.Context, w *clusterWork) { r.syncTargeted(ctx, w, res, approvals) })

	healthy := subscriptionHealth(rep)
	r.forEach(ctx, work, func(ctx context.Context, w *clusterWork) { r.syncUntargeted(ctx, w, res.Revision, healthy) })
	for _, c := range rep.Clusters {
		sort.Slice(c.Sets, func(i, j int) bool { return c.Sets[i].Subscription < c.Sets[j].Subscription })
	}
	return rep
}

func (r *Reconciler) forEach(ctx context.Context, work []*clusterWork, fn func(context.Context, *clusterWork)) {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(r.opts.ClusterConcurrency)
	for _, w := range work {
		g.Go(func() error { fn(ctx, w); return nil })
	}
	_ = g.Wait()
}

// syncTargeted connects to the cluster and syncs every set that targets it.
func (r *Reconciler) syncTargeted(ctx context.Context, w *clusterWork, res *render.Result, approvals Approvals) {
	cr := w.report
	failAll := func(err error) {
		cr.Err = err
		for _, s := range w.sets {
			cr.Sets = append(cr.Sets, &SetReport{Cluster: s.Cluster, Subscription: s.Subscription, Revision: res.Revision, Health: Unknown, Err: err})
		}
	}
	conn, err := r.Conn(w.cluster)
	if err != nil {
		failAll(err)
		return
	}
	w.conn = conn
	version, err := conn.Version(ctx)
	if err != nil {
		failAll(err)
		return
	}
	cr.Reachable, cr.Version = true, version
	invs, err := loadInventories(ctx, conn)
	if err != nil {
		failAll(fmt.Errorf("cluster %s: %w", cr.Name, err))
		return
	}
	w.inventories = invs

	claimed, renderFailed := claimsOf(w.sets)
	for _, s := range w.sets {
		sr := &SetReport{Cluster: s.Cluster, Subscription: s.Subscription, Revision: res.Revision}
		cr.Sets = append(cr.Sets, sr)
		if s.Err != nil {
			sr.Err, sr.Health = s.Err, Unknown
			continue
		}
		r.syncSet(ctx, conn, sr, planRequestFor(s, invs, claimed, renderFailed, approvals))
	}
	if renderFailed {
		return // a subscription that failed to render may still want its objects here
	}
	for _, sub := range untargetedSubscriptions(w.sets, invs) {
		inv := invs[sub]
		plan, err := r.planUntargeted(ctx, conn, cr.Name, sub, inv, claimed, approvals)
		if err != nil {
			cr.Sets = append(cr.Sets, &SetReport{Cluster: cr.Name, Subscription: sub, Revision: res.Revision, Health: Unknown, Err: err})
			continue
		}
		w.untargeted = append(w.untargeted, &untargetedPlan{sub: sub, prev: inv, plan: plan})
	}
}

// claimsOf maps every key the rendered sets of one cluster desire to its
// subscription, and reports whether any set failed to render.
func claimsOf(sets []*render.DesiredSet) (map[render.ObjectKey]string, bool) {
	claimed := map[render.ObjectKey]string{}
	renderFailed := false
	for _, s := range sets {
		if s.Err != nil {
			renderFailed = true
			continue
		}
		for _, o := range s.Objects {
			claimed[o.Key] = s.Subscription
		}
	}
	return claimed, renderFailed
}

// planRequestFor is the plan request of a rendered set.
func planRequestFor(s *render.DesiredSet, invs map[string]*Inventory, claimed map[render.ObjectKey]string, renderFailed bool, approvals Approvals) planRequest {
	others := map[render.ObjectKey]string{}
	for k, sub := range claimed {
		if sub != s.Subscription {
			others[k] = sub
		}
	}
	return planRequest{
		desired: s.Objects, prev: invs[s.Subscription], others: others,
		allowEmpty: s.AllowEmptyPrune, approved: approvals.Allows(s.Subscription, s.Cluster),
		deferPrune: renderFailed,
	}
}

// untargetedSubscriptions lists, sorted, the subscriptions with a
// non-empty inventory on the cluster that no set targets any more.
func untargetedSubscriptions(sets []*render.DesiredSet, invs map[string]*Inventory) []string {
	targeted := map[string]bool{}
	for _, s := range sets {
		targeted[s.Subscription] = true
	}
	var out []string
	for sub, inv := range invs {
		if !targeted[sub] && inv.Len() > 0 {
			out = append(out, sub)
		}
	}
	sort.Strings(out)
	return out
}

// planUntargeted reads the live objects of a subscription that no longer
// targets the cluster and plans their removal.
func (r *Reconciler) planUntargeted(ctx context.Context, conn *Conn, cluster, sub string, inv *Inventory, claimed map[render.ObjectKey]string, approvals Approvals) (Plan, error) {
	live, err := fetchLive(ctx, conn, refsFor(nil, inv), r.opts.ObjectConcurrency)
	if err != nil {
		return Plan{}, err
	}
	return MakePlan(PlanInput{
		Cluster: cluster, Subscription: sub, Inventory: inv, Live: live, ClaimedElsewhere: claimed,
		AllowEmptyPrune: true, PruneApproved: approvals.Allows(sub, cluster),
	}), nil
}

// planRequest is what one set's plan depends on besides the live state.
type planRequest struct {
	desired    []*render.Object
	prev       *Inventory
	others     map[render.ObjectKey]string
	allowEmpty bool
	approved   bool
	deferPrune bool
}

// syncSet reads live state, plans, executes and records the inventory.
func (r *Reconciler) syncSet(ctx context.Context, conn *Conn, sr *SetReport, req planRequest) {
	plan, err := r.planSet(ctx, conn, sr.Cluster, sr.Subscription, req)
	if err != nil {
		sr.Err, sr.Health = err, Unknown
		return
	}
	r.run(ctx, conn, sr, req.prev, plan)
}

// planSet reads the live objects of a set and plans it.
func (r *Reconciler) planSet(ctx context.Context, conn *Conn, cluster, sub string, req planRequest) (Plan, error) {
	live, err := fetchLive(ctx, conn, refsFor(req.desired, req.prev), r.opts.ObjectConcurrency)
	if err != nil {
		return Plan{}, err
	}
	plan := MakePlan(PlanInput{
		Cluster: cluster, Subscription: sub, Desired: req.desired, Inventory: req.prev, Live: live,
		ClaimedElsewhere: req.others, AllowEmptyPrune: req.allowEmpty, PruneApproved: req.approved,
	})
	if req.deferPrune {
		plan = holdPrunes(plan, "another subscription failed to render on this cluster; prunes deferred")
	}
	return plan, nil
}

// run executes a plan and writes the new inventory.
func (r *Reconciler) run(ctx context.Context, conn *Conn, sr *SetReport, prev *Inventory, plan Plan) {
	changes := execute(ctx, conn, plan, r.opts.DryRun, r.opts.ObjectConcurrency)
	sr.Changes = ChangeSet{Entries: changes}
	sr.HeldReason = plan.HeldReason
	var hs []Health
	for _, ch := range changes {
		if ch.Action == Created || ch.Action == Configured || ch.Action == Unchanged || ch.Action == Failed {
			hs = append(hs, ch.Health)
		}
	}
	sr.Health = WorstHealth(hs...)
	inv := newInventory(sr.Subscription, sr.Revision, prev, plan, changes)
	if err := saveInventory(ctx, conn, prev, inv, r.opts.DryRun); err != nil {
		sr.Err = err
	}
	r.opts.Log.Info("synced", "cluster", sr.Cluster, "subscription", sr.Subscription, "revision", sr.Revision,
		"counts", sr.Changes.Counts(), "health", sr.Health, "held", sr.HeldReason != "")
}

// holdPrunes turns the plan's prunes into held steps.
func holdPrunes(p Plan, reason string) Plan {
	out := Plan{Steps: append([]Step(nil), p.Steps...), HeldReason: p.HeldReason}
	held := false
	for i := range out.Steps {
		if out.Steps[i].Action == Pruned {
			out.Steps[i].Action, out.Steps[i].Reason = Held, reason
			held = true
		}
	}
	if held && out.HeldReason == "" {
		out.HeldReason = reason
	}
	return out
}

// subscriptionHealth reports, per subscription, whether every cluster it
// targets synced and is healthy.
func subscriptionHealth(rep *Report) map[string]bool {
	out := map[string]bool{}
	for _, c := range rep.Clusters {
		for _, s := range c.Sets {
			ok := !s.Failed() && s.Health == Healthy
			if prev, seen := out[s.Subscription]; seen {
				ok = ok && prev
			}
			out[s.Subscription] = ok
		}
	}
	return out
}

// syncUntargeted removes subscriptions from a cluster they no longer
// target, once every cluster they still target is healthy.
func (r *Reconciler) syncUntargeted(ctx context.Context, w *clusterWork, revision string, healthy map[string]bool) {
	for _, u := range w.untargeted {
		sr := &SetReport{Cluster: w.report.Name, Subscription: u.sub, Revision: revision}
		w.report.Sets = append(w.report.Sets, sr)
		plan := u.plan
		if ok, targeted := healthy[u.sub]; targeted && !ok {
			plan = holdPrunes(plan, "waiting for the subscription's other clusters to be healthy before removing it here (make-before-break)")
		}
		r.run(ctx, w.conn, sr, u.prev, plan)
		sr.Health = Healthy
	}
}

// setsByCluster groups a render's sets by cluster.
func setsByCluster(res *render.Result) map[string][]*render.DesiredSet {
	out := map[string][]*render.DesiredSet{}
	for _, s := range res.Sets {
		out[s.Cluster] = append(out[s.Cluster], s)
	}
	return out
}

// ResetConnections drops every cluster connection, so the next sync reads
// the credentials again (after a kubeconfig changed).
func (r *Reconciler) ResetConnections() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.conns = map[string]*Conn{}
}
