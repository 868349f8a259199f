package daemon

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/manifold-gitops/manifold/api"
	"github.com/manifold-gitops/manifold/render"
	"github.com/manifold-gitops/manifold/status"
)

func TestShardOf(t *testing.T) {
	// The values are part of the contract: replicas of different versions
	// must agree on who owns a cluster.
	want := map[string]int{"SPG-01": 2, "SPG-02": 2, "SPG-03": 1, "SPG-04": 1, "SPG-05": 0, "SPG-06": 0}
	for name, shard := range want {
		if got := ShardOf(name, 3); got != shard {
			t.Errorf("ShardOf(%s, 3) = %d, want %d", name, got, shard)
		}
		if got := ShardOf(name, 1); got != 0 {
			t.Errorf("ShardOf(%s, 1) = %d, want 0", name, got)
		}
	}
	if got := ShardOf("SPG-01", 0); got != 0 {
		t.Errorf("ShardOf(SPG-01, 0) = %d, want 0", got)
	}
}

func cluster(name string) *api.Cluster {
	return &api.Cluster{Metadata: api.ObjectMeta{Name: name}}
}

func TestScopeFilter(t *testing.T) {
	res := &render.Result{
		Revision: "abc",
		Policies: api.Set{Subscriptions: []*api.Subscription{
			{Metadata: api.ObjectMeta{Name: "web"}},
			{Metadata: api.ObjectMeta{Name: "canary"}, Spec: api.SubscriptionSpec{Rollout: &api.Rollout{Waves: []api.Wave{{Name: "all"}}}}},
		}},
		Clusters: []*api.Cluster{cluster("SPG-01"), cluster("SPG-03"), cluster("SPG-05")},
		Sets: []*render.DesiredSet{
			{Cluster: "SPG-01", Subscription: "web"},
			{Cluster: "SPG-03", Subscription: "canary"},
			{Cluster: "SPG-03", Subscription: "web"},
			{Cluster: "SPG-05", Subscription: "web"},
		},
	}
	tests := []struct {
		name         string
		sc           scope
		wantClusters []string
		wantSets     []string
		wantHeld     []string // sets marked failed: rollout waves
	}{
		{"unsharded: everything", scope{count: 1, shards: []int{0}}, []string{"SPG-01", "SPG-03", "SPG-05"}, []string{"SPG-01/web", "SPG-03/canary", "SPG-03/web", "SPG-05/web"}, nil},
		{"shard 1 of 3", scope{count: 3, shards: []int{1}}, []string{"SPG-03"}, []string{"SPG-03/canary", "SPG-03/web"}, []string{"SPG-03/canary"}},
		{"shards 0 and 2 of 3", scope{count: 3, shards: []int{0, 2}}, []string{"SPG-01", "SPG-05"}, []string{"SPG-01/web", "SPG-05/web"}, nil},
		{"no shard", scope{count: 3}, nil, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.sc.filter(res)
			var clusters, sets, held []string
			for _, c := range got.Clusters {
				clusters = append(clusters, c.Metadata.Name)
			}
			for _, s := range got.Sets {
				sets = append(sets, s.Cluster+"/"+s.Subscription)
				if errors.Is(s.Err, errRolloutSharded) {
					held = append(held, s.Cluster+"/"+s.Subscription)
				}
			}
			if diff := cmp.Diff(tt.wantClusters, clusters); diff != "" {
				t.Errorf("clusters (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantSets, sets); diff != "" {
				t.Errorf("sets (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantHeld, held); diff != "" {
				t.Errorf("held sets (-want +got):\n%s", diff)
			}
			if got.Revision != res.Revision || len(got.Policies.Subscriptions) != 2 {
				t.Errorf("revision or policies changed: %+v", got)
			}
		})
	}
	if res.Sets[1].Err != nil || len(res.Clusters) != 3 {
		t.Error("filter changed its input")
	}
}

func TestScopeNotes(t *testing.T) {
	note := &status.Note{Revision: "abc", Outcome: status.OutcomeFailed, Decisions: []string{"d"}, Clusters: []status.ClusterNote{
		{Name: "SPG-01", Health: "Healthy"},
		{Name: "SPG-02", Health: "Healthy"},
		{Name: "SPG-03", Error: "unreachable"},
		{Name: "SPG-05", Health: "Healthy"},
	}}
	type part struct {
		Ref      string
		Outcome  string
		Clusters []string
	}
	summarize := func(ns []shardNote) []part {
		var out []part
		for _, n := range ns {
			p := part{Ref: n.ref.String(), Outcome: n.note.Outcome}
			for _, c := range n.note.Clusters {
				p.Clusters = append(p.Clusters, c.Name)
			}
			out = append(out, p)
		}
		return out
	}
	got := summarize(scope{count: 3, shards: []int{1, 2}, ctx: context.Background()}.notes(note))
	want := []part{
		{Ref: "refs/notes/manifold-shard-1", Outcome: status.OutcomeFailed, Clusters: []string{"SPG-03"}},
		{Ref: "refs/notes/manifold-shard-2", Outcome: status.OutcomeSynced, Clusters: []string{"SPG-01", "SPG-02"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("sharded notes (-want +got):\n%s", diff)
	}
	got = summarize(scope{count: 1, shards: []int{0}}.notes(note))
	want = []part{{Ref: "refs/notes/manifold", Outcome: status.OutcomeFailed, Clusters: []string{"SPG-01", "SPG-02", "SPG-03", "SPG-05"}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("unsharded note (-want +got):\n%s", diff)
	}
	if len(note.Clusters) != 4 {
		t.Error("notes changed its input")
	}
}
