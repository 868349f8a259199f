package diff

import (
	"fmt"

	"github.com/manifold-gitops/manifold/reconciler"
)

// Report is the preview of what syncing the head revision instead of the
// base revision will do, per cluster and subscription. Its JSON form is
// documented in the package doc and kept stable.
type Report struct {
	// Live is true when the head is compared with the live clusters
	// (manifold diff --live): Base then only stands in for the clusters
	// that could not be reached.
	Live bool     `json:"live,omitempty"`
	Base Revision `json:"base"`
	Head Revision `json:"head"`
	// Changed is true when any cluster changes.
	Changed bool `json:"changed"`
	// Clusters are sorted by name: every cluster declared at head, and every
	// cluster that had objects at base.
	Clusters []*Cluster `json:"clusters"`
}

// Revision is one side of the comparison.
type Revision struct {
	// Revision is the commit SHA; empty for a working tree.
	Revision string `json:"revision"`
	// Error is set when the revision's policy objects are invalid and
	// nothing renders at it.
	Error string `json:"error,omitempty"`
	// Problems are the render problems (validation errors), head only.
	Problems []string `json:"problems,omitempty"`
}

// Cluster is the preview for one cluster.
type Cluster struct {
	Name    string `json:"name"`
	Changed bool   `json:"changed"`
	// Note explains a cluster handled as a whole, e.g. one no longer
	// declared at head.
	Note string `json:"note,omitempty"`
	// Unreachable is set in a live comparison when the cluster could not
	// be read; Note says why and what it was compared with instead.
	Unreachable   bool            `json:"unreachable,omitempty"`
	Subscriptions []*Subscription `json:"subscriptions"`
}

// Subscription is the preview for one (cluster, subscription).
type Subscription struct {
	Name    string `json:"name"`
	Changed bool   `json:"changed"`
	Counts  Counts `json:"counts"`
	// Error is set when the head revision does not render for this
	// (cluster, subscription): it will not be synced, and nothing pruned.
	Error string `json:"error,omitempty"`
	// HeldReason says why prunes are held and which trailer releases them.
	HeldReason string `json:"heldReason,omitempty"`
	// Notes are remarks a reviewer needs, e.g. make-before-break.
	Notes []string `json:"notes,omitempty"`
	// Objects are the objects that change, in sync order: applies by stage
	// then key, then prunes, held and skipped objects.
	Objects []*Object `json:"objects"`
}

// Counts are the number of objects per action.
type Counts struct {
	Created    int `json:"created"`
	Configured int `json:"configured"`
	Unchanged  int `json:"unchanged"`
	Pruned     int `json:"pruned"`
	Held       int `json:"held"`
	Skipped    int `json:"skipped"`
}

// add counts one action.
func (c *Counts) add(a reconciler.Action) {
	switch a {
	case reconciler.Created:
		c.Created++
	case reconciler.Configured:
		c.Configured++
	case reconciler.Unchanged:
		c.Unchanged++
	case reconciler.Pruned:
		c.Pruned++
	case reconciler.Held:
		c.Held++
	case reconciler.Skipped:
		c.Skipped++
	}
}

// changes returns the non-zero counts of changing actions, in display
// order, as "created 12, held 1".
func (c Counts) changes() []actionCount {
	var out []actionCount
	for _, ac := range []actionCount{
		{reconciler.Created, c.Created}, {reconciler.Configured, c.Configured},
		{reconciler.Pruned, c.Pruned}, {reconciler.Held, c.Held}, {reconciler.Skipped, c.Skipped},
	} {
		if ac.n > 0 {
			out = append(out, ac)
		}
	}
	return out
}

type actionCount struct {
	action reconciler.Action
	n      int
}

func (a actionCount) String() string { return fmt.Sprintf("%s %d", a.action, a.n) }

// Object is one object that changes.
type Object struct {
	// Subject is Kind/name or Kind/namespace/name.
	Subject   string `json:"subject"`
	Group     string `json:"group"`
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
	// Action is created, configured, pruned, held or skipped.
	Action reconciler.Action `json:"action"`
	// Reason is the plan's reason (e.g. "changed in Git", "moved to
	// subscription x"); never a value.
	Reason string `json:"reason,omitempty"`
	// Origin is the file (file:line when known) declaring the head object.
	Origin string `json:"origin,omitempty"`
	// Fields are the changed fields of a configured object, and the fields
	// overrides set on a created one, each with where its value comes from.
	Fields []Field `json:"fields,omitempty"`
	// Diff is a unified diff of the object's YAML, base to head, with
	// secret values masked. Configured objects only.
	Diff string `json:"diff,omitempty"`
	// Error is the failure of the server's dry run of the apply, in a live
	// comparison: a sync would fail on this object too.
	Error string `json:"error,omitempty"`
}

// Field is one changed field and where its new value comes from.
type Field struct {
	Path string `json:"path"`
	// Change is added, removed or changed.
	Change string `json:"change"`
	// Source is nil when provenance could not be computed.
	Source *Source `json:"source,omitempty"`
}

// Source kinds.
const (
	SourceFile     = "file"     // the object's origin file
	SourceOverride = "override" // a Localization's or Globalization's override
	SourceManifold = "manifold" // manifold's own render rules (e.g. replica division)
)

// Source is where a field's value comes from.
type Source struct {
	// Kind is file, override or manifold.
	Kind string `json:"kind"`
	// Origin is file:line of the origin file or of the policy object.
	Origin string `json:"origin,omitempty"`
	// Policy is the Localization or Globalization, e.g.
	// Localization/SPG-02/qcbm-svc-gateway-override.
	Policy string `json:"policy,omitempty"`
	// Override is the override's name.
	Override string `json:"override,omitempty"`
}

// String describes the source for people.
func (s *Source) String() string {
	switch s.Kind {
	case SourceOverride:
		return fmt.Sprintf("%s override %q (%s)", s.Policy, s.Override, s.Origin)
	case SourceManifold:
		return "manifold's render rules"
	}
	return s.Origin
}
