package render

import (
	"sort"

	"github.com/manifold-gitops/manifold/api"
	"github.com/manifold-gitops/manifold/render/override"
	"k8s.io/apimachinery/pkg/labels"
)

// overridePolicy is a Localization or Globalization, normalised.
type overridePolicy struct {
	global    bool
	subject   string
	origin    api.Origin
	priority  int32
	name      string
	feed      api.Feed
	overrides []override.Override
	clusters  labels.Selector // Globalizations only
	target    string          // Localizations only: the cluster name or alias
}

// less is the total order of overrides: Globalizations before Localizations,
// then lower priority first (so higher priority wins), then by name, then by
// where they are declared.
func (p *overridePolicy) less(o *overridePolicy) bool {
	if p.global != o.global {
		return p.global
	}
	if p.priority != o.priority {
		return p.priority < o.priority
	}
	if p.name != o.name {
		return p.name < o.name
	}
	if p.origin.File != o.origin.File {
		return p.origin.File < o.origin.File
	}
	return p.origin.Line < o.origin.Line
}

func convertOverrides(in []api.Override) []override.Override {
	out := make([]override.Override, len(in))
	for i, o := range in {
		out[i] = override.Override{
			Name: o.Name, Type: override.Type(o.Type), Value: string(o.Value),
			FieldPath: o.FieldPath, FieldFormat: override.Format(o.FieldFormat),
		}
	}
	return out
}

// overridePolicies normalises and sorts every Localization and Globalization,
// and validates each override statically.
func overridePolicies(set *api.Set, limits override.Limits) ([]*overridePolicy, []*Problem) {
	var out []*overridePolicy
	var problems []*Problem
	for _, g := range set.Globalizations {
		sel, err := g.Spec.ClusterAffinity.Selector()
		if err != nil {
			continue // reported by api validation
		}
		out = append(out, &overridePolicy{
			global: true, subject: g.Subject(), origin: g.Origin, priority: g.Spec.EffectivePriority(),
			name: g.Metadata.Name, feed: g.Spec.Feed, overrides: convertOverrides(g.Spec.Overrides), clusters: sel,
		})
	}
	for _, l := range set.Localizations {
		out = append(out, &overridePolicy{
			subject: l.Subject(), origin: l.Origin, priority: l.Spec.EffectivePriority(),
			name: l.Metadata.Name, feed: l.Spec.Feed, overrides: convertOverrides(l.Spec.Overrides), target: l.Metadata.Namespace,
		})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].less(out[j]) })
	for _, p := range out {
		for _, o := range p.overrides {
			if err := override.Validate(o, limits); err != nil {
				problems = append(problems, &Problem{Origin: p.origin, Object: p.subject, Override: o.Name, Err: err})
			}
		}
	}
	return out, problems
}

// appliesTo reports whether the policy targets cluster c.
func (p *overridePolicy) appliesTo(c *api.Cluster) bool {
	if p.global {
		return p.clusters.Matches(labels.Set(c.Labels()))
	}
	return p.target == c.Metadata.Name || (c.Spec.Namespace != "" && p.target == c.Spec.Namespace)
}

// matches reports whether the policy's feed names the object.
func (p *overridePolicy) matches(o *Object) bool {
	return p.feed.APIVersion == o.APIVersion && p.feed.Kind == o.Key.Kind &&
		p.feed.Name == o.Key.Name && p.feed.Namespace == o.Key.Namespace
}

// applyOverrides folds the policies (already filtered to the cluster and
// sorted) over one object. used records which policies matched.
func applyOverrides(o *Object, policies []*overridePolicy, used map[*overridePolicy]bool, limits override.Limits, cluster, subscription string) (*Object, *Problem) {
	var data []byte
	for _, p := range policies {
		if !p.matches(o) {
			continue
		}
		used[p] = true
		if data == nil {
			data = o.JSON
		}
		for _, ov := range p.overrides {
			next, err := override.Apply(data, ov, limits)
			if err != nil {
				return nil, &Problem{Origin: p.origin, Object: p.subject, Override: ov.Name, Target: o.Key.String(),
					Cluster: cluster, Subscription: subscription, Err: err}
			}
			data = next
		}
	}
	if data == nil {
		return o, nil
	}
	// override.Apply keeps the identity and returns canonical JSON.
	return o.withJSON(data), nil
}
