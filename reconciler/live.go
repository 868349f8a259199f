package reconciler

import (
	"context"
	"fmt"

	"github.com/manifold-gitops/manifold/render"
	"golang.org/x/sync/errgroup"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
)

// objectRef is an object to read: its key and apiVersion.
type objectRef struct {
	key        render.ObjectKey
	apiVersion string
}

// resourceFor maps an object to its REST resource interface. A kind the
// cluster does not serve (yet) returns an error matching meta.IsNoMatchError.
func (c *Conn) resourceFor(ref objectRef) (dynamic.ResourceInterface, error) {
	gv, err := schema.ParseGroupVersion(ref.apiVersion)
	if err != nil {
		return nil, fmt.Errorf("%s: apiVersion %q: %w", ref.key, ref.apiVersion, err)
	}
	m, err := c.Mapper.RESTMapping(schema.GroupKind{Group: gv.Group, Kind: ref.key.Kind}, gv.Version)
	if err != nil {
		return nil, err
	}
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		ns := ref.key.Namespace
		if ns == "" {
			ns = metav1.NamespaceDefault
		}
		return c.Dynamic.Resource(m.Resource).Namespace(ns), nil
	}
	return c.Dynamic.Resource(m.Resource), nil
}

// fetchLive reads the live objects for refs. An object that does not exist,
// or whose kind the cluster does not serve, is absent from the result; any
// other error fails the whole fetch, so a partial read never looks like a
// missing object.
func fetchLive(ctx context.Context, c *Conn, refs []objectRef, concurrency int) (map[render.ObjectKey]*unstructured.Unstructured, error) {
	results := make([]*unstructured.Unstructured, len(refs))
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(concurrency)
	for i, ref := range refs {
		g.Go(func() error {
			ri, err := c.resourceFor(ref)
			if meta.IsNoMatchError(err) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("%s: %w", ref.key, err)
			}
			u, err := ri.Get(ctx, ref.key.Name, metav1.GetOptions{})
			if apierrors.IsNotFound(err) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("reading %s: %w", ref.key, err)
			}
			results[i] = u
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	out := make(map[render.ObjectKey]*unstructured.Unstructured, len(refs))
	for i, u := range results {
		if u != nil {
			out[refs[i].key] = u
		}
	}
	return out, nil
}
