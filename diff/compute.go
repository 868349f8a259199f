package diff

import (
	"fmt"
	"sort"

	"github.com/manifold-gitops/manifold/reconciler"
	"github.com/manifold-gitops/manifold/render"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Input is what Compute compares.
type Input struct {
	// Base and Head are the renders of the two revisions.
	Base, Head *render.Result
	// HeadMessage is the head commit's message; its Manifold-Allow-Prune
	// trailers approve held prunes, as they would in a sync.
	HeadMessage string
	// Explain returns the provenance of a head set's objects, usually
	// (*render.Renderer).Explain on the head snapshot. Nil leaves sources
	// out.
	Explain func(*render.DesiredSet) (map[render.ObjectKey]*render.Trace, error)
	// Live, when set, is reconciler.Preview's report of the head render on
	// the live clusters: each reachable cluster is compared with what it
	// runs (see ComputeLive), the others with Base, which may then be nil.
	Live *reconciler.PreviewReport
}

// deferredReason is why prunes wait when another subscription failed to
// render on the cluster, as the reconciler says it.
const deferredReason = "another subscription failed to render on this cluster; prunes deferred"

// Compute previews, per cluster and subscription, what a sync of the head
// revision does to clusters that run the base revision. The base render
// stands in for each cluster: its sets are the inventories and its objects
// the live state (each carrying its ownership label), and
// reconciler.MakePlan decides, with the same prune and hold rules as a sync.
func Compute(in Input) *Report {
	if in.Base == nil {
		in.Base = &render.Result{}
	}
	rep := &Report{
		Live:     in.Live != nil,
		Base:     Revision{Revision: in.Base.Revision, Error: errText(in.Base.Err)},
		Head:     Revision{Revision: in.Head.Revision, Error: errText(in.Head.Err)},
		Clusters: []*Cluster{},
	}
	for _, p := range in.Head.Problems {
		rep.Head.Problems = append(rep.Head.Problems, p.Error())
	}
	if in.Head.Err != nil {
		return rep // nothing renders at head: a sync changes nothing
	}
	c := &computation{in: in, approvals: reconciler.ParseApprovals(in.HeadMessage)}
	base, head := setsByCluster(in.Base.Sets), setsByCluster(in.Head.Sets)
	declared := map[string]bool{}
	names := map[string]bool{}
	for _, cl := range in.Head.Clusters {
		declared[cl.Metadata.Name], names[cl.Metadata.Name] = true, true
	}
	for name, sets := range base {
		for _, s := range sets {
			if s.Err == nil && len(s.Objects) > 0 {
				names[name] = true
			}
		}
	}
	for _, name := range sortedKeys(names) {
		var cl *Cluster
		switch {
		case declared[name] && in.Live != nil:
			cl = c.liveCluster(name, base[name], head[name])
		case declared[name]:
			cl = c.cluster(name, base[name], head[name])
		default:
			cl = &Cluster{Name: name, Changed: true, Subscriptions: []*Subscription{},
				Note: "no longer declared at head: manifold stops syncing this cluster and prunes nothing there"}
		}
		rep.Changed = rep.Changed || cl.Changed
		rep.Clusters = append(rep.Clusters, cl)
	}
	return rep
}

type computation struct {
	in        Input
	approvals reconciler.Approvals
}

// cluster previews one declared cluster: every head set targeting it, then
// every base set whose subscription no longer targets it.
func (c *computation) cluster(name string, base, head map[string]*render.DesiredSet) *Cluster {
	cl := &Cluster{Name: name, Subscriptions: []*Subscription{}}
	live := map[render.ObjectKey]*unstructured.Unstructured{}
	baseObjects := map[render.ObjectKey]*render.Object{}
	for _, s := range base {
		if s.Err != nil {
			continue
		}
		for _, o := range s.Objects {
			u, err := o.Unstructured()
			if err != nil {
				continue
			}
			live[o.Key], baseObjects[o.Key] = storedForm(u), o
		}
	}
	claimed := map[render.ObjectKey]string{}
	renderFailed := false
	for _, s := range head {
		if s.Err != nil {
			renderFailed = true
			continue
		}
		for _, o := range s.Objects {
			claimed[o.Key] = s.Subscription
		}
	}
	for _, subName := range sortedKeys(head) {
		s := head[subName]
		sub := &Subscription{Name: subName, Objects: []*Object{}}
		if s.Err != nil {
			sub.Error = s.Err.Error()
			cl.Subscriptions = append(cl.Subscriptions, sub)
			continue
		}
		others := map[render.ObjectKey]string{}
		for k, owner := range claimed {
			if owner != subName {
				others[k] = owner
			}
		}
		in := reconciler.PlanInput{
			Cluster: name, Subscription: subName, Desired: s.Objects, Live: live, ClaimedElsewhere: others,
			AllowEmptyPrune: s.AllowEmptyPrune, PruneApproved: c.approvals.Allows(subName, name),
		}
		switch b := base[subName]; {
		case b == nil:
		case b.Err != nil:
			sub.Notes = append(sub.Notes, "the base revision did not render here; compared with no previous objects")
		default:
			in.Inventory = inventoryOf(b)
		}
		plan := reconciler.MakePlan(in)
		if renderFailed {
			plan = holdPrunes(plan, deferredReason)
		}
		c.fill(sub, plan, s, "base", fromBase(baseObjects))
		cl.Subscriptions = append(cl.Subscriptions, sub)
	}
	for _, subName := range sortedKeys(base) {
		b := base[subName]
		if _, targeted := head[subName]; targeted || b.Err != nil || len(b.Objects) == 0 {
			continue
		}
		sub := &Subscription{Name: subName, Objects: []*Object{},
			Notes: []string{"the subscription no longer targets this cluster: its objects are removed here"}}
		plan := reconciler.MakePlan(reconciler.PlanInput{
			Cluster: name, Subscription: subName, Inventory: inventoryOf(b), Live: live, ClaimedElsewhere: claimed,
			AllowEmptyPrune: true, PruneApproved: c.approvals.Allows(subName, name),
		})
		if renderFailed {
			plan = holdPrunes(plan, deferredReason)
		} else if c.targetedElsewhere(subName) && plan.Counts()[reconciler.Pruned] > 0 {
			sub.Notes = append(sub.Notes, "make-before-break: the prune runs once the subscription's other clusters are healthy")
		}
		c.fill(sub, plan, nil, "base", fromBase(baseObjects))
		cl.Subscriptions = append(cl.Subscriptions, sub)
	}
	for _, s := range cl.Subscriptions {
		cl.Changed = cl.Changed || s.Changed
	}
	return cl
}

// targetedElsewhere reports whether the subscription has any set at head.
func (c *computation) targetedElsewhere(sub string) bool {
	for _, s := range c.in.Head.Sets {
		if s.Subscription == sub {
			return true
		}
	}
	return false
}

// versions returns the two versions of a configured object to compare:
// before and after the sync; nil when one is unknown.
type versions func(step reconciler.Step) (before, after *render.Object)

// fromBase compares the base render's objects with the head's.
func fromBase(baseObjects map[render.ObjectKey]*render.Object) versions {
	return func(step reconciler.Step) (*render.Object, *render.Object) {
		return baseObjects[step.Key], step.Desired
	}
}

// fill turns a plan into the subscription's counts and changed objects;
// the diffs of configured objects compare the versions vs returns, the
// first one labelled from.
func (c *computation) fill(sub *Subscription, plan reconciler.Plan, head *render.DesiredSet, from string, vs versions) {
	sub.HeldReason = plan.HeldReason
	var traces map[render.ObjectKey]*render.Trace
	explained := false
	for _, step := range plan.Steps {
		sub.Counts.add(step.Action)
		if step.Action == reconciler.Unchanged {
			continue
		}
		sub.Changed = true
		obj := &Object{
			Subject: step.Key.String(), Group: step.Key.Group, Kind: step.Key.Kind,
			Namespace: step.Key.Namespace, Name: step.Key.Name, Action: step.Action, Reason: step.Reason,
		}
		sub.Objects = append(sub.Objects, obj)
		if step.Desired == nil {
			continue
		}
		if !explained && c.in.Explain != nil && head != nil {
			explained = true
			var err error
			if traces, err = c.in.Explain(head); err != nil {
				sub.Notes = append(sub.Notes, fmt.Sprintf("sources unavailable: %v", err))
			}
		}
		trace := traces[step.Key]
		if trace != nil {
			obj.Origin = trace.Origin.String()
		}
		switch step.Action {
		case reconciler.Configured:
			if before, after := vs(step); before != nil && after != nil {
				obj.Fields = changedFields(before, after, trace)
				obj.Diff = objectDiff(from, before, after)
			}
		case reconciler.Created:
			obj.Fields = overriddenFields(trace)
		}
	}
}

// changedFields lists the fields that differ between base and head, each
// with its source at head.
func changedFields(before, after *render.Object, trace *render.Trace) []Field {
	changes, err := render.ChangedFields(before.JSON, after.JSON)
	if err != nil {
		return nil
	}
	out := make([]Field, 0, len(changes))
	for _, ch := range changes {
		out = append(out, Field{Path: ch.Path, Change: ch.Change, Source: sourceOf(trace, ch.Path)})
	}
	return out
}

// overriddenFields lists the fields a created object gets from overrides
// or render rules rather than from its file.
func overriddenFields(trace *render.Trace) []Field {
	if trace == nil {
		return nil
	}
	var out []Field
	seen := map[string]bool{}
	for i := len(trace.Steps) - 1; i >= 0; i-- {
		for _, ch := range trace.Steps[i].Changes {
			if !seen[ch.Path] {
				seen[ch.Path] = true
				out = append(out, Field{Path: ch.Path, Change: ch.Change, Source: sourceOf(trace, ch.Path)})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// sourceOf names where the value at path comes from.
func sourceOf(trace *render.Trace, path string) *Source {
	if trace == nil {
		return nil
	}
	step := trace.Source(path)
	switch {
	case step == nil:
		return &Source{Kind: SourceFile, Origin: trace.Origin.String()}
	case step.Policy == "":
		return &Source{Kind: SourceManifold}
	}
	return &Source{Kind: SourceOverride, Origin: step.Origin.String(), Policy: step.Policy, Override: step.Override}
}

// inventoryOf is the inventory a sync of set would have written.
func inventoryOf(set *render.DesiredSet) *reconciler.Inventory {
	entries := make([]reconciler.InventoryEntry, len(set.Objects))
	for i, o := range set.Objects {
		entries[i] = reconciler.InventoryEntry{Key: o.Key, APIVersion: o.APIVersion, Hash: o.Hash}
	}
	return reconciler.NewInventory(set.Subscription, "", entries)
}

// holdPrunes turns every prune of the plan into a held step, as the
// reconciler does when another subscription on the cluster failed to render.
func holdPrunes(p reconciler.Plan, reason string) reconciler.Plan {
	out := reconciler.Plan{Steps: append([]reconciler.Step(nil), p.Steps...), HeldReason: p.HeldReason}
	for i := range out.Steps {
		if out.Steps[i].Action == reconciler.Pruned {
			out.Steps[i].Action, out.Steps[i].Reason = reconciler.Held, reason
			if out.HeldReason == "" {
				out.HeldReason = reason
			}
		}
	}
	return out
}

// setsByCluster indexes sets by cluster, then subscription.
func setsByCluster(sets []*render.DesiredSet) map[string]map[string]*render.DesiredSet {
	out := map[string]map[string]*render.DesiredSet{}
	for _, s := range sets {
		if out[s.Cluster] == nil {
			out[s.Cluster] = map[string]*render.DesiredSet{}
		}
		out[s.Cluster][s.Subscription] = s
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
