package daemon

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/manifold-gitops/manifold/failover"
	"github.com/manifold-gitops/manifold/reconciler"
	"github.com/manifold-gitops/manifold/render"
	"github.com/manifold-gitops/manifold/status"
)

func TestPruned(t *testing.T) {
	const sub, standby = "web", "SPG-03"
	rendered := &render.Result{Sets: []*render.DesiredSet{{Cluster: "SPG-01", Subscription: sub}}}
	report := func(reachable bool, sets ...*reconciler.SetReport) *reconciler.Report {
		return &reconciler.Report{Clusters: []*reconciler.ClusterReport{
			{Name: "SPG-01", Reachable: true},
			{Name: standby, Reachable: reachable, Sets: sets},
		}}
	}
	changes := func(actions ...reconciler.Action) reconciler.ChangeSet {
		var cs reconciler.ChangeSet
		for _, a := range actions {
			cs.Entries = append(cs.Entries, reconciler.Change{Action: a})
		}
		return cs
	}
	tests := []struct {
		name string
		res  *render.Result
		rep  *reconciler.Report
		want bool
	}{
		{"pruned", rendered, report(true, &reconciler.SetReport{Subscription: sub, Changes: changes(reconciler.Pruned, reconciler.Pruned)}), true},
		{"nothing left (no inventory)", rendered, report(true), true},
		{"held for make-before-break", rendered, report(true, &reconciler.SetReport{Subscription: sub, Changes: changes(reconciler.Pruned, reconciler.Held)}), false},
		{"a prune failed", rendered, report(true, &reconciler.SetReport{Subscription: sub, Changes: changes(reconciler.Failed)}), false},
		{"unreachable", rendered, report(false), false},
		{"still targeted by the render", &render.Result{Sets: []*render.DesiredSet{{Cluster: standby, Subscription: sub}}}, report(true), false},
		{"another set failed to render there", &render.Result{Sets: []*render.DesiredSet{{Cluster: standby, Subscription: "other", Err: errors.New("bad")}}}, report(true), false},
		{"cluster no longer declared", rendered, &reconciler.Report{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := pruned(tt.res, tt.rep, sub, standby); got != tt.want {
				t.Errorf("pruned = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestNoteDecisions(t *testing.T) {
	d := New(Options{Reconciler: reconciler.New(reconciler.Options{})})
	var ds []failover.Decision
	for i := range maxNoteDecisions + 5 {
		ds = append(ds, failover.Decision{Subscription: "web", Kind: failover.KindTraffic, Message: fmt.Sprintf("decision %d", i)})
	}
	d.recordDecisions(ds[:2])
	first := d.noteDecisions(nil, "abc")
	if len(first) != 2 || !strings.HasSuffix(first[1], " decision 1") {
		t.Fatalf("first note: %q", first)
	}
	if again := d.noteDecisions(nil, "abc"); len(again) != 0 {
		t.Errorf("decisions taken twice: %q", again)
	}
	// A later note of the same revision keeps the earlier decisions.
	d.recordDecisions(ds[2:3])
	second := d.noteDecisions(&status.Note{Revision: "abc", Decisions: first}, "abc")
	if diff := cmp.Diff(append(first, second[2]), second); diff != "" || len(second) != 3 {
		t.Errorf("second note (-want +got):\n%s", diff)
	}
	// A note of another revision starts afresh; only the latest are kept.
	d.recordDecisions(ds)
	third := d.noteDecisions(&status.Note{Revision: "abc", Decisions: second}, "def")
	if len(third) != maxNoteDecisions || !strings.HasSuffix(third[len(third)-1], " decision 54") {
		t.Errorf("third note has %d decisions, last %q", len(third), third[len(third)-1])
	}
}
