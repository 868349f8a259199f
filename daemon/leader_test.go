package daemon

import (
	"context"
	"log/slog"
	"slices"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/utils/ptr"
)

// leaseServer is a fake API server whose Lease updates are optimistic as
// on a real one: an update with a stale resourceVersion is a conflict.
func leaseServer() *fake.Clientset {
	client := fake.NewClientset()
	gvr := coordinationv1.SchemeGroupVersion.WithResource("leases")
	client.PrependReactor("update", "leases", func(action k8stesting.Action) (bool, runtime.Object, error) {
		lease := action.(k8stesting.UpdateAction).GetObject().(*coordinationv1.Lease).DeepCopy()
		cur, err := client.Tracker().Get(gvr, lease.Namespace, lease.Name)
		if err != nil {
			return true, nil, err
		}
		rv := cur.(*coordinationv1.Lease).ResourceVersion
		if lease.ResourceVersion != rv {
			return true, nil, apierrors.NewConflict(gvr.GroupResource(), lease.Name, nil)
		}
		lease.ResourceVersion = rv + "1"
		return true, lease, client.Tracker().Update(gvr, lease, lease.Namespace)
	})
	return client
}

// fastElection has short lease timings for tests on a fake API server.
func fastElection(client *fake.Clientset, identity string, shards int) *Election {
	return &Election{
		Leases: client.CoordinationV1(), Identity: identity, Shards: shards,
		LeaseDuration: time.Second, RenewDeadline: 600 * time.Millisecond, RetryPeriod: 100 * time.Millisecond,
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 10s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestElectionValidate(t *testing.T) {
	e := fastElection(leaseServer(), "a", 1)
	if err := e.Validate(); err != nil {
		t.Errorf("valid timings refused: %v", err)
	}
	e.RenewDeadline = 2 * time.Second
	if err := e.Validate(); err == nil {
		t.Error("a renew deadline longer than the lease was accepted")
	}
	if err := (Election{}).Validate(); err == nil {
		t.Error("an election without a coordination cluster was accepted")
	}
}

// TestLeaderHandover: one of two replicas leads; stopping it releases the
// Lease at once and the other takes over; the leader's scope ends the
// moment its Lease is taken.
func TestLeaderHandover(t *testing.T) {
	client := leaseServer()
	a := newLeadership(fastElection(client, "a", 1), slog.New(slog.DiscardHandler))
	b := newLeadership(fastElection(client, "b", 1), slog.New(slog.DiscardHandler))
	stopA := a.start(context.Background())
	waitFor(t, "a leads", func() bool { return a.report().Leader })
	stopB := b.start(context.Background())
	defer stopB()
	time.Sleep(300 * time.Millisecond)
	if b.report().Leader {
		t.Fatal("b leads while a holds the Lease")
	}
	if sc, release := b.scope(); sc.leads() {
		release()
		t.Fatal("b has a scope while following")
	}

	stopA() // releases the Lease
	waitFor(t, "b leads after a released the Lease", func() bool { return b.report().Leader })
	lease, err := client.CoordinationV1().Leases("manifold-system").Get(context.Background(), "manifold", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := ptr.Deref(lease.Spec.HolderIdentity, ""); got != "b" {
		t.Errorf("Lease holder %q, want b", got)
	}

	// Someone else takes the Lease: b's scope ends within its renew deadline.
	sc, release := b.scope()
	defer release()
	if !slices.Equal(sc.shards, []int{0}) {
		t.Fatalf("b's scope holds %v, want [0]", sc.shards)
	}
	taken := time.Now()
	takeLease(t, client, "manifold", "c")
	select {
	case <-sc.ctx.Done():
		t.Logf("b stopped writing %s after the Lease was taken", time.Since(taken).Round(time.Millisecond))
	case <-time.After(5 * time.Second):
		t.Fatal("b's scope did not end after its Lease was taken")
	}
	if b.report().Leader {
		t.Error("b still reports leading")
	}
}

// takeLease makes identity the holder of a Lease, renewed now for an hour.
func takeLease(t *testing.T, client *fake.Clientset, name, identity string) {
	t.Helper()
	leases := client.CoordinationV1().Leases("manifold-system")
	lease, err := leases.Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	now := metav1.NewMicroTime(time.Now())
	lease.Spec = coordinationv1.LeaseSpec{HolderIdentity: ptr.To(identity), LeaseDurationSeconds: ptr.To[int32](3600), AcquireTime: &now, RenewTime: &now}
	if _, err := leases.Update(context.Background(), lease, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// TestShardLeases: three replicas share three shard Leases. The first to
// start takes them all, and hands two over once the others are there:
// each then holds one. When a replica stops, only its shard moves.
func TestShardLeases(t *testing.T) {
	client := leaseServer()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var ls []*leadership
	stops := map[string]func(){}
	for _, id := range []string{"a", "b", "c"} {
		l := newLeadership(fastElection(client, id, 3), slog.New(slog.DiscardHandler))
		ls = append(ls, l)
		stops[id] = l.start(ctx)
		defer func() { stops[id]() }()
		if id == "a" {
			waitFor(t, "a holds every shard", func() bool { return slices.Equal(l.report().Held, []int{0, 1, 2}) })
		}
		go func() { // as the daemon does between cycles
			for ctx.Err() == nil {
				l.rebalance(ctx)
				time.Sleep(100 * time.Millisecond)
			}
		}()
	}
	if got := ls[0].names; !slices.Equal(got, []string{"manifold-shard-0", "manifold-shard-1", "manifold-shard-2"}) {
		t.Errorf("lease names %v", got)
	}
	one := func(l *leadership) bool { return len(l.report().Held) == 1 }
	waitFor(t, "one shard each", func() bool { return one(ls[0]) && one(ls[1]) && one(ls[2]) })
	if got := ls[0].report().Held; !slices.Equal(got, []int{0}) {
		t.Errorf("a kept %v, want the primary shard [0]", got)
	}

	before := map[*leadership][]int{ls[1]: ls[1].report().Held, ls[2]: ls[2].report().Held}
	stops["a"]()
	stops["a"] = func() {}
	waitFor(t, "a's shard taken over", func() bool {
		all := append(slices.Clone(ls[1].report().Held), ls[2].report().Held...)
		slices.Sort(all)
		return slices.Equal(all, []int{0, 1, 2})
	})
	for l, held := range before {
		for _, shard := range held {
			if !slices.Contains(l.report().Held, shard) {
				t.Errorf("%s lost shard %d when a stopped", l.opts.Identity, shard)
			}
		}
	}
	if got := ls[0].report(); got.Leader || len(got.Held) > 0 {
		t.Errorf("a stopped but reports %+v", got)
	}
	members, err := ls[1].members(ctx)
	if err != nil || members != 2 {
		t.Errorf("members after a left: %d, %v; want 2", members, err)
	}
}
