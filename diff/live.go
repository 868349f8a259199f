package diff

import (
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/manifold-gitops/manifold/reconciler"
	"github.com/manifold-gitops/manifold/render"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// serverOwned are the fields of a live object the server owns; a live
// comparison leaves them out of diffs.
var serverOwned = []string{"managedFields", "resourceVersion", "uid", "creationTimestamp", "generation", "selfLink"}

// liveCluster compares one declared cluster with what it runs, from
// reconciler.Preview's report; a cluster that could not be read is
// compared with the base render instead, when there is one.
func (c *computation) liveCluster(name string, base, head map[string]*render.DesiredSet) *Cluster {
	var cp *reconciler.ClusterPreview
	for _, p := range c.in.Live.Clusters {
		if p.Name == name {
			cp = p
		}
	}
	if cp == nil || cp.Err != nil {
		reason := "not previewed on the live cluster"
		if cp != nil {
			reason = cp.Err.Error()
		}
		if c.in.Base.Err != nil || len(c.in.Base.Clusters) == 0 {
			return &Cluster{Name: name, Unreachable: true, Subscriptions: []*Subscription{},
				Note: reason + "; not previewed"}
		}
		cl := c.cluster(name, base, head)
		cl.Unreachable = true
		cl.Note = fmt.Sprintf("%s; compared with the base revision %s instead", reason, revisionName(Revision{Revision: c.in.Base.Revision}))
		return cl
	}
	cl := &Cluster{Name: name, Subscriptions: []*Subscription{}}
	for _, sp := range cp.Sets {
		sub := &Subscription{Name: sp.Subscription, Objects: []*Object{}}
		cl.Subscriptions = append(cl.Subscriptions, sub)
		switch {
		case sp.RenderErr != nil:
			sub.Error = sp.RenderErr.Error()
			continue
		case sp.Err != nil:
			sub.Notes = append(sub.Notes, "not previewed: "+sp.Err.Error())
			continue
		case !sp.Targeted:
			sub.Notes = append(sub.Notes, "the subscription no longer targets this cluster: its objects are removed here")
			if c.targetedElsewhere(sp.Subscription) && sp.Plan.Counts()[reconciler.Pruned] > 0 {
				sub.Notes = append(sub.Notes, "make-before-break: the prune runs once the subscription's other clusters are healthy")
			}
		}
		c.fill(sub, sp.Plan, head[sp.Subscription], "live", fromLive(sp))
		addDryRuns(sub, sp)
	}
	for _, s := range cl.Subscriptions {
		cl.Changed = cl.Changed || s.Changed
	}
	return cl
}

// fromLive compares the live object with the server's dry run of its apply.
func fromLive(sp *reconciler.SetPreview) versions {
	return func(step reconciler.Step) (*render.Object, *render.Object) {
		dry := sp.DryRuns[step.Key].Object
		if step.Live == nil || dry == nil {
			return nil, nil
		}
		return serverView(step.Key, step.Live), serverView(step.Key, dry)
	}
}

// addDryRuns records the dry runs' failures and unchecked objects.
func addDryRuns(sub *Subscription, sp *reconciler.SetPreview) {
	for _, o := range sub.Objects {
		r, ok := sp.DryRuns[render.ObjectKey{Group: o.Group, Kind: o.Kind, Namespace: o.Namespace, Name: o.Name}]
		switch {
		case !ok:
		case r.Err != nil:
			o.Error = r.Err.Error()
		case r.Unchecked != "":
			o.Reason = joinReason(o.Reason, r.Unchecked)
		case o.Action == reconciler.Configured && o.Diff == "":
			o.Reason = joinReason(o.Reason, "the server's dry run changes no field")
		}
	}
}

func joinReason(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// serverView is a server's object without the fields the server owns
// (status and bookkeeping metadata), for comparison.
func serverView(key render.ObjectKey, u *unstructured.Unstructured) *render.Object {
	m := u.DeepCopy().Object
	delete(m, "status")
	if meta, ok := m["metadata"].(map[string]any); ok {
		for _, f := range serverOwned {
			delete(meta, f)
		}
	}
	data, err := json.Marshal(m)
	if err != nil {
		return nil
	}
	return &render.Object{Key: key, APIVersion: u.GetAPIVersion(), JSON: data}
}

// storedForm is a rendered object as the API server stores it, for a base
// render standing in for a cluster: a Secret's stringData is folded into
// its data, base64-encoded, so an unchanged Secret does not look drifted.
func storedForm(u *unstructured.Unstructured) *unstructured.Unstructured {
	sd, found, _ := unstructured.NestedStringMap(u.Object, "stringData")
	if u.GetAPIVersion() != "v1" || u.GetKind() != "Secret" || !found {
		return u
	}
	data, _, _ := unstructured.NestedMap(u.Object, "data")
	if data == nil {
		data = map[string]any{}
	}
	for k, v := range sd {
		data[k] = base64.StdEncoding.EncodeToString([]byte(v))
	}
	delete(u.Object, "stringData")
	u.Object["data"] = data
	return u
}
