package status

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/manifold-gitops/manifold/reconciler"
	"github.com/manifold-gitops/manifold/render"
)

func sampleReport() *reconciler.Report {
	key := func(kind, ns, name string) render.ObjectKey {
		return render.ObjectKey{Kind: kind, Namespace: ns, Name: name}
	}
	return &reconciler.Report{
		Revision: "0123456789abcdef",
		Clusters: []*reconciler.ClusterReport{
			{
				Name: "SPG-01", Reachable: true, Version: "v1.37.2",
				Sets: []*reconciler.SetReport{{
					Cluster: "SPG-01", Subscription: "qcbm-subscription", Health: reconciler.Healthy,
					HeldReason: "needs approval: add the commit trailer 'Manifold-Allow-Prune: qcbm-subscription@SPG-01'",
					Changes: reconciler.ChangeSet{Entries: []reconciler.Change{
						{Key: key("Deployment", "qcbm", "user-service"), Action: reconciler.Configured, Reason: "drift at spec.replicas"},
						{Key: key("Namespace", "", "qcbm"), Action: reconciler.Held},
						{Key: key("ConfigMap", "qcbm", "old"), Action: reconciler.Pruned},
						{Key: key("Service", "qcbm", "x"), Action: reconciler.Failed, Err: errors.New("Service/qcbm/x apply failed: conflict")},
					}},
				}},
			},
			{Name: "SPG-02", Err: errors.New("cluster SPG-02 is unreachable: connection refused")},
		},
	}
}

func TestFromReportRoundTrip(t *testing.T) {
	at := time.Date(2026, 12, 4, 16, 0, 0, 0, time.UTC)
	n := FromReport(sampleReport(), nil, at)
	if n.Outcome != OutcomeFailed {
		t.Errorf("outcome %s, want Failed", n.Outcome)
	}
	back, err := Parse(n.YAML())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(n, back); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	s := n.Clusters[0].Subscriptions[0]
	want := SubscriptionNote{
		Name: "qcbm-subscription", Health: "Healthy",
		Actions:    map[string]int{"configured": 1, "held": 1, "pruned": 1, "failed": 1},
		Changed:    []string{"configured Deployment/qcbm/user-service (drift at spec.replicas)"},
		Pruned:     []string{"ConfigMap/qcbm/old"},
		Held:       []string{"Namespace/qcbm"},
		HeldReason: "needs approval: add the commit trailer 'Manifold-Allow-Prune: qcbm-subscription@SPG-01'",
		Failed:     []string{"Service/qcbm/x apply failed: conflict"},
	}
	if diff := cmp.Diff(want, s); diff != "" {
		t.Errorf("subscription note (-want +got):\n%s", diff)
	}
	if n.Clusters[1].Reachable || !strings.Contains(n.Clusters[1].Error, "unreachable") {
		t.Errorf("SPG-02 note: %+v", n.Clusters[1])
	}
}

func TestFingerprintIgnoresTime(t *testing.T) {
	a := FromReport(sampleReport(), nil, time.Unix(1, 0))
	b := FromReport(sampleReport(), nil, time.Unix(99999, 0))
	if a.Fingerprint() != b.Fingerprint() {
		t.Error("fingerprint depends on the time")
	}
	rep := sampleReport()
	rep.Clusters[0].Sets[0].Health = reconciler.Degraded
	if c := FromReport(rep, nil, time.Unix(1, 0)); c.Fingerprint() == a.Fingerprint() {
		t.Error("fingerprint ignores a health change")
	}
}

func TestParseMergedNotesTakesTheLast(t *testing.T) {
	first := FromReport(sampleReport(), nil, time.Unix(1, 0))
	second := FromReport(&reconciler.Report{Revision: "0123456789abcdef"}, nil, time.Unix(2, 0))
	merged := append(append(first.YAML(), []byte(noteSeparator)...), second.YAML()...)
	n, err := Parse(merged)
	if err != nil {
		t.Fatal(err)
	}
	if n.Outcome != OutcomeSynced || len(n.Clusters) != 0 {
		t.Errorf("parsed %+v, want the second note", n)
	}
}

func TestPrint(t *testing.T) {
	var b bytes.Buffer
	Print(&b, FromReport(sampleReport(), nil, time.Date(2026, 12, 4, 16, 0, 0, 0, time.UTC)))
	for _, want := range []string{
		"revision 0123456789abcdef: Failed at 2026-12-04 16:00:00 UTC",
		"cluster SPG-01: reachable v1.37.2, health Healthy",
		"  qcbm-subscription: configured 1, pruned 1, held 1, failed 1, health Healthy",
		"    held Namespace/qcbm",
		"cluster SPG-02: UNREACHABLE, health Unknown",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, b.String())
		}
	}
}

func TestCarry(t *testing.T) {
	at := time.Unix(1, 0)
	first := FromReport(sampleReport(), nil, at)
	// A health recheck of the same revision: nothing written, health changed.
	recheck := sampleReport()
	recheck.Clusters[0].Sets[0].Changes = reconciler.ChangeSet{Entries: []reconciler.Change{
		{Key: render.ObjectKey{Kind: "Deployment", Namespace: "qcbm", Name: "user-service"}, Action: reconciler.Unchanged},
	}}
	recheck.Clusters[0].Sets[0].Health = reconciler.Degraded
	got := Carry(first, FromReport(recheck, nil, at))
	s := got.Clusters[0].Subscriptions[0]
	if s.Health != "Degraded" {
		t.Errorf("health %s, want the new Degraded", s.Health)
	}
	if s.Actions["configured"] != 1 || len(s.Changed) != 1 || len(s.Pruned) != 1 {
		t.Errorf("the revision's changes were lost: %+v", s)
	}
	// A drift repair writes: its change is added to the earlier ones.
	repair := sampleReport()
	repair.Clusters[0].Sets[0].Changes = reconciler.ChangeSet{Entries: []reconciler.Change{
		{Key: render.ObjectKey{Kind: "Deployment", Namespace: "qcbm", Name: "order-service"}, Action: reconciler.Configured, Reason: "drift at spec.replicas"},
	}}
	got = Carry(first, FromReport(repair, nil, at))
	if c := got.Clusters[0].Subscriptions[0].Changed; len(c) != 2 || !strings.Contains(c[1], "order-service (drift at spec.replicas)") {
		t.Errorf("changed = %v", c)
	}
	// Another revision is not carried.
	other := FromReport(&reconciler.Report{Revision: "fedcba"}, nil, at)
	if Carry(first, other) != other {
		t.Error("a note of another revision was carried")
	}
}

func TestPrintRollouts(t *testing.T) {
	n := FromReport(sampleReport(), nil, time.Date(2026, 12, 4, 16, 0, 0, 0, time.UTC))
	n.Rollouts = []RolloutNote{
		{Subscription: "qcbm-subscription", Revision: "0123456789abcdef", Stable: "fedcba9876543210", Wave: "canary",
			State: "Halted", Message: "wave canary not healthy within 20s: SPG-02; halted", OnStable: []string{"SPG-01"}},
		{Subscription: "web", Revision: "0123456789abcdef", Stable: "0123456789abcdef", Wave: "rest", State: "Completed", Done: []string{"canary", "rest"}},
	}
	var b bytes.Buffer
	Print(&b, n)
	for _, want := range []string{
		"rollout qcbm-subscription: Halted, wave canary\n  on stable revision fedcba9876543210: SPG-01\n  wave canary not healthy within 20s: SPG-02; halted\n",
		"rollout web: Completed (done: canary, rest)\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, b.String())
		}
	}
	parsed, err := Parse(n.YAML())
	if err != nil || len(parsed.Rollouts) != 2 || parsed.Rollouts[0].State != "Halted" || parsed.Rollouts[0].OnStable[0] != "SPG-01" {
		t.Errorf("rollouts do not survive the note's YAML: %+v, %v", parsed, err)
	}
}
