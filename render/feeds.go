package render

import (
	"fmt"
	"sort"

	"github.com/manifold-gitops/manifold/api"
	"k8s.io/apimachinery/pkg/labels"
)

// sortObjects sorts objects by key.
func sortObjects(objs []*Object) {
	sort.Slice(objs, func(i, j int) bool { return objs[i].Key.Less(objs[j].Key) })
}

// feedMatches reports whether a feed selects the object. A feed without a
// namespace matches the name in any namespace.
func feedMatches(f api.Feed, sel labels.Selector, o *Object) bool {
	if f.APIVersion != o.APIVersion || f.Kind != o.Key.Kind {
		return false
	}
	if f.Namespace != "" && f.Namespace != o.Key.Namespace {
		return false
	}
	if f.FeedSelector != nil {
		return sel.Matches(labels.Set(o.labels()))
	}
	return f.Name == o.Key.Name
}

// selectFeeds keeps the objects a subscription's feeds select; no feeds
// means every object. A feed that matches nothing is an error.
func selectFeeds(sub *api.Subscription, objs []*Object) ([]*Object, error) {
	feeds := sub.Spec.Feeds
	if len(feeds) == 0 {
		return objs, nil
	}
	sels := make([]labels.Selector, len(feeds))
	for i, f := range feeds {
		sel, err := f.FeedSelector.Selector()
		if err != nil {
			return nil, fmt.Errorf("spec.feeds[%d]: %w", i, err)
		}
		sels[i] = sel
	}
	matched := make([]bool, len(feeds))
	var out []*Object
	for _, o := range objs {
		keep := false
		for i, f := range feeds {
			if feedMatches(f, sels[i], o) {
				matched[i] = true
				keep = true
			}
		}
		if keep {
			out = append(out, o)
		}
	}
	var errs api.Errors
	for i, ok := range matched {
		if !ok {
			errs = append(errs, fmt.Errorf("spec.feeds[%d] (%s) matches no resource of the source", i, feeds[i]))
		}
	}
	return out, errs.Err()
}
