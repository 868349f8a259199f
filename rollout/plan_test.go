package rollout

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/manifold-gitops/manifold/api"
)

func cluster(name string, labels map[string]string) *api.Cluster {
	return &api.Cluster{Metadata: api.ObjectMeta{Name: name, Labels: labels}}
}

func TestPlan(t *testing.T) {
	clusters := []*api.Cluster{
		cluster("SPG-03", map[string]string{"role": "standby"}),
		cluster("SPG-01", map[string]string{"role": "primary"}),
		cluster("SPG-02", map[string]string{"role": "canary"}),
		cluster("HKG-01", map[string]string{"role": "canary"}),
	}
	canary := &api.LabelSelector{MatchLabels: map[string]string{"role": "canary"}}
	tests := []struct {
		name  string
		waves []api.Wave
		want  [][]string
	}{
		{"named canary, the rest last",
			[]api.Wave{{Name: "canary", Clusters: []string{"SPG-02"}}, {Name: "rest"}},
			[][]string{{"SPG-02"}, {"HKG-01", "SPG-01", "SPG-03"}}},
		{"affinity canary",
			[]api.Wave{{Name: "canary", ClusterAffinity: canary}, {Name: "rest"}},
			[][]string{{"HKG-01", "SPG-02"}, {"SPG-01", "SPG-03"}}},
		{"first matching wave wins",
			[]api.Wave{{Name: "one", Clusters: []string{"SPG-02"}}, {Name: "canaries", ClusterAffinity: canary}, {Name: "rest"}},
			[][]string{{"SPG-02"}, {"HKG-01"}, {"SPG-01", "SPG-03"}}},
		{"clusters matching no wave go to the last wave",
			[]api.Wave{{Name: "canary", Clusters: []string{"SPG-02"}}, {Name: "primary", ClusterAffinity: &api.LabelSelector{MatchLabels: map[string]string{"role": "primary"}}}},
			[][]string{{"SPG-02"}, {"HKG-01", "SPG-01", "SPG-03"}}},
		{"a wave naming a cluster that is not a target is empty",
			[]api.Wave{{Name: "canary", Clusters: []string{"FRA-01"}}, {Name: "rest"}},
			[][]string{nil, {"HKG-01", "SPG-01", "SPG-02", "SPG-03"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Plan(&api.Rollout{Waves: tt.waves}, clusters)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Plan (-want +got):\n%s", diff)
			}
		})
	}
	if got := Plan(&api.Rollout{}, clusters); got != nil {
		t.Errorf("Plan without waves = %v, want nil", got)
	}
}
