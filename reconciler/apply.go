package reconciler

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/manifold-gitops/manifold/render"
	"golang.org/x/sync/errgroup"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
)

// DryRun selects whether changes are only simulated by the API server.
type DryRun int

const (
	// NoDryRun writes changes.
	NoDryRun DryRun = iota
	// ServerDryRun sends every write as a server-side dry run.
	ServerDryRun
)

func (d DryRun) values() []string {
	if d == ServerDryRun {
		return []string{metav1.DryRunAll}
	}
	return nil
}

// execute carries out a plan's steps: applies in stage order, each stage
// concurrently, then prunes in reverse stage order. Prunes are deferred when
// any apply failed. It returns one change per step, in step order.
func execute(ctx context.Context, c *Conn, plan Plan, dryRun DryRun, concurrency int) []Change {
	changes := make([]Change, len(plan.Steps))
	applyFailed := false
	newNamespaces := map[string]bool{}
	for _, s := range plan.Steps {
		if s.Key.Kind == "Namespace" && s.Key.Group == "" && s.Action == Created {
			newNamespaces[s.Key.Name] = true
		}
	}
	for stage := 0; stage < stageCount; stage++ {
		idx := stepsIn(plan, stage, true)
		runSteps(ctx, concurrency, idx, func(i int) {
			changes[i] = applyStep(ctx, c, plan.Steps[i], dryRun)
			if dryRun == ServerDryRun && changes[i].Action == Failed && newNamespaces[plan.Steps[i].Key.Namespace] &&
				apierrors.IsNotFound(errors.Unwrap(changes[i].Err)) {
				// A dry run creates no namespace, so its objects cannot be
				// checked by the server; report what the sync would do.
				step := plan.Steps[i]
				changes[i] = Change{Key: step.Key, Action: step.Action, Health: Unknown,
					Reason: "its namespace is created by this sync; not checked by the dry run"}
			}
		})
		for _, i := range idx {
			if changes[i].Action == Failed {
				applyFailed = true
			}
		}
		if stage == stageCRD && len(idx) > 0 {
			waitEstablished(ctx, c, plan, idx, changes, dryRun)
			c.Mapper.Reset()
		}
	}
	for stage := stageCount - 1; stage >= 0; stage-- {
		idx := stepsIn(plan, stage, false)
		runSteps(ctx, concurrency, idx, func(i int) {
			step := plan.Steps[i]
			if step.Action == Pruned && applyFailed {
				changes[i] = Change{Key: step.Key, Action: Held, Reason: "an apply failed in this sync; prune deferred"}
				return
			}
			changes[i] = pruneStep(ctx, c, step, dryRun)
		})
	}
	return changes
}

// stepsIn returns the indexes of the apply (or non-apply) steps of a stage.
func stepsIn(plan Plan, stage int, applies bool) []int {
	var out []int
	for i, s := range plan.Steps {
		isApply := s.Desired != nil
		if isApply == applies && stageOf(s.Key) == stage {
			out = append(out, i)
		}
	}
	return out
}

func runSteps(ctx context.Context, concurrency int, idx []int, fn func(i int)) {
	g, _ := errgroup.WithContext(ctx)
	g.SetLimit(concurrency)
	for _, i := range idx {
		g.Go(func() error { fn(i); return nil })
	}
	_ = g.Wait()
}

// applyStep applies one desired object with server-side apply, unless it
// is unchanged.
func applyStep(ctx context.Context, c *Conn, s Step, dryRun DryRun) Change {
	ch := Change{Key: s.Key, Action: s.Action, Reason: s.Reason}
	if s.Action == Unchanged {
		ch.Health, _ = HealthOf(s.Live)
		return ch
	}
	out, err := serverApply(ctx, c, s.Desired, dryRun)
	if err != nil {
		return failed(ch, err)
	}
	ch.Health, _ = HealthOf(out)
	return ch
}

// serverApply sends one desired object with server-side apply (field
// manager manifold, taking over conflicting fields) and returns the object
// as the server stored it, or would store it in a dry run.
func serverApply(ctx context.Context, c *Conn, desired *render.Object, dryRun DryRun) (*unstructured.Unstructured, error) {
	u, err := desired.Unstructured()
	if err != nil {
		return nil, err
	}
	ri, err := c.resourceFor(objectRef{key: desired.Key, apiVersion: desired.APIVersion})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", desired.Key, err)
	}
	out, err := ri.Apply(ctx, desired.Key.Name, u, metav1.ApplyOptions{FieldManager: fieldManager, Force: true, DryRun: dryRun.values()})
	if err != nil {
		return nil, fmt.Errorf("%s apply failed: %w", desired.Key, err)
	}
	return out, nil
}

// pruneStep deletes a prune candidate, only if it is still the object the
// plan saw (same UID), or records a held or skipped step.
func pruneStep(ctx context.Context, c *Conn, s Step, dryRun DryRun) Change {
	ch := Change{Key: s.Key, Action: s.Action, Reason: s.Reason}
	if s.Action != Pruned {
		return ch
	}
	ri, err := c.resourceFor(objectRef{key: s.Key, apiVersion: s.Live.GetAPIVersion()})
	if err != nil {
		return failed(ch, fmt.Errorf("%s: %w", s.Key, err))
	}
	uid := s.Live.GetUID()
	policy := metav1.DeletePropagationBackground
	err = ri.Delete(ctx, s.Key.Name, metav1.DeleteOptions{
		Preconditions:     &metav1.Preconditions{UID: &uid},
		PropagationPolicy: &policy,
		DryRun:            dryRun.values(),
	})
	if err != nil {
		return failed(ch, fmt.Errorf("%s prune failed: %w", s.Key, err))
	}
	return ch
}

func failed(ch Change, err error) Change {
	ch.Action, ch.Err, ch.Health = Failed, err, Unknown
	return ch
}

// waitEstablished waits until the applied CRDs are Established, so objects
// of their kinds can be applied in later stages.
func waitEstablished(ctx context.Context, c *Conn, plan Plan, idx []int, changes []Change, dryRun DryRun) {
	if dryRun == ServerDryRun {
		return
	}
	for _, i := range idx {
		if changes[i].Action == Failed || changes[i].Action == Unchanged {
			continue
		}
		key := plan.Steps[i].Key
		ri, err := c.resourceFor(objectRef{key: key, apiVersion: plan.Steps[i].Desired.APIVersion})
		if err != nil {
			continue
		}
		err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
			u, err := ri.Get(ctx, key.Name, metav1.GetOptions{})
			if err != nil {
				return false, nil
			}
			return crdEstablished(u), nil
		})
		if err != nil {
			changes[i] = failed(changes[i], fmt.Errorf("%s did not become Established: %w", key, err))
		}
	}
}

func crdEstablished(u *unstructured.Unstructured) bool {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, ok := c.(map[string]any)
		if ok && m["type"] == "Established" && m["status"] == "True" {
			return true
		}
	}
	return false
}

// newInventory records what the changes leave under manifold's management:
// applied and unchanged objects with their new hashes; held, failed prunes
// and failed applies of objects already recorded keep their old entries.
func newInventory(sub, revision string, prev *Inventory, plan Plan, changes []Change) *Inventory {
	var entries []InventoryEntry
	for i, ch := range changes {
		step := plan.Steps[i]
		old, had := prev.Lookup(step.Key)
		switch {
		case step.Desired != nil && ch.Action != Failed:
			entries = append(entries, InventoryEntry{Key: step.Key, APIVersion: step.Desired.APIVersion, Hash: step.Desired.Hash})
		case ch.Action == Pruned || ch.Action == Skipped:
		case had:
			entries = append(entries, old)
		}
	}
	return NewInventory(sub, revision, entries)
}

// refsFor lists the objects to read for a plan: desired and inventoried.
func refsFor(desired []*render.Object, inv *Inventory) []objectRef {
	seen := map[render.ObjectKey]bool{}
	var refs []objectRef
	for _, o := range desired {
		seen[o.Key] = true
		refs = append(refs, objectRef{key: o.Key, apiVersion: o.APIVersion})
	}
	if inv != nil {
		for _, e := range inv.Entries {
			if !seen[e.Key] {
				refs = append(refs, objectRef{key: e.Key, apiVersion: e.APIVersion})
			}
		}
	}
	return refs
}
