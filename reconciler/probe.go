package reconciler

import (
	"context"
	"sort"

	"github.com/manifold-gitops/manifold/api"
)

// ClusterStatus is a cluster's reachability and the health of what manifold
// manages there.
type ClusterStatus struct {
	Name      string
	Reachable bool
	Version   string
	Err       error
	// Subscriptions maps each subscription with an inventory on the cluster
	// to the worst health of its objects.
	Subscriptions map[string]Health
	Objects       int
}

// Health is the worst health of the cluster's subscriptions.
func (s *ClusterStatus) Health() Health {
	if !s.Reachable {
		return Unknown
	}
	var hs []Health
	for _, h := range s.Subscriptions {
		hs = append(hs, h)
	}
	return WorstHealth(hs...)
}

// Probe checks every declared cluster concurrently: reachability, version,
// and health of the objects in its inventories. It makes no writes.
func (r *Reconciler) Probe(ctx context.Context, clusters []*api.Cluster) []*ClusterStatus {
	out := make([]*ClusterStatus, len(clusters))
	work := make([]*clusterWork, len(clusters))
	for i, c := range clusters {
		work[i] = &clusterWork{cluster: c}
		out[i] = &ClusterStatus{Name: c.Metadata.Name, Subscriptions: map[string]Health{}}
	}
	idx := map[*clusterWork]int{}
	for i, w := range work {
		idx[w] = i
	}
	r.forEach(ctx, work, func(ctx context.Context, w *clusterWork) {
		st := out[idx[w]]
		conn, err := r.Conn(w.cluster)
		if err != nil {
			st.Err = err
			return
		}
		if st.Version, err = conn.Version(ctx); err != nil {
			st.Err = err
			return
		}
		st.Reachable = true
		invs, err := loadInventories(ctx, conn)
		if err != nil {
			st.Err = err
			return
		}
		for sub, inv := range invs {
			live, err := fetchLive(ctx, conn, refsFor(nil, inv), r.opts.ObjectConcurrency)
			if err != nil {
				st.Err = err
				st.Subscriptions[sub] = Unknown
				continue
			}
			var hs []Health
			for _, e := range inv.Entries {
				st.Objects++
				u, ok := live[e.Key]
				if !ok {
					hs = append(hs, Missing)
					continue
				}
				h, _ := HealthOf(u)
				hs = append(hs, h)
			}
			st.Subscriptions[sub] = WorstHealth(hs...)
		}
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
