package status

// Carry folds a re-sync of the same revision into the note written before,
// so the note keeps what the revision changed. A re-sync (drift repair,
// health recheck) that wrote nothing for a subscription keeps the earlier
// actions and changes and takes the new health, held prunes and errors; one
// that wrote something takes the new actions and adds its changes to the
// earlier ones. Notes of different revisions are returned as cur.
func Carry(prev, cur *Note) *Note {
	if prev == nil || prev.Revision != cur.Revision {
		return cur
	}
	out := *cur
	out.Clusters = make([]ClusterNote, len(cur.Clusters))
	for i, c := range cur.Clusters {
		out.Clusters[i] = c
		pc := findCluster(prev, c.Name)
		if pc == nil {
			continue
		}
		subs := make([]SubscriptionNote, len(c.Subscriptions))
		for j, s := range c.Subscriptions {
			subs[j] = s
			ps := findSubscription(pc, s.Name)
			if ps == nil {
				continue
			}
			if !wrote(s) {
				subs[j].Actions, subs[j].Changed, subs[j].Pruned, subs[j].Skipped = ps.Actions, ps.Changed, ps.Pruned, ps.Skipped
				continue
			}
			subs[j].Changed = append(append([]string(nil), ps.Changed...), s.Changed...)
			subs[j].Pruned = append(append([]string(nil), ps.Pruned...), s.Pruned...)
		}
		out.Clusters[i].Subscriptions = subs
	}
	return &out
}

// wrote reports whether a subscription's sync wrote anything.
func wrote(s SubscriptionNote) bool {
	return s.Actions["created"]+s.Actions["configured"]+s.Actions["pruned"] > 0
}

func findCluster(n *Note, name string) *ClusterNote {
	for i := range n.Clusters {
		if n.Clusters[i].Name == name {
			return &n.Clusters[i]
		}
	}
	return nil
}

func findSubscription(c *ClusterNote, name string) *SubscriptionNote {
	for i := range c.Subscriptions {
		if c.Subscriptions[i].Name == name {
			return &c.Subscriptions[i]
		}
	}
	return nil
}
