package reconciler

import (
	"context"
	"sync"

	"github.com/manifold-gitops/manifold/api"
	"github.com/manifold-gitops/manifold/render"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/tools/cache"
)

// Drift is a managed object that no longer matches its desired state: a
// field manifold manages changed, or the object was deleted.
type Drift struct {
	Cluster      string
	Subscription string
	Key          render.ObjectKey
	// Path is the first differing field; empty when the object was deleted.
	Path    string
	Deleted bool
}

// Watcher watches the objects manifold manages on every cluster and reports
// drift. It reacts to watch events only: a steady state with nothing
// changing makes no requests beyond the open watches.
type Watcher struct {
	rec     *Reconciler
	onDrift func(Drift)

	mu        sync.Mutex
	desired   map[string]map[render.ObjectKey]*watchedObject // cluster → key → object
	factories map[string]dynamicinformer.DynamicSharedInformerFactory
	watching  map[string]map[schema.GroupVersionResource]bool
}

type watchedObject struct {
	subscription string
	obj          *render.Object
}

// NewWatcher returns a watcher that calls onDrift for each drifted object.
// onDrift must not block.
func (r *Reconciler) NewWatcher(onDrift func(Drift)) *Watcher {
	return &Watcher{
		rec: r, onDrift: onDrift,
		desired:   map[string]map[render.ObjectKey]*watchedObject{},
		factories: map[string]dynamicinformer.DynamicSharedInformerFactory{},
		watching:  map[string]map[schema.GroupVersionResource]bool{},
	}
}

// Watch points the watcher at the desired state of res and starts watches
// for kinds not watched yet. Watches stop when ctx ends.
func (w *Watcher) Watch(ctx context.Context, res *render.Result) {
	clusters := map[string]*api.Cluster{}
	for _, c := range res.Clusters {
		clusters[c.Metadata.Name] = c
	}
	desired := map[string]map[render.ObjectKey]*watchedObject{}
	for _, s := range res.Sets {
		if s.Err != nil {
			continue
		}
		m := desired[s.Cluster]
		if m == nil {
			m = map[render.ObjectKey]*watchedObject{}
			desired[s.Cluster] = m
		}
		for _, o := range s.Objects {
			m[o.Key] = &watchedObject{subscription: s.Subscription, obj: o}
		}
	}
	w.mu.Lock()
	w.desired = desired
	w.mu.Unlock()
	for name, objs := range desired {
		c, ok := clusters[name]
		if !ok {
			continue
		}
		conn, err := w.rec.Conn(c)
		if err != nil {
			continue
		}
		for _, o := range objs {
			w.watchKind(ctx, conn, o.obj)
		}
	}
}

// watchKind starts an informer for an object's resource on its cluster.
func (w *Watcher) watchKind(ctx context.Context, conn *Conn, o *render.Object) {
	gv, err := schema.ParseGroupVersion(o.APIVersion)
	if err != nil {
		return
	}
	m, err := conn.Mapper.RESTMapping(schema.GroupKind{Group: gv.Group, Kind: o.Key.Kind}, gv.Version)
	if err != nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.watching[conn.Name] == nil {
		w.watching[conn.Name] = map[schema.GroupVersionResource]bool{}
	}
	if w.watching[conn.Name][m.Resource] {
		return
	}
	w.watching[conn.Name][m.Resource] = true
	f, ok := w.factories[conn.Name]
	if !ok {
		f = dynamicinformer.NewFilteredDynamicSharedInformerFactory(conn.Watch, 0, metav1.NamespaceAll, func(opts *metav1.ListOptions) {
			opts.LabelSelector = render.LabelSubscription
		})
		w.factories[conn.Name] = f
	}
	inf := f.ForResource(m.Resource).Informer()
	_ = inf.SetTransform(compactForWatch)
	cluster := conn.Name
	_, _ = inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		UpdateFunc: func(_, obj any) { w.check(cluster, obj, false) },
		DeleteFunc: func(obj any) { w.check(cluster, obj, true) },
	})
	f.Start(ctx.Done())
}

// check reports drift when a watched object differs from its desired state.
func (w *Watcher) check(cluster string, obj any, deleted bool) {
	if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj, deleted = tomb.Obj, true
	}
	u, ok := obj.(*unstructured.Unstructured)
	if !ok {
		return
	}
	gv, _ := schema.ParseGroupVersion(u.GetAPIVersion())
	key := render.ObjectKey{Group: gv.Group, Kind: u.GetKind(), Namespace: u.GetNamespace(), Name: u.GetName()}
	w.mu.Lock()
	want := w.desired[cluster][key]
	w.mu.Unlock()
	if want == nil {
		return
	}
	d := Drift{Cluster: cluster, Subscription: want.subscription, Key: key, Deleted: deleted}
	if !deleted {
		if ok, path := liveMatches(want.obj, u); ok {
			return
		} else {
			d.Path = path
		}
	}
	w.onDrift(d)
}

// compactForWatch drops what drift detection never reads before an object
// enters the watch cache: managedFields and status, which the comparison
// ignores. It keeps the cache small.
func compactForWatch(obj any) (any, error) {
	u, ok := obj.(*unstructured.Unstructured)
	if !ok {
		return obj, nil
	}
	u.SetManagedFields(nil)
	delete(u.Object, "status")
	return u, nil
}
