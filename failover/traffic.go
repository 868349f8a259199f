package failover

import (
	"net/netip"
	"slices"

	"github.com/manifold-gitops/manifold/api"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// DNSEndpoint's API version and kind (external-dns's CRD).
const (
	DNSEndpointAPIVersion = "externaldns.k8s.io/v1alpha1"
	DNSEndpointKind       = "DNSEndpoint"
	// LabelTraffic names the subscription whose traffic a DNSEndpoint routes.
	LabelTraffic = "manifold.dev/traffic"
)

// DNSEndpoint builds the external-dns DNSEndpoint that points a
// subscription's hosts at addresses, the ingress addresses
// (Ingress.status.loadBalancer.ingress[].ip or .hostname) of the clusters
// serving it.
//
// Each host gets an A record listing the IPv4 addresses and an AAAA record
// listing the IPv6 ones, sorted; when there is no IP at all, a CNAME record
// listing the hostnames (a name with addresses ignores hostnames, since DNS
// allows no CNAME beside other records). With no address at all it returns
// nil: the records are left as they are rather than emptied, so losing
// every cluster never takes the name out of DNS.
func DNSEndpoint(subscription string, t *api.Traffic, addresses []string) *unstructured.Unstructured {
	var v4, v6, names []string
	for _, a := range addresses {
		ip, err := netip.ParseAddr(a)
		switch {
		case a == "":
		case err != nil:
			names = append(names, a)
		case ip.Is4() || ip.Is4In6():
			v4 = append(v4, ip.Unmap().String())
		default:
			v6 = append(v6, ip.String())
		}
	}
	if len(v4)+len(v6)+len(names) == 0 {
		return nil
	}
	records := [][2]any{{"A", sortedUnique(v4)}, {"AAAA", sortedUnique(v6)}}
	if len(v4)+len(v6) == 0 {
		records = [][2]any{{"CNAME", sortedUnique(names)}}
	}
	var endpoints []any
	for _, host := range sortedUnique(t.Hosts) {
		for _, r := range records {
			targets := r[1].([]any)
			if len(targets) == 0 {
				continue
			}
			endpoints = append(endpoints, map[string]any{"dnsName": host, "recordType": r[0], "targets": targets})
		}
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": DNSEndpointAPIVersion,
		"kind":       DNSEndpointKind,
		"metadata": map[string]any{
			"name":      t.DNSEndpoint.Name,
			"namespace": t.DNSEndpoint.Namespace,
			"labels":    map[string]any{LabelTraffic: subscription},
		},
		"spec": map[string]any{"endpoints": endpoints},
	}}
}

// sortedUnique returns the values sorted and without repeats, as []any for
// an unstructured object.
func sortedUnique(values []string) []any {
	s := slices.Compact(slices.Sorted(slices.Values(values)))
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}
