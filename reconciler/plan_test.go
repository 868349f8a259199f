package reconciler

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/manifold-gitops/manifold/render"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

const testCluster = "SPG-01"

func inventoryOf(objs ...*render.Object) *Inventory {
	var entries []InventoryEntry
	for _, o := range objs {
		entries = append(entries, InventoryEntry{Key: o.Key, APIVersion: o.APIVersion, Hash: o.Hash})
	}
	return NewInventory(testSub, "abc123", entries)
}

func lives(us ...*unstructured.Unstructured) map[render.ObjectKey]*unstructured.Unstructured {
	m := map[render.ObjectKey]*unstructured.Unstructured{}
	for _, u := range us {
		gv := u.GroupVersionKind()
		m[render.ObjectKey{Group: gv.Group, Kind: gv.Kind, Namespace: u.GetNamespace(), Name: u.GetName()}] = u
	}
	return m
}

// stepLine is a step as the CLI would print it.
type stepLine struct{ Action, Subject, Reason string }

func lines(p Plan) []stepLine {
	var out []stepLine
	for _, s := range p.Steps {
		out = append(out, stepLine{string(s.Action), s.Key.String(), s.Reason})
	}
	return out
}

var (
	nsQCBM  = obj("Namespace/qcbm", nil)
	deploy  = obj("Deployment/qcbm/web", map[string]any{"spec": map[string]any{"replicas": 2}})
	deploy3 = obj("Deployment/qcbm/web", map[string]any{"spec": map[string]any{"replicas": 3}})
	svc     = obj("Service/qcbm/web", map[string]any{"spec": map[string]any{"ports": []any{map[string]any{"port": 80}}}})
	cmA     = obj("ConfigMap/qcbm/a", map[string]any{"data": map[string]any{"k": "v"}})
	cmB     = obj("ConfigMap/qcbm/b", nil)
	cmC     = obj("ConfigMap/qcbm/c", nil)
	pvc     = obj("PersistentVolumeClaim/qcbm/data", nil)
	pv      = obj("PersistentVolume/data-pv", nil)
	crd     = obj("CustomResourceDefinition/books.qcbm.io", nil)
	role    = obj("ClusterRole/qcbm-reader", nil)
)

const trailerSPG01 = "'Manifold-Allow-Prune: qcbm-subscription@SPG-01'"

func TestMakePlan(t *testing.T) {
	tests := []struct {
		name     string
		in       PlanInput
		want     []stepLine
		wantHeld string
	}{{
		name: "first sync: nil inventory, nothing live: created",
		in:   PlanInput{Desired: []*render.Object{nsQCBM, deploy}},
		want: []stepLine{{"created", "Namespace/qcbm", ""}, {"created", "Deployment/qcbm/web", ""}},
	}, {
		name: "same hash in inventory and live matches: unchanged",
		in:   PlanInput{Desired: []*render.Object{deploy}, Inventory: inventoryOf(deploy), Live: lives(liveOf(deploy))},
		want: []stepLine{{"unchanged", "Deployment/qcbm/web", ""}},
	}, {
		name: "hash differs from inventory: configured, changed in Git",
		in:   PlanInput{Desired: []*render.Object{deploy3}, Inventory: inventoryOf(deploy), Live: lives(liveOf(deploy))},
		want: []stepLine{{"configured", "Deployment/qcbm/web", "changed in Git"}},
	}, {
		name: "labelled live object missing from the inventory: configured, changed in Git",
		in: PlanInput{Desired: []*render.Object{deploy, cmA}, Inventory: inventoryOf(cmA, svc),
			Live: lives(liveOf(deploy), liveOf(cmA), liveOf(svc))},
		want: []stepLine{{"unchanged", "ConfigMap/qcbm/a", ""}, {"configured", "Deployment/qcbm/web", "changed in Git"}, {"pruned", "Service/qcbm/web", ""}},
	}, {
		name: "same hash but live drifted: configured, drift at the path",
		in:   PlanInput{Desired: []*render.Object{deploy}, Inventory: inventoryOf(deploy), Live: lives(liveOf(deploy3))},
		want: []stepLine{{"configured", "Deployment/qcbm/web", "drift at spec.replicas"}},
	}, {
		name: "same hash but ownership label removed live: drift",
		in:   PlanInput{Desired: []*render.Object{deploy}, Inventory: inventoryOf(deploy), Live: lives(liveOf(deploy, withLabel(render.LabelSubscription, "")))},
		want: []stepLine{{"configured", "Deployment/qcbm/web", `drift at metadata.labels["manifold.dev/subscription"]`}},
	}, {
		name: "unlabelled live object outside the inventory: adopted",
		in:   PlanInput{Desired: []*render.Object{deploy}, Live: lives(liveOf(deploy, withLabel(render.LabelSubscription, "")))},
		want: []stepLine{{"configured", "Deployment/qcbm/web", "adopted"}},
	}, {
		name: "invariant 5: object moving in from another subscription is adopted, not recreated",
		in:   PlanInput{Desired: []*render.Object{deploy}, Live: lives(liveOf(deploy, withLabel(render.LabelSubscription, "old-sub")))},
		want: []stepLine{{"configured", "Deployment/qcbm/web", "adopted from subscription old-sub"}},
	}, {
		name: "prune candidate already gone: skipped",
		in:   PlanInput{Desired: []*render.Object{deploy}, Inventory: inventoryOf(deploy, svc), Live: lives(liveOf(deploy))},
		want: []stepLine{{"unchanged", "Deployment/qcbm/web", ""}, {"skipped", "Service/qcbm/web", "already gone"}},
	}, {
		name: "invariant 5: object moved to another subscription is skipped, not deleted",
		in: PlanInput{Desired: []*render.Object{deploy}, Inventory: inventoryOf(deploy, svc), Live: lives(liveOf(deploy), liveOf(svc)),
			ClaimedElsewhere: map[render.ObjectKey]string{svc.Key: "qcbm-v2"}},
		want: []stepLine{{"unchanged", "Deployment/qcbm/web", ""}, {"skipped", "Service/qcbm/web", "moved to subscription qcbm-v2"}},
	}, {
		name: "invariant 3: inventoried object without the ownership label is not pruned",
		in: PlanInput{Desired: []*render.Object{deploy}, Inventory: inventoryOf(deploy, svc),
			Live: lives(liveOf(deploy), liveOf(svc, withLabel(render.LabelSubscription, "")))},
		want: []stepLine{{"unchanged", "Deployment/qcbm/web", ""}, {"skipped", "Service/qcbm/web", "no longer carries this subscription's ownership label"}},
	}, {
		name: "invariant 3: inventoried object labelled for another subscription is not pruned",
		in: PlanInput{Desired: []*render.Object{deploy}, Inventory: inventoryOf(deploy, svc),
			Live: lives(liveOf(deploy), liveOf(svc, withLabel(render.LabelSubscription, "other")))},
		want: []stepLine{{"unchanged", "Deployment/qcbm/web", ""}, {"skipped", "Service/qcbm/web", "no longer carries this subscription's ownership label"}},
	}, {
		name: "invariant 3: prune disabled by annotation",
		in: PlanInput{Desired: []*render.Object{deploy}, Inventory: inventoryOf(deploy, svc),
			Live: lives(liveOf(deploy), liveOf(svc, withAnnotation(AnnotationPrune, PruneDisabled)))},
		want: []stepLine{{"unchanged", "Deployment/qcbm/web", ""}, {"skipped", "Service/qcbm/web", "prune disabled by annotation"}},
	}, {
		name: "invariant 3: labelled object outside the inventory is not pruned",
		in:   PlanInput{Desired: []*render.Object{deploy}, Inventory: inventoryOf(deploy), Live: lives(liveOf(deploy), liveOf(svc))},
		want: []stepLine{{"unchanged", "Deployment/qcbm/web", ""}},
	}, {
		name: "inventoried, labelled, not desired: pruned",
		in: PlanInput{Desired: []*render.Object{deploy, cmA}, Inventory: inventoryOf(deploy, cmA, svc),
			Live: lives(liveOf(deploy), liveOf(cmA), liveOf(svc))},
		want: []stepLine{{"unchanged", "ConfigMap/qcbm/a", ""}, {"unchanged", "Deployment/qcbm/web", ""}, {"pruned", "Service/qcbm/web", ""}},
	}, {
		name:     "invariant 2: empty render holds every prune",
		in:       PlanInput{Inventory: inventoryOf(deploy, svc), Live: lives(liveOf(deploy), liveOf(svc))},
		want:     []stepLine{{"held", "Service/qcbm/web", "the render is empty"}, {"held", "Deployment/qcbm/web", "the render is empty"}},
		wantHeld: "the render is empty; set spec.prune.allowEmpty to allow",
	}, {
		name:     "invariant 1 backstop: a nil desired set prunes nothing",
		in:       PlanInput{Desired: nil, Inventory: inventoryOf(cmA, cmB, cmC), Live: lives(liveOf(cmA), liveOf(cmB), liveOf(cmC)), PruneApproved: true},
		want:     []stepLine{{"held", "ConfigMap/qcbm/a", "the render is empty"}, {"held", "ConfigMap/qcbm/b", "the render is empty"}, {"held", "ConfigMap/qcbm/c", "the render is empty"}},
		wantHeld: "the render is empty; set spec.prune.allowEmpty to allow",
	}, {
		name:     "invariant 2: approval in Git does not release an empty render",
		in:       PlanInput{Inventory: inventoryOf(svc), Live: lives(liveOf(svc)), PruneApproved: true},
		want:     []stepLine{{"held", "Service/qcbm/web", "the render is empty"}},
		wantHeld: "the render is empty; set spec.prune.allowEmpty to allow",
	}, {
		name: "invariant 2: empty render of an inventory already gone holds nothing",
		in:   PlanInput{Desired: []*render.Object{}, Inventory: inventoryOf(svc)},
		want: []stepLine{{"skipped", "Service/qcbm/web", "already gone"}},
	}, {
		name:     "invariants 2 and 4: allowEmpty still needs approval to prune everything",
		in:       PlanInput{Inventory: inventoryOf(svc), Live: lives(liveOf(svc)), AllowEmptyPrune: true},
		want:     []stepLine{{"held", "Service/qcbm/web", "the prune needs approval"}},
		wantHeld: "prune of 1 of 1 objects (more than half) needs approval: add the commit trailer " + trailerSPG01,
	}, {
		name: "invariants 2 and 4: allowEmpty and approval prune everything",
		in:   PlanInput{Inventory: inventoryOf(svc), Live: lives(liveOf(svc)), AllowEmptyPrune: true, PruneApproved: true},
		want: []stepLine{{"pruned", "Service/qcbm/web", ""}},
	}, {
		name: "invariant 4: pruning more than half of the inventory is held",
		in: PlanInput{Desired: []*render.Object{deploy}, Inventory: inventoryOf(deploy, cmA, cmB),
			Live: lives(liveOf(deploy), liveOf(cmA), liveOf(cmB))},
		want: []stepLine{{"unchanged", "Deployment/qcbm/web", ""},
			{"held", "ConfigMap/qcbm/a", "the prune needs approval"}, {"held", "ConfigMap/qcbm/b", "the prune needs approval"}},
		wantHeld: "prune of 2 of 3 objects (more than half) needs approval: add the commit trailer " + trailerSPG01,
	}, {
		name: "invariant 4: pruning exactly half is not large",
		in: PlanInput{Desired: []*render.Object{deploy, svc}, Inventory: inventoryOf(deploy, svc, cmA, cmB),
			Live: lives(liveOf(deploy), liveOf(svc), liveOf(cmA), liveOf(cmB))},
		want: []stepLine{{"unchanged", "Service/qcbm/web", ""}, {"unchanged", "Deployment/qcbm/web", ""},
			{"pruned", "ConfigMap/qcbm/a", ""}, {"pruned", "ConfigMap/qcbm/b", ""}},
	}, {
		name: "invariant 4: skipped objects do not count as prunes",
		in: PlanInput{Desired: []*render.Object{deploy}, Inventory: inventoryOf(deploy, cmA, cmB),
			Live: lives(liveOf(deploy), liveOf(cmA))},
		want: []stepLine{{"unchanged", "Deployment/qcbm/web", ""}, {"pruned", "ConfigMap/qcbm/a", ""}, {"skipped", "ConfigMap/qcbm/b", "already gone"}},
	}, {
		name: "invariant 4: a dangerous prune holds every candidate",
		in: PlanInput{Desired: []*render.Object{deploy, svc, cmA}, Inventory: inventoryOf(deploy, svc, cmA, cmB, pvc),
			Live: lives(liveOf(deploy), liveOf(svc), liveOf(cmA), liveOf(cmB), liveOf(pvc))},
		want: []stepLine{{"unchanged", "ConfigMap/qcbm/a", ""}, {"unchanged", "Service/qcbm/web", ""}, {"unchanged", "Deployment/qcbm/web", ""},
			{"held", "ConfigMap/qcbm/b", "the prune needs approval"}, {"held", "PersistentVolumeClaim/qcbm/data", "the prune needs approval"}},
		wantHeld: "prune of 2 of 5 objects including PersistentVolumeClaim/qcbm/data needs approval: add the commit trailer " + trailerSPG01,
	}, {
		name: "invariant 4: large and dangerous, named together",
		in: PlanInput{Desired: []*render.Object{deploy}, Inventory: inventoryOf(deploy, nsQCBM, crd, pv),
			Live: lives(liveOf(deploy), liveOf(nsQCBM), liveOf(crd), liveOf(pv))},
		want: []stepLine{{"unchanged", "Deployment/qcbm/web", ""}, {"held", "PersistentVolume/data-pv", "the prune needs approval"},
			{"held", "Namespace/qcbm", "the prune needs approval"}, {"held", "CustomResourceDefinition/books.qcbm.io", "the prune needs approval"}},
		wantHeld: "prune of 3 of 4 objects (more than half) including CustomResourceDefinition/books.qcbm.io, Namespace/qcbm, PersistentVolume/data-pv needs approval: add the commit trailer " + trailerSPG01,
	}, {
		name: "invariant 4: approval in Git releases a large, dangerous prune",
		in: PlanInput{Desired: []*render.Object{deploy}, Inventory: inventoryOf(deploy, nsQCBM, cmA),
			Live: lives(liveOf(deploy), liveOf(nsQCBM), liveOf(cmA)), PruneApproved: true},
		want: []stepLine{{"unchanged", "Deployment/qcbm/web", ""}, {"pruned", "ConfigMap/qcbm/a", ""}, {"pruned", "Namespace/qcbm", ""}},
	}, {
		name: "order: applies by stage then key, removals in reverse stage order",
		in: PlanInput{
			Desired:   []*render.Object{crd, cmA, deploy, nsQCBM, role},
			Inventory: inventoryOf(crd, cmA, deploy, nsQCBM, role, cmB, cmC, pv),
			Live:      lives(liveOf(cmA), liveOf(cmB), liveOf(cmC), liveOf(pv)),
		},
		want: []stepLine{
			{"created", "CustomResourceDefinition/books.qcbm.io", ""}, {"created", "Namespace/qcbm", ""},
			{"created", "ClusterRole/qcbm-reader", ""}, {"unchanged", "ConfigMap/qcbm/a", ""}, {"created", "Deployment/qcbm/web", ""},
			{"held", "ConfigMap/qcbm/b", "the prune needs approval"}, {"held", "ConfigMap/qcbm/c", "the prune needs approval"},
			{"held", "PersistentVolume/data-pv", "the prune needs approval"},
		},
		wantHeld: "prune of 3 of 8 objects including PersistentVolume/data-pv needs approval: add the commit trailer " + trailerSPG01,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			in.Cluster, in.Subscription = testCluster, testSub
			got := MakePlan(in)
			if diff := cmp.Diff(tt.want, lines(got)); diff != "" {
				t.Errorf("steps (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantHeld, got.HeldReason); diff != "" {
				t.Errorf("HeldReason (-want +got):\n%s", diff)
			}
			for _, s := range got.Steps {
				if (s.Desired != nil) != (s.Action == Created || s.Action == Configured || s.Action == Unchanged) {
					t.Errorf("%s %s: Desired set = %v", s.Action, s.Key, s.Desired != nil)
				}
				if (s.Live != nil) != (in.Live[s.Key] != nil) {
					t.Errorf("%s %s: Live set = %v", s.Action, s.Key, s.Live != nil)
				}
			}
		})
	}
}

func TestPlanCounts(t *testing.T) {
	p := MakePlan(PlanInput{Cluster: testCluster, Subscription: testSub,
		Desired: []*render.Object{deploy, svc}, Inventory: inventoryOf(deploy, cmA, cmB),
		Live: lives(liveOf(deploy), liveOf(cmA))})
	want := map[Action]int{Unchanged: 1, Created: 1, Pruned: 1, Skipped: 1}
	if diff := cmp.Diff(want, p.Counts()); diff != "" {
		t.Errorf("Counts (-want +got):\n%s", diff)
	}
}

func TestStageOf(t *testing.T) {
	for _, tt := range []struct {
		o    *render.Object
		want int
	}{{crd, stageCRD}, {nsQCBM, stageNamespace}, {pv, stageClusterScoped}, {role, stageClusterScoped}, {deploy, stageNamespaced}, {pvc, stageNamespaced}} {
		if got := stageOf(tt.o.Key); got != tt.want {
			t.Errorf("stageOf(%s) = %d, want %d", tt.o.Key, got, tt.want)
		}
	}
}

func TestHeldReasonNamesAtMostFiveSubjects(t *testing.T) {
	desired := []*render.Object{deploy}
	all := []*render.Object{deploy}
	var live []*unstructured.Unstructured
	for _, n := range []string{"a", "b", "c", "d", "e", "f", "g"} {
		ns := obj("Namespace/"+n, nil)
		all = append(all, ns)
		live = append(live, liveOf(ns))
	}
	p := MakePlan(PlanInput{Cluster: testCluster, Subscription: testSub, Desired: desired, Inventory: inventoryOf(all...), Live: lives(live...)})
	want := "prune of 7 of 8 objects (more than half) including Namespace/a, Namespace/b, Namespace/c, Namespace/d, Namespace/e and 2 more needs approval: add the commit trailer " + trailerSPG01
	if diff := cmp.Diff(want, p.HeldReason); diff != "" {
		t.Errorf("HeldReason (-want +got):\n%s", diff)
	}
}
