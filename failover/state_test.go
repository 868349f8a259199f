package failover

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/manifold-gitops/manifold/api"
)

var epoch = time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)

func cluster(name string, labels map[string]string) *api.Cluster {
	return &api.Cluster{Metadata: api.ObjectMeta{Name: name, Labels: labels}}
}

// testClusters: SPG-01 and SPG-02 serve, SPG-03 and SPG-04 are standbys.
func testClusters() []*api.Cluster {
	return []*api.Cluster{
		cluster("SPG-01", map[string]string{"role": "app"}),
		cluster("SPG-02", map[string]string{"role": "app"}),
		cluster("SPG-03", map[string]string{"role": "standby"}),
		cluster("SPG-04", map[string]string{"role": "standby"}),
	}
}

func subscription(name string, mutate func(*api.Subscription)) *api.Subscription {
	s := &api.Subscription{Metadata: api.ObjectMeta{Name: name}}
	s.Spec.Subscribers = []api.Subscriber{{ClusterAffinity: &api.LabelSelector{MatchLabels: map[string]string{"role": "app"}}}}
	s.Spec.Failover = &api.Failover{
		Standby:        api.Standby{ClusterAffinity: &api.LabelSelector{MatchLabels: map[string]string{"role": "standby"}}},
		UnhealthyAfter: api.Duration{Duration: 3 * time.Second},
		FailbackAfter:  api.Duration{Duration: 5 * time.Second},
	}
	if mutate != nil {
		mutate(s)
	}
	return s
}

// step probes clusters at a second after epoch, then decides.
type step struct {
	at      int                     // seconds after epoch
	down    []string                // clusters whose probe fails; the others' succeed
	mutate  func(*api.Subscription) // applied to the subscription before deciding
	want    []string                // decision kinds with their cluster, "kind cluster"
	standby map[string]string
	serving []string
	release []string
}

func TestDecide(t *testing.T) {
	all := []string{"SPG-01", "SPG-02", "SPG-03", "SPG-04"}
	tests := []struct {
		name  string
		probe []string // clusters probed; default all
		steps []step
	}{
		{
			name: "a target down for unhealthyAfter fails over, and back after failbackAfter",
			steps: []step{
				{at: 0, serving: []string{"SPG-01", "SPG-02"}},
				{at: 1, down: []string{"SPG-01"}, serving: []string{"SPG-01", "SPG-02"}},
				{at: 2, down: []string{"SPG-01"}, serving: []string{"SPG-01", "SPG-02"}},
				// unhealthy since the last healthy probe at 0s
				{at: 3, down: []string{"SPG-01"}, want: []string{"out-of-service SPG-01", "failover SPG-01"},
					standby: map[string]string{"SPG-03": "SPG-01"}, serving: []string{"SPG-02", "SPG-03"}},
				{at: 4, standby: map[string]string{"SPG-03": "SPG-01"}, serving: []string{"SPG-02", "SPG-03"}},
				{at: 8, standby: map[string]string{"SPG-03": "SPG-01"}, serving: []string{"SPG-02", "SPG-03"}},
				{at: 9, want: []string{"in-service SPG-01", "failback SPG-01"}, serving: []string{"SPG-01", "SPG-02"}, release: []string{"SPG-03"}},
			},
		},
		{
			name: "a blip shorter than unhealthyAfter changes nothing",
			steps: []step{
				{at: 0, serving: []string{"SPG-01", "SPG-02"}},
				{at: 1, down: []string{"SPG-01"}, serving: []string{"SPG-01", "SPG-02"}},
				{at: 2, down: []string{"SPG-01"}, serving: []string{"SPG-01", "SPG-02"}},
				{at: 3, serving: []string{"SPG-01", "SPG-02"}},
				{at: 10, serving: []string{"SPG-01", "SPG-02"}},
			},
		},
		{
			name: "a cluster down from the first probe counts from that probe",
			steps: []step{
				{at: 0, down: []string{"SPG-02"}, serving: []string{"SPG-01", "SPG-02"}},
				{at: 3, down: []string{"SPG-02"}, want: []string{"out-of-service SPG-02", "failover SPG-02"},
					standby: map[string]string{"SPG-03": "SPG-02"}, serving: []string{"SPG-01", "SPG-03"}},
			},
		},
		{
			name: "two failed targets take a standby each",
			steps: []step{
				{at: 0, serving: []string{"SPG-01", "SPG-02"}},
				{at: 3, down: []string{"SPG-01", "SPG-02"},
					want:    []string{"out-of-service SPG-01", "out-of-service SPG-02", "failover SPG-01", "failover SPG-02"},
					standby: map[string]string{"SPG-03": "SPG-01", "SPG-04": "SPG-02"}, serving: []string{"SPG-03", "SPG-04"}},
			},
		},
		{
			name: "one healthy standby serves both failed targets, carrying the first one's share",
			steps: []step{
				{at: 0, down: []string{"SPG-04"}, serving: []string{"SPG-01", "SPG-02"}},
				{at: 3, down: []string{"SPG-01", "SPG-02", "SPG-04"},
					want:    []string{"out-of-service SPG-01", "out-of-service SPG-02", "failover SPG-01", "failover SPG-02"},
					standby: map[string]string{"SPG-03": "SPG-01"}, serving: []string{"SPG-03"}},
				// SPG-02 recovers first: SPG-03 still serves SPG-01, nothing is released
				{at: 4, down: []string{"SPG-01", "SPG-04"}, standby: map[string]string{"SPG-03": "SPG-01"}, serving: []string{"SPG-03"}},
				{at: 9, down: []string{"SPG-01", "SPG-04"}, want: []string{"in-service SPG-02", "failback SPG-02"},
					standby: map[string]string{"SPG-03": "SPG-01"}, serving: []string{"SPG-02", "SPG-03"}},
			},
		},
		{
			name: "no healthy standby: said once, then the first that turns healthy is used",
			steps: []step{
				{at: 0, down: []string{"SPG-03", "SPG-04"}, serving: []string{"SPG-01", "SPG-02"}},
				{at: 3, down: []string{"SPG-01", "SPG-03", "SPG-04"}, want: []string{"out-of-service SPG-01", "no-standby SPG-01"}, serving: []string{"SPG-02"}},
				{at: 4, down: []string{"SPG-01", "SPG-03", "SPG-04"}, serving: []string{"SPG-02"}},
				{at: 5, down: []string{"SPG-01", "SPG-03"}, want: []string{"failover SPG-01"},
					standby: map[string]string{"SPG-04": "SPG-01"}, serving: []string{"SPG-02", "SPG-04"}},
			},
		},
		{
			name: "a standby that fails is replaced and released",
			steps: []step{
				{at: 0, serving: []string{"SPG-01", "SPG-02"}},
				{at: 3, down: []string{"SPG-01"}, want: []string{"out-of-service SPG-01", "failover SPG-01"},
					standby: map[string]string{"SPG-03": "SPG-01"}, serving: []string{"SPG-02", "SPG-03"}},
				{at: 4, down: []string{"SPG-01", "SPG-03"}, standby: map[string]string{"SPG-03": "SPG-01"}, serving: []string{"SPG-02", "SPG-03"}},
				{at: 7, down: []string{"SPG-01", "SPG-03"}, want: []string{"out-of-service SPG-03", "reassigned SPG-01"},
					standby: map[string]string{"SPG-04": "SPG-01"}, serving: []string{"SPG-02", "SPG-04"}, release: []string{"SPG-03"}},
			},
		},
		{
			name: "a target removed in Git releases its standby",
			steps: []step{
				{at: 0, serving: []string{"SPG-01", "SPG-02"}},
				{at: 3, down: []string{"SPG-01"}, want: []string{"out-of-service SPG-01", "failover SPG-01"},
					standby: map[string]string{"SPG-03": "SPG-01"}, serving: []string{"SPG-02", "SPG-03"}},
				{at: 4, down: []string{"SPG-01"}, mutate: onlySPG02, want: []string{"failback SPG-01"},
					serving: []string{"SPG-02"}, release: []string{"SPG-03"}},
			},
		},
		{
			name: "dropping spec.failover releases the standby; traffic alone only takes clusters out of service",
			steps: []step{
				{at: 0, serving: []string{"SPG-01", "SPG-02"}},
				{at: 3, down: []string{"SPG-01"}, want: []string{"out-of-service SPG-01", "failover SPG-01"},
					standby: map[string]string{"SPG-03": "SPG-01"}, serving: []string{"SPG-02", "SPG-03"}},
				{at: 4, down: []string{"SPG-01"}, mutate: trafficOnly, want: []string{"failback SPG-01"},
					serving: []string{"SPG-02"}, release: []string{"SPG-03"}},
				// default durations now: failback after 2m
				{at: 10, serving: []string{"SPG-02"}, release: []string{"SPG-03"}},
				{at: 130, want: []string{"in-service SPG-01"}, serving: []string{"SPG-01", "SPG-02"}, release: []string{"SPG-03"}},
			},
		},
		{
			name:  "clusters never probed are not decided on and do not serve",
			probe: []string{"SPG-02", "SPG-03"},
			steps: []step{
				{at: 0, serving: []string{"SPG-02"}},
				{at: 100, serving: []string{"SPG-02"}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			probed := tt.probe
			if probed == nil {
				probed = all
			}
			s := New()
			sub := subscription("web", nil)
			for _, st := range tt.steps {
				now := epoch.Add(time.Duration(st.at) * time.Second)
				for _, c := range probed {
					s.Observe(c, !contains(st.down, c), now)
				}
				if st.mutate != nil {
					st.mutate(sub)
				}
				var got []string
				for _, d := range s.Decide(now, []*api.Subscription{sub}, testClusters()) {
					got = append(got, d.Kind+" "+d.Cluster)
					if d.Message == "" || d.Subscription != "web" {
						t.Errorf("at %ds: decision without message or subscription: %+v", st.at, d)
					}
				}
				if diff := cmp.Diff(st.want, got, cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("at %ds: decisions (-want +got):\n%s", st.at, diff)
				}
				if diff := cmp.Diff(st.standby, s.Standby()["web"], cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("at %ds: standby (-want +got):\n%s", st.at, diff)
				}
				if diff := cmp.Diff(st.serving, s.Serving("web"), cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("at %ds: serving (-want +got):\n%s", st.at, diff)
				}
				if diff := cmp.Diff(st.release, s.Released()["web"], cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("at %ds: released (-want +got):\n%s", st.at, diff)
				}
			}
		})
	}
}

func onlySPG02(s *api.Subscription) {
	s.Spec.Subscribers = []api.Subscriber{{ClusterAffinity: &api.LabelSelector{MatchLabels: map[string]string{api.LabelCluster: "SPG-02"}}}}
}

func trafficOnly(s *api.Subscription) {
	s.Spec.Failover = nil
	s.Spec.Traffic = &api.Traffic{Hosts: []string{"tke-demo.cn"}}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestHealthSince(t *testing.T) {
	var h ClusterHealth
	at := func(s int) time.Time { return epoch.Add(time.Duration(s) * time.Second) }
	steps := []struct {
		at      int
		healthy bool
		changed bool
		since   int
	}{
		{0, true, true, 0},
		{1, true, false, 0},
		{2, true, false, 0},
		{3, false, true, 2}, // unhealthy since the last healthy probe
		{4, false, false, 2},
		{5, true, true, 5}, // healthy since the first healthy probe
		{6, false, true, 5},
	}
	for _, s := range steps {
		if changed := h.observe(s.healthy, at(s.at)); changed != s.changed {
			t.Errorf("at %ds: changed = %v, want %v", s.at, changed, s.changed)
		}
		if h.Healthy != s.healthy || !h.Since.Equal(at(s.since)) {
			t.Errorf("at %ds: %+v, want healthy %v since %ds", s.at, h, s.healthy, s.since)
		}
	}
}

func TestSettleAndProbed(t *testing.T) {
	s := New()
	sub := subscription("web", nil)
	other := subscription("plain", func(s *api.Subscription) { s.Spec.Failover = nil })
	for _, sec := range []int{0, 3} {
		now := epoch.Add(time.Duration(sec) * time.Second)
		s.Observe("SPG-01", sec == 0, now)
		s.Observe("SPG-03", true, now)
		s.Decide(now, []*api.Subscription{sub, other}, testClusters())
	}
	now := epoch.Add(10 * time.Second)
	s.Observe("SPG-01", true, now)
	s.Decide(now, []*api.Subscription{sub, other}, testClusters())
	s.Decide(now.Add(5*time.Second), []*api.Subscription{sub, other}, testClusters())
	if got := s.Released()["web"]; !cmp.Equal(got, []string{"SPG-03"}) {
		t.Fatalf("released %v, want [SPG-03]", got)
	}
	s.Settle("web", "SPG-03")
	if got := s.Released(); len(got) != 0 {
		t.Errorf("released after Settle: %v", got)
	}
	var names []string
	for _, c := range Probed([]*api.Subscription{sub, other}, testClusters()) {
		names = append(names, c.Metadata.Name)
	}
	if want := []string{"SPG-01", "SPG-02", "SPG-03", "SPG-04"}; !cmp.Equal(names, want) {
		t.Errorf("probed %v, want %v", names, want)
	}
	if got := Probed([]*api.Subscription{other}, testClusters()); len(got) != 0 {
		t.Errorf("probed %d clusters for a subscription without failover or traffic", len(got))
	}
}
