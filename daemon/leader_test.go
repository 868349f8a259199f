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

// TestShardLeases: three replicas share three shard Leases, each held by
// exactly one; when a replica stops, its shards move to the others.
func TestShardLeases(t *testing.T) {
	client := leaseServer()
	var ls []*leadership
	var stops []func()
	for _, id := range []string{"a", "b", "c"} {
		l := newLeadership(fastElection(client, id, 3), slog.New(slog.DiscardHandler))
		ls = append(ls, l)
		stops = append(stops, l.start(context.Background()))
	}
	defer func() {
		for _, stop := range stops[1:] {
			stop()
		}
	}()
	held := func(ls []*leadership) []int {
		var all []int
		for _, l := range ls {
			all = append(all, l.report().Held...)
		}
		slices.Sort(all)
		return all
	}
	waitFor(t, "every shard held", func() bool { return slices.Equal(held(ls), []int{0, 1, 2}) })
	names := ls[0].names
	if !slices.Equal(names, []string{"manifold-shard-0", "manifold-shard-1", "manifold-shard-2"}) {
		t.Errorf("lease names %v", names)
	}

	stops[0]()
	waitFor(t, "a's shards taken over", func() bool { return slices.Equal(held(ls[1:]), []int{0, 1, 2}) })
	if got := ls[0].report(); got.Leader || len(got.Held) > 0 {
		t.Errorf("a stopped but reports %+v", got)
	}
}
