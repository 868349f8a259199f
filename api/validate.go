package api

import (
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// Priority bounds of Localizations and Globalizations.
const (
	MinPriority = 0
	MaxPriority = 1000
)

var labelValue = regexp.MustCompile(`^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$`)

// Validate checks every object of the set and the set as a whole (duplicate
// objects, cluster name collisions). It returns every problem found.
func (s *Set) Validate() error {
	var errs Errors
	seen := map[string]Origin{}
	dup := func(kind, namespace, name string, o Origin) {
		key := kind + "\x00" + namespace + "\x00" + name
		if first, ok := seen[key]; ok {
			errs = append(errs, errorf(o, Subject(kind, namespace, name), "duplicate object, first declared at %s", first))
			return
		}
		seen[key] = o
	}
	clusterNames := map[string]Origin{}
	for _, c := range s.Clusters {
		dup(KindCluster, "", c.Metadata.Name, c.Origin)
		errs = append(errs, c.validate()...)
		clusterNames[c.Metadata.Name] = c.Origin
	}
	for _, c := range s.Clusters {
		alias := c.Spec.Namespace
		if alias == "" || alias == c.Metadata.Name {
			continue
		}
		if first, ok := clusterNames[alias]; ok {
			errs = append(errs, errorf(c.Origin, Subject(KindCluster, "", c.Metadata.Name),
				"spec.namespace %q is already the name or alias of the cluster declared at %s", alias, first))
			continue
		}
		clusterNames[alias] = c.Origin
	}
	for _, sub := range s.Subscriptions {
		dup(KindSubscription, sub.Metadata.Namespace, sub.Metadata.Name, sub.Origin)
		errs = append(errs, sub.validate()...)
		errs = append(errs, sub.validateClusterNames(clusterNames)...)
	}
	for _, l := range s.Localizations {
		dup(KindLocalization, l.Metadata.Namespace, l.Metadata.Name, l.Origin)
		errs = append(errs, l.validate()...)
	}
	for _, g := range s.Globalizations {
		dup(KindGlobalization, "", g.Metadata.Name, g.Origin)
		errs = append(errs, g.validate()...)
	}
	return errs.Err()
}

// Subject returns Cluster/name.
func (c *Cluster) Subject() string { return Subject(KindCluster, "", c.Metadata.Name) }

// Subject returns Subscription/name (with namespace when set).
func (s *Subscription) Subject() string {
	return Subject(KindSubscription, s.Metadata.Namespace, s.Metadata.Name)
}

// Subject returns Localization/namespace/name.
func (l *Localization) Subject() string {
	return Subject(KindLocalization, l.Metadata.Namespace, l.Metadata.Name)
}

// Subject returns Globalization/name.
func (g *Globalization) Subject() string { return Subject(KindGlobalization, "", g.Metadata.Name) }

func (c *Cluster) validate() []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, errorf(c.Origin, c.Subject(), format, args...)) }
	if !labelValue.MatchString(c.Metadata.Name) {
		bad("metadata.name %q must be a valid label value (at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit)", c.Metadata.Name)
	}
	if c.Spec.Namespace != "" && !labelValue.MatchString(c.Spec.Namespace) {
		bad("spec.namespace %q must be a valid label value", c.Spec.Namespace)
	}
	for k, v := range c.Metadata.Labels {
		if k == LabelCluster || k == LabelClusternetClusterName {
			bad("metadata.labels: %s is set by manifold to the cluster name and cannot be set", k)
		} else if !labelValue.MatchString(v) && v != "" {
			bad("metadata.labels[%s]: %q is not a valid label value", k, v)
		}
	}
	kc := c.Spec.Kubeconfig
	switch {
	case kc.File == "" && kc.SecretRef == nil:
		bad("spec.kubeconfig needs file or secretRef")
	case kc.File != "" && kc.SecretRef != nil:
		bad("spec.kubeconfig takes file or secretRef, not both")
	case kc.File != "":
		if err := relativePath(kc.File); err != nil {
			bad("spec.kubeconfig.file: %v", err)
		}
	default:
		r := kc.SecretRef
		if r.Namespace == "" || r.Name == "" || r.Key == "" {
			bad("spec.kubeconfig.secretRef needs namespace, name and key")
		}
	}
	return errs
}

func (s *Subscription) validate() []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, errorf(s.Origin, s.Subject(), format, args...)) }
	if s.Metadata.Name == "" {
		bad("metadata.name is required")
	} else if !labelValue.MatchString(s.Metadata.Name) {
		bad("metadata.name %q must be a valid label value: it becomes the ownership label manifold.dev/subscription", s.Metadata.Name)
	}
	switch s.Spec.SchedulingStrategy {
	case "", SchedulingReplication:
	case SchedulingDividing:
		if d := s.Spec.DividingScheduling; d != nil {
			switch d.Type {
			case "", DividingStatic:
			case DividingDynamic:
				bad("spec.dividingScheduling.type Dynamic is not supported yet; use Static (divide by spec.subscribers[].weight)")
			default:
				bad("spec.dividingScheduling.type %q is not one of Static, Dynamic", d.Type)
			}
		}
	default:
		bad("spec.schedulingStrategy %q is not one of Replication, Dividing", s.Spec.SchedulingStrategy)
	}
	if len(s.Spec.Subscribers) == 0 {
		bad("spec.subscribers is required: list at least one clusterAffinity")
	}
	for i, sub := range s.Spec.Subscribers {
		if sub.ClusterAffinity == nil {
			bad("spec.subscribers[%d].clusterAffinity is required", i)
		} else if _, err := sub.ClusterAffinity.Selector(); err != nil {
			bad("spec.subscribers[%d].clusterAffinity: %v", i, err)
		}
		if sub.Weight < 0 {
			bad("spec.subscribers[%d].weight must not be negative", i)
		}
	}
	for i, f := range s.Spec.Feeds {
		if err := f.validate(true); err != nil {
			bad("spec.feeds[%d]: %v", i, err)
		}
	}
	errs = append(errs, s.validateDelivery()...)
	if src := s.Spec.Source; src != nil {
		if src.Path != "" {
			if err := relativePath(src.Path); err != nil {
				bad("spec.source.path: %v", err)
			}
		}
		if src.Overlays != "" {
			if err := relativePath(src.Overlays); err != nil {
				bad("spec.source.overlays: %v", err)
			}
		}
	}
	return errs
}

func (l *Localization) validate() []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, errorf(l.Origin, l.Subject(), format, args...)) }
	if l.Metadata.Name == "" {
		bad("metadata.name is required")
	}
	if l.Metadata.Namespace == "" {
		bad("metadata.namespace is required: it names the target cluster (its name or spec.namespace alias)")
	}
	errs = append(errs, validateOverrideSpec(l.Origin, l.Subject(), l.Spec.Priority, l.Spec.OverridePolicy, l.Spec.Feed, l.Spec.Overrides)...)
	return errs
}

func (g *Globalization) validate() []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, errorf(g.Origin, g.Subject(), format, args...)) }
	if g.Metadata.Name == "" {
		bad("metadata.name is required")
	}
	if g.Spec.ClusterAffinity != nil {
		if _, err := g.Spec.ClusterAffinity.Selector(); err != nil {
			bad("spec.clusterAffinity: %v", err)
		}
	}
	errs = append(errs, validateOverrideSpec(g.Origin, g.Subject(), g.Spec.Priority, g.Spec.OverridePolicy, g.Spec.Feed, g.Spec.Overrides)...)
	return errs
}

func validateOverrideSpec(o Origin, subject string, priority *int32, policy string, feed Feed, overrides []Override) []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, errorf(o, subject, format, args...)) }
	if p := priorityOrDefault(priority); p < MinPriority || p > MaxPriority {
		bad("spec.priority %d is outside %d..%d", p, MinPriority, MaxPriority)
	}
	switch policy {
	case "", "ApplyNow", "ApplyLater":
	default:
		bad("spec.overridePolicy %q is not one of ApplyNow, ApplyLater", policy)
	}
	if err := feed.validate(false); err != nil {
		bad("spec.feed: %v", err)
	}
	if len(overrides) == 0 {
		bad("spec.overrides is empty")
	}
	names := map[string]int{}
	for i, ov := range overrides {
		if ov.Type == "" {
			bad("spec.overrides[%d].type is required", i)
		}
		if ov.Name != "" {
			if j, ok := names[ov.Name]; ok {
				bad("spec.overrides[%d]: name %q is already used by spec.overrides[%d]", i, ov.Name, j)
			}
			names[ov.Name] = i
		}
	}
	return errs
}

func (f Feed) validate(selectorAllowed bool) error {
	if f.APIVersion == "" || f.Kind == "" {
		return fmt.Errorf("apiVersion and kind are required")
	}
	if f.FeedSelector != nil {
		if !selectorAllowed {
			return fmt.Errorf("feedSelector is not allowed here; name the object")
		}
		if f.Name != "" {
			return fmt.Errorf("name and feedSelector are exclusive")
		}
		if _, err := f.FeedSelector.Selector(); err != nil {
			return fmt.Errorf("feedSelector: %v", err)
		}
		return nil
	}
	if f.Name == "" {
		if selectorAllowed {
			return fmt.Errorf("name or feedSelector is required")
		}
		return fmt.Errorf("name is required")
	}
	return nil
}

// String formats a feed as apiVersion Kind namespace/name or with its selector.
func (f Feed) String() string {
	target := f.Name
	if f.Namespace != "" {
		target = f.Namespace + "/" + f.Name
	}
	if f.FeedSelector != nil {
		target = "selector " + f.FeedSelector.String()
	}
	return fmt.Sprintf("%s %s %s", f.APIVersion, f.Kind, target)
}

// Selector converts the selector to a labels.Selector. A nil selector
// selects everything.
func (s *LabelSelector) Selector() (labels.Selector, error) {
	if s == nil {
		return labels.Everything(), nil
	}
	ls := &metav1.LabelSelector{MatchLabels: s.MatchLabels}
	for _, r := range s.MatchExpressions {
		ls.MatchExpressions = append(ls.MatchExpressions, metav1.LabelSelectorRequirement{
			Key: r.Key, Operator: metav1.LabelSelectorOperator(r.Operator), Values: r.Values,
		})
	}
	return metav1.LabelSelectorAsSelector(ls)
}

// String formats the selector the way kubectl does.
func (s *LabelSelector) String() string {
	sel, err := s.Selector()
	if err != nil {
		keys := make([]string, 0, len(s.MatchLabels))
		for k, v := range s.MatchLabels {
			keys = append(keys, k+"="+v)
		}
		sort.Strings(keys)
		return strings.Join(keys, ",")
	}
	return sel.String()
}

// relativePath checks that p is a clean path inside the repository.
func relativePath(p string) error {
	if path.IsAbs(p) || strings.Contains(p, `\`) {
		return fmt.Errorf("%q must be relative to the repository root", p)
	}
	clean := path.Clean(p)
	if clean == ".." || strings.HasPrefix(clean, "../") {
		return fmt.Errorf("%q leaves the repository", p)
	}
	return nil
}

// CleanPath returns p cleaned and relative to the repository root, "." for
// the root itself.
func CleanPath(p string) string {
	return path.Clean(strings.TrimPrefix(p, "./"))
}
