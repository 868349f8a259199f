package failover

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/manifold-gitops/manifold/api"
)

func TestDNSEndpoint(t *testing.T) {
	traffic := &api.Traffic{
		Hosts:       []string{"tke-demo.cn", "www.tke-demo.cn", "tke-demo.cn"},
		DNSEndpoint: api.DNSEndpointRef{Cluster: "SPG-MGMT", Namespace: "manifold-system", Name: "qcbm"},
	}
	record := func(host, kind string, targets ...any) any {
		return map[string]any{"dnsName": host, "recordType": kind, "targets": targets}
	}
	tests := []struct {
		name      string
		addresses []string
		want      []any // spec.endpoints; nil: no object
	}{
		{
			name:      "IPv4 addresses sorted and unique, one A record per host",
			addresses: []string{"192.0.2.20", "192.0.2.3", "192.0.2.20"},
			want: []any{
				record("tke-demo.cn", "A", "192.0.2.20", "192.0.2.3"),
				record("www.tke-demo.cn", "A", "192.0.2.20", "192.0.2.3"),
			},
		},
		{
			name:      "IPv6 addresses go to AAAA records beside A",
			addresses: []string{"2001:db8::2", "192.0.2.1", "::ffff:192.0.2.9"},
			want: []any{
				record("tke-demo.cn", "A", "192.0.2.1", "192.0.2.9"),
				record("tke-demo.cn", "AAAA", "2001:db8::2"),
				record("www.tke-demo.cn", "A", "192.0.2.1", "192.0.2.9"),
				record("www.tke-demo.cn", "AAAA", "2001:db8::2"),
			},
		},
		{
			name:      "hostnames only: CNAME",
			addresses: []string{"lb-b.example.com", "lb-a.example.com"},
			want: []any{
				record("tke-demo.cn", "CNAME", "lb-a.example.com", "lb-b.example.com"),
				record("www.tke-demo.cn", "CNAME", "lb-a.example.com", "lb-b.example.com"),
			},
		},
		{
			name:      "hostnames beside IPs are left out",
			addresses: []string{"lb-a.example.com", "192.0.2.1"},
			want: []any{
				record("tke-demo.cn", "A", "192.0.2.1"),
				record("www.tke-demo.cn", "A", "192.0.2.1"),
			},
		},
		{name: "no address: no object", addresses: []string{""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := DNSEndpoint("qcbm-subscription", traffic, tt.addresses)
			if tt.want == nil {
				if u != nil {
					t.Fatalf("got %v, want nil", u.Object)
				}
				return
			}
			if u.GetAPIVersion() != "externaldns.k8s.io/v1alpha1" || u.GetKind() != "DNSEndpoint" ||
				u.GetNamespace() != "manifold-system" || u.GetName() != "qcbm" || u.GetLabels()[LabelTraffic] != "qcbm-subscription" {
				t.Errorf("wrong identity: %v", u.Object)
			}
			if diff := cmp.Diff(tt.want, u.Object["spec"].(map[string]any)["endpoints"]); diff != "" {
				t.Errorf("endpoints (-want +got):\n%s", diff)
			}
		})
	}
}
