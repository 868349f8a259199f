package daemon

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/manifold-gitops/manifold/api"
	"github.com/manifold-gitops/manifold/gitsource"
	"github.com/manifold-gitops/manifold/render"
	"github.com/manifold-gitops/manifold/status"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// ShardNotesRefPrefix names the notes refs of a sharded daemon: the owner
// of shard i writes the outcome for the clusters of shard i under
// refs/notes/manifold-shard-<i>, so owners never write the same note.
const ShardNotesRefPrefix = "refs/notes/manifold-shard-"

// errRolloutSharded marks the sets of subscriptions with rollout waves when
// the daemon is sharded: a rollout spans the shards, so it is held.
var errRolloutSharded = errors.New("rollout waves are not supported with --shards: nothing is applied or pruned for this subscription")

// ShardOf returns the shard of a cluster among shards: the 32-bit FNV-1a
// hash of the cluster name modulo shards. It depends on the name only, so
// every replica agrees without talking to the others.
func ShardOf(cluster string, shards int) int {
	if shards <= 1 {
		return 0
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(cluster))
	return int(h.Sum32() % uint32(shards))
}

// ShardNotesRef is the notes ref the owner of shard writes.
func ShardNotesRef(shard int) plumbing.ReferenceName {
	return plumbing.ReferenceName(ShardNotesRefPrefix + strconv.Itoa(shard))
}

// scope is what one cycle may write: the clusters of the shards held.
type scope struct {
	// ctx ends as soon as a shard of the scope is lost: the cycle stops
	// writing at once.
	ctx    context.Context
	count  int   // shards in all; 1 without sharding
	shards []int // held, sorted
}

// sharded reports whether clusters are split between replicas.
func (s scope) sharded() bool { return s.count > 1 }

// leads reports whether the scope holds any shard.
func (s scope) leads() bool { return len(s.shards) > 0 }

// key identifies the scope's shards, so a changed scope syncs again.
func (s scope) key() string {
	parts := make([]string, len(s.shards))
	for i, sh := range s.shards {
		parts[i] = strconv.Itoa(sh)
	}
	return strconv.Itoa(s.count) + ":" + strings.Join(parts, ",")
}

func (s scope) holds(shard int) bool {
	for _, sh := range s.shards {
		if sh == shard {
			return true
		}
	}
	return false
}

// owns reports whether the cluster belongs to a shard of the scope.
func (s scope) owns(cluster string) bool { return s.holds(ShardOf(cluster, s.count)) }

// filter returns the part of res this scope syncs: its clusters and their
// sets, so the reconciler neither applies to nor prunes on any other
// cluster. Policies and problems stay whole. Sharded, the sets of
// subscriptions with rollout waves are marked failed: waves span shards.
func (s scope) filter(res *render.Result) *render.Result {
	if !s.sharded() {
		return res
	}
	out := *res
	out.Clusters, out.Sets = nil, nil
	for _, c := range res.Clusters {
		if s.owns(c.Metadata.Name) {
			out.Clusters = append(out.Clusters, c)
		}
	}
	waves := rolloutSubscriptions(res.Policies.Subscriptions)
	for _, set := range res.Sets {
		if !s.owns(set.Cluster) {
			continue
		}
		if waves[set.Subscription] && set.Err == nil {
			held := *set
			held.Err = fmt.Errorf("subscription %s: %w", set.Subscription, errRolloutSharded)
			set = &held
		}
		out.Sets = append(out.Sets, set)
	}
	return &out
}

// rolloutSubscriptions names the subscriptions declaring rollout waves.
func rolloutSubscriptions(subs []*api.Subscription) map[string]bool {
	out := map[string]bool{}
	for _, sub := range subs {
		if sub.Spec.Rollout != nil && len(sub.Spec.Rollout.Waves) > 0 {
			out[sub.Metadata.Name] = true
		}
	}
	return out
}

// shardNote is one note to write: where, and what.
type shardNote struct {
	ref  plumbing.ReferenceName
	note *status.Note
}

// notes splits a cycle's note by shard: unsharded, the whole note under
// refs/notes/manifold; sharded, one note per held shard with the clusters
// of that shard only, each under its own ref. The outcome of each part is
// computed from its own clusters (an invalid revision fails every part).
func (s scope) notes(n *status.Note) []shardNote {
	if !s.sharded() {
		return []shardNote{{ref: gitsource.NotesRef, note: n}}
	}
	out := make([]shardNote, 0, len(s.shards))
	for _, sh := range s.shards {
		part := *n
		part.Clusters = nil
		failed := n.Error != ""
		for _, c := range n.Clusters {
			if ShardOf(c.Name, s.count) != sh {
				continue
			}
			part.Clusters = append(part.Clusters, c)
			failed = failed || clusterFailed(c)
		}
		part.Outcome = status.OutcomeSynced
		if failed {
			part.Outcome = status.OutcomeFailed
		}
		out = append(out, shardNote{ref: ShardNotesRef(sh), note: &part})
	}
	return out
}

// clusterFailed reports whether a cluster's part of a note failed.
func clusterFailed(c status.ClusterNote) bool {
	if c.Error != "" {
		return true
	}
	for _, s := range c.Subscriptions {
		if s.Error != "" || len(s.Failed) > 0 {
			return true
		}
	}
	return false
}

// Balancing. Every replica campaigns for every shard, so the first replica
// to start would hold them all. To spread them, each replica also holds a
// member Lease of its own (<prefix>member-<hash of the identity>), and
// between cycles — never during one — a replica holding more than its
// share, ceil(shards / live members), hands the excess over: it releases
// its highest shards and leaves them to the others for two lease
// durations. Shard 0, the primary, is kept longest.

// memberShard marks the member Lease's campaign.
const memberShard = -1

// memberLease is this replica's member Lease.
func (l *leadership) memberLease() string {
	h := fnv.New32a()
	_, _ = h.Write([]byte(l.opts.Identity))
	return fmt.Sprintf("%smember-%08x", l.opts.ShardLeasePrefix, h.Sum32())
}

func (l *leadership) cooldownLeft(shard int) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return time.Until(l.cooldown[shard])
}

// rebalance hands over the shards held beyond this replica's share. Call it
// only while no cycle runs. Without sharding, or when the members cannot be
// counted, it does nothing.
func (l *leadership) rebalance(ctx context.Context) {
	if l == nil || l.opts.Shards <= 1 {
		return
	}
	members, err := l.members(ctx)
	if err != nil {
		l.log.Warn("counting the replicas for shard balancing", "err", err)
		return
	}
	if members == 0 {
		return
	}
	share := (l.opts.Shards + members - 1) / members
	l.mu.Lock()
	var held []int
	for shard, term := range l.held {
		if term.Err() == nil {
			held = append(held, shard)
		}
	}
	slices.Sort(held)
	var shed []int
	for len(held) > share {
		shard := held[len(held)-1]
		held = held[:len(held)-1]
		shed = append(shed, shard)
		l.cooldown[shard] = time.Now().Add(2 * l.opts.LeaseDuration)
		if cancel := l.runs[shard]; cancel != nil {
			cancel() // the elector releases the Lease (ReleaseOnCancel)
		}
	}
	l.mu.Unlock()
	for _, shard := range shed {
		l.log.Info("handing a shard over to balance the replicas", "lease", l.names[shard], "members", members, "share", share)
	}
}

// members counts the live member Leases (held and not expired), and
// deletes member Leases expired for ten lease durations: replicas that were
// killed.
func (l *leadership) members(ctx context.Context) (int, error) {
	leases := l.opts.Leases.Leases(l.opts.Namespace)
	list, err := leases.List(ctx, metav1.ListOptions{})
	if err != nil {
		return 0, err
	}
	prefix := l.opts.ShardLeasePrefix + "member-"
	now := time.Now()
	live := 0
	for _, lease := range list.Items {
		if !strings.HasPrefix(lease.Name, prefix) || lease.Spec.RenewTime == nil || lease.Spec.LeaseDurationSeconds == nil {
			continue
		}
		expires := lease.Spec.RenewTime.Add(time.Duration(*lease.Spec.LeaseDurationSeconds) * time.Second)
		switch {
		case ptr.Deref(lease.Spec.HolderIdentity, "") != "" && now.Before(expires):
			live++
		case now.After(expires.Add(10 * l.opts.LeaseDuration)):
			_ = leases.Delete(ctx, lease.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{ResourceVersion: &lease.ResourceVersion}})
		}
	}
	return live, nil
}

// leave deletes this replica's member Lease after its campaigns ended, so
// it is not counted any more.
func (l *leadership) leave() {
	if l.opts.Shards <= 1 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), l.opts.RenewDeadline)
	defer cancel()
	_ = l.opts.Leases.Leases(l.opts.Namespace).Delete(ctx, l.memberLease(), metav1.DeleteOptions{})
}

// balanceTicks ticks every lease duration while sharded; it never ticks
// otherwise. Stop it when done.
func (l *leadership) balanceTicks() *time.Ticker {
	if l == nil || l.opts.Shards <= 1 {
		t := time.NewTicker(time.Hour)
		t.Stop() // a stopped ticker never ticks
		return t
	}
	return time.NewTicker(l.opts.LeaseDuration)
}
