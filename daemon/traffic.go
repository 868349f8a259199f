package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/manifold-gitops/manifold/api"
	"github.com/manifold-gitops/manifold/failover"
	"github.com/manifold-gitops/manifold/render"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var (
	ingressGVR     = schema.GroupVersionResource{Group: "networking.k8s.io", Version: "v1", Resource: "ingresses"}
	dnsEndpointGVR = schema.GroupVersionResource{Group: "externaldns.k8s.io", Version: "v1alpha1", Resource: "dnsendpoints"}
)

// dnsNone marks a DNSEndpoint left alone because no serving cluster had an
// ingress address.
const dnsNone = "none"

// ingressStatus is the part of an Ingress traffic reads.
type ingressStatus struct {
	Status struct {
		LoadBalancer struct {
			Ingress []struct {
				IP       string `json:"ip,omitempty"`
				Hostname string `json:"hostname,omitempty"`
			} `json:"ingress,omitempty"`
		} `json:"loadBalancer"`
	} `json:"status"`
}

// updateTraffic brings the DNSEndpoint of every subscription declaring
// spec.traffic up to date, writing only what changed, and returns the
// changes as decisions. Errors are logged when they change.
func (d *Daemon) updateTraffic(ctx context.Context, res *render.Result) []failover.Decision {
	var out []failover.Decision
	f := d.failover
	for _, sub := range res.Policies.Subscriptions {
		if sub.Spec.Traffic == nil {
			continue
		}
		name := sub.Metadata.Name
		dec, err := d.updateDNS(ctx, res, sub)
		msg := ""
		if err != nil {
			msg = err.Error()
		}
		f.mu.Lock()
		last := f.dnsErr[name]
		f.dnsErr[name] = msg
		f.mu.Unlock()
		if msg != "" && msg != last {
			d.opts.Log.Error("traffic", "subscription", name, "err", err)
		}
		if dec != nil {
			out = append(out, *dec)
		}
	}
	slices.SortFunc(out, func(a, b failover.Decision) int { return strings.Compare(a.Subscription, b.Subscription) })
	return out
}

// updateDNS reads the ingress addresses of the clusters serving sub and
// applies its DNSEndpoint when that changed. A cluster whose Ingresses
// cannot be read keeps the addresses read last.
func (d *Daemon) updateDNS(ctx context.Context, res *render.Result, sub *api.Subscription) (*failover.Decision, error) {
	name, t := sub.Metadata.Name, sub.Spec.Traffic
	f := d.failover
	f.mu.Lock()
	serving := f.state.Serving(name)
	f.mu.Unlock()

	var addrs []string
	var errs []error
	for _, c := range serving {
		a, err := d.ingressAddresses(ctx, res, c, name)
		f.mu.Lock()
		if f.addresses[name] == nil {
			f.addresses[name] = map[string][]string{}
		}
		if err != nil {
			errs = append(errs, err)
		} else {
			f.addresses[name][c] = a
		}
		addrs = append(addrs, f.addresses[name][c]...)
		f.mu.Unlock()
	}
	readErr := errors.Join(errs...)

	f.mu.Lock()
	applied := f.dns[name]
	f.mu.Unlock()
	ref := t.DNSEndpoint
	subject := api.Subject(failover.DNSEndpointKind, ref.Namespace, ref.Name)
	obj := failover.DNSEndpoint(name, t, addrs)
	if obj == nil {
		if applied == "" || applied == dnsNone {
			return nil, readErr
		}
		f.mu.Lock()
		f.dns[name] = dnsNone
		f.mu.Unlock()
		return &failover.Decision{Subscription: name, Kind: failover.KindTraffic, Message: fmt.Sprintf(
			"%s: no cluster in service has an ingress address (serving: %s); %s on %s left as it was",
			name, orNone(serving), subject, ref.Cluster)}, readErr
	}
	fp := dnsFingerprint(obj)
	if fp == applied {
		return nil, readErr
	}

	cluster := findCluster(res, ref.Cluster)
	if cluster == nil {
		return nil, errors.Join(readErr, fmt.Errorf("%s: spec.traffic.dnsEndpoint.cluster %s is not a declared cluster", name, ref.Cluster))
	}
	conn, err := d.opts.Reconciler.Conn(cluster)
	if err != nil {
		return nil, errors.Join(readErr, err)
	}
	ctx, cancel := context.WithTimeout(ctx, d.opts.ProbeTimeout)
	defer cancel()
	ri := conn.Dynamic.Resource(dnsEndpointGVR).Namespace(ref.Namespace)
	if applied == "" {
		// First look since start: a DNSEndpoint already right is not written.
		live, err := ri.Get(ctx, ref.Name, metav1.GetOptions{})
		switch {
		case err == nil && dnsFingerprint(live) == fp:
			f.mu.Lock()
			f.dns[name] = fp
			f.mu.Unlock()
			return nil, readErr
		case err != nil && !apierrors.IsNotFound(err):
			return nil, errors.Join(readErr, fmt.Errorf("%s: reading %s on cluster %s: %w", name, subject, ref.Cluster, err))
		}
	}
	if _, err := ri.Apply(ctx, ref.Name, obj, metav1.ApplyOptions{FieldManager: fieldManager, Force: true}); err != nil {
		return nil, errors.Join(readErr, fmt.Errorf("%s: applying %s on cluster %s: %w", name, subject, ref.Cluster, err))
	}
	f.mu.Lock()
	f.dns[name] = fp
	f.mu.Unlock()
	return &failover.Decision{Subscription: name, Kind: failover.KindTraffic, Message: fmt.Sprintf(
		"%s: %s on %s points %s at %s (serving: %s)", name, subject, ref.Cluster,
		strings.Join(t.Hosts, ", "), strings.Join(slices.Compact(slices.Sorted(slices.Values(addrs))), ", "), orNone(serving))}, readErr
}

// fieldManager is the server-side apply field manager of every manifold write.
const fieldManager = "manifold"

// ingressAddresses reads the load balancer addresses of the Ingresses in
// the desired set of sub on cluster. A cluster with no set for sub (a
// standby not rendered yet) has none.
func (d *Daemon) ingressAddresses(ctx context.Context, res *render.Result, cluster, sub string) ([]string, error) {
	var set *render.DesiredSet
	for _, s := range res.Sets {
		if s.Cluster == cluster && s.Subscription == sub {
			set = s
		}
	}
	if set == nil {
		return nil, nil
	}
	if set.Err != nil {
		return nil, fmt.Errorf("%s on cluster %s was not rendered: %w", sub, cluster, set.Err)
	}
	c := findCluster(res, cluster)
	if c == nil {
		return nil, nil
	}
	conn, err := d.opts.Reconciler.Conn(c)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, d.opts.ProbeTimeout)
	defer cancel()
	var out []string
	for _, o := range set.Objects {
		if o.Key.Group != ingressGVR.Group || o.Key.Kind != "Ingress" {
			continue
		}
		ns := o.Key.Namespace
		if ns == "" {
			ns = metav1.NamespaceDefault
		}
		u, err := conn.Dynamic.Resource(ingressGVR).Namespace(ns).Get(ctx, o.Key.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reading %s on cluster %s: %w", o.Key, cluster, err)
		}
		var ing ingressStatus
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &ing); err != nil {
			return nil, fmt.Errorf("%s on cluster %s: %w", o.Key, cluster, err)
		}
		for _, lb := range ing.Status.LoadBalancer.Ingress {
			if lb.IP != "" {
				out = append(out, lb.IP)
			} else if lb.Hostname != "" {
				out = append(out, lb.Hostname)
			}
		}
	}
	return out, nil
}

// dnsFingerprint covers what manifold sets on a DNSEndpoint: its records
// and its traffic label.
func dnsFingerprint(u *unstructured.Unstructured) string {
	spec, _ := u.Object["spec"].(map[string]any)
	b, _ := json.Marshal([]any{spec["endpoints"], u.GetLabels()[failover.LabelTraffic]})
	return string(b)
}

func findCluster(res *render.Result, name string) *api.Cluster {
	for _, c := range res.Clusters {
		if c.Metadata.Name == name {
			return c
		}
	}
	return nil
}

func orNone(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}
