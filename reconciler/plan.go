package reconciler

import (
	"fmt"
	"sort"
	"strings"

	"github.com/manifold-gitops/manifold/render"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// AnnotationPrune set to PruneDisabled on a live object keeps manifold from
// ever deleting it (safety invariant 3).
const (
	AnnotationPrune = "manifold.dev/prune"
	PruneDisabled   = "disabled"
)

// maxNamedSubjects caps how many dangerous subjects a HeldReason names.
const maxNamedSubjects = 5

// PlanInput is everything a plan depends on.
type PlanInput struct {
	Cluster, Subscription string
	// Desired is the rendered set, sorted by key. Callers never plan after a
	// fetch, render, list or discovery error (safety invariant 1): an error is
	// never an empty desired set.
	Desired []*render.Object
	// Inventory is what was applied before; nil when the subscription has
	// none on this cluster yet.
	Inventory *Inventory
	// Live holds the live objects for the keys of Desired and Inventory; a
	// missing key means the object does not exist.
	Live map[render.ObjectKey]*unstructured.Unstructured
	// ClaimedElsewhere maps keys desired on this cluster by other
	// subscriptions to the name of that subscription.
	ClaimedElsewhere map[render.ObjectKey]string
	// AllowEmptyPrune copies spec.prune.allowEmpty.
	AllowEmptyPrune bool
	// PruneApproved is set when an approval trailer in Git covers this
	// (subscription, cluster).
	PruneApproved bool
}

// Step is one planned action on one object.
type Step struct {
	Key render.ObjectKey
	// Action is Created, Configured, Unchanged, Pruned, Held or Skipped.
	Action Action
	// Desired is set for Created, Configured and Unchanged.
	Desired *render.Object
	// Live is the live object when it exists.
	Live *unstructured.Unstructured
	// Reason says why, for Configured, Held and Skipped. It never holds
	// field values.
	Reason string
}

// Plan is the ordered list of steps for one (cluster, subscription).
type Plan struct {
	// Steps are in execution order: applies by stage then key, followed by
	// prune, held and skipped steps in reverse stage order, then key.
	Steps []Step
	// HeldReason is non-empty when the prune set is held, and says what
	// releases it.
	HeldReason string
}

// Apply stages. Applies run in increasing stage order, prunes in decreasing
// order.
const (
	stageCRD           = iota // CustomResourceDefinitions
	stageNamespace            // Namespaces
	stageClusterScoped        // other cluster-scoped objects
	stageNamespaced           // namespaced objects
	stageCount                // number of stages
)

// stageOf returns the apply stage of an object. An object without a
// namespace counts as cluster-scoped: the render sets namespaces explicitly.
func stageOf(key render.ObjectKey) int {
	switch {
	case key.Group == "apiextensions.k8s.io" && key.Kind == "CustomResourceDefinition":
		return stageCRD
	case key.Group == "" && key.Kind == "Namespace":
		return stageNamespace
	case key.Namespace == "":
		return stageClusterScoped
	}
	return stageNamespaced
}

// Counts returns the number of steps per action.
func (p Plan) Counts() map[Action]int {
	n := make(map[Action]int, len(Actions))
	for _, s := range p.Steps {
		n[s.Action]++
	}
	return n
}

// MakePlan pairs desired, inventoried and live objects and decides what to
// do with each. It is pure: it reads nothing but its input.
func MakePlan(in PlanInput) Plan {
	var applies, removals []Step
	desired := make(map[render.ObjectKey]bool, len(in.Desired))
	for _, d := range in.Desired {
		desired[d.Key] = true
		applies = append(applies, planApply(in, d))
	}
	var candidates []int // indexes into removals
	if in.Inventory != nil {
		for _, e := range in.Inventory.Entries {
			if desired[e.Key] {
				continue
			}
			s := planRemoval(in, e.Key)
			if s.Action == Pruned {
				candidates = append(candidates, len(removals))
			}
			removals = append(removals, s)
		}
	}
	var p Plan
	if reason, stepReason := holdReason(in, removals, candidates); reason != "" {
		p.HeldReason = reason
		for _, i := range candidates {
			removals[i].Action, removals[i].Reason = Held, stepReason
		}
	}
	sortSteps(applies, false)
	sortSteps(removals, true)
	p.Steps = append(applies, removals...)
	return p
}

// planApply decides between Created, Configured and Unchanged.
func planApply(in PlanInput, d *render.Object) Step {
	s := Step{Key: d.Key, Desired: d, Live: in.Live[d.Key]}
	if s.Live == nil {
		s.Action = Created
		return s
	}
	s.Action = Configured
	entry, inInventory := in.Inventory.Lookup(d.Key)
	owner := s.Live.GetLabels()[render.LabelSubscription]
	switch {
	case !inInventory && owner == "":
		s.Reason = "adopted"
	case !inInventory && owner != in.Subscription:
		s.Reason = "adopted from subscription " + owner
	case !inInventory || entry.Hash != d.Hash:
		s.Reason = "changed in Git"
	default:
		if ok, path := liveMatches(d, s.Live); ok {
			s.Action = Unchanged
		} else {
			s.Reason = "drift at " + path
		}
	}
	return s
}

// planRemoval decides what happens to an inventoried object that is no
// longer desired: Skipped with a reason, or Pruned (a prune candidate).
func planRemoval(in PlanInput, key render.ObjectKey) Step {
	s := Step{Key: key, Action: Skipped, Live: in.Live[key]}
	if s.Live == nil {
		s.Reason = "already gone"
		return s
	}
	if other, ok := in.ClaimedElsewhere[key]; ok {
		s.Reason = "moved to subscription " + other
		return s
	}
	if s.Live.GetLabels()[render.LabelSubscription] != in.Subscription {
		s.Reason = "no longer carries this subscription's ownership label"
		return s
	}
	if s.Live.GetAnnotations()[AnnotationPrune] == PruneDisabled {
		s.Reason = "prune disabled by annotation"
		return s
	}
	s.Action = Pruned
	return s
}

// holdReason returns why the prune candidates must be held (the plan's
// HeldReason and a short per-step reason), or "" when they may be pruned.
func holdReason(in PlanInput, removals []Step, candidates []int) (string, string) {
	if len(candidates) == 0 {
		return "", ""
	}
	// Invariant 2: only the subscription's own setting releases an empty render.
	if len(in.Desired) == 0 && !in.AllowEmptyPrune {
		return "the render is empty; set spec.prune.allowEmpty to allow", "the render is empty"
	}
	// Invariant 4: large or dangerous prunes wait for an approval in Git.
	if in.PruneApproved {
		return "", ""
	}
	total := in.Inventory.Len()
	large := 2*len(candidates) > total
	var dangerous []string
	for _, i := range candidates {
		if isDangerous(removals[i].Key) {
			dangerous = append(dangerous, removals[i].Key.String())
		}
	}
	if !large && len(dangerous) == 0 {
		return "", ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "prune of %d of %d objects", len(candidates), total)
	if large {
		b.WriteString(" (more than half)")
	}
	if len(dangerous) > 0 {
		sort.Strings(dangerous)
		b.WriteString(" including ")
		if len(dangerous) > maxNamedSubjects {
			fmt.Fprintf(&b, "%s and %d more", strings.Join(dangerous[:maxNamedSubjects], ", "), len(dangerous)-maxNamedSubjects)
		} else {
			b.WriteString(strings.Join(dangerous, ", "))
		}
	}
	fmt.Fprintf(&b, " needs approval: add the commit trailer '%s'", Trailer(in.Subscription, in.Cluster))
	return b.String(), "the prune needs approval"
}

// isDangerous reports whether deleting an object of this kind destroys
// more than itself: namespaces, CRDs and persistent volumes (invariant 4).
func isDangerous(key render.ObjectKey) bool {
	switch key.Group + "/" + key.Kind {
	case "/Namespace", "/PersistentVolume", "/PersistentVolumeClaim",
		"apiextensions.k8s.io/CustomResourceDefinition":
		return true
	}
	return false
}

// sortSteps orders steps by stage (descending when reverse) then key.
func sortSteps(steps []Step, reverse bool) {
	sort.SliceStable(steps, func(i, j int) bool {
		si, sj := stageOf(steps[i].Key), stageOf(steps[j].Key)
		if si != sj {
			return (si < sj) != reverse
		}
		return steps[i].Key.Less(steps[j].Key)
	})
}
