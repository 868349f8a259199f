package daemon

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/manifold-gitops/manifold/api"
	"github.com/manifold-gitops/manifold/render"
	"github.com/manifold-gitops/manifold/rollout"
)

// result is a render of subscription web: a set per cluster, its hash
// naming the revision.
func result(revision string, clusters ...string) *render.Result {
	r := &render.Result{Revision: revision}
	for _, c := range []string{"SPG-01", "SPG-02", "SPG-03"} {
		r.Clusters = append(r.Clusters, &api.Cluster{Metadata: api.ObjectMeta{Name: c}})
	}
	for _, c := range clusters {
		r.Sets = append(r.Sets, &render.DesiredSet{Cluster: c, Subscription: "web", Hash: revision})
	}
	return r
}

func TestComposeSets(t *testing.T) {
	spec := &api.Rollout{Waves: []api.Wave{{Name: "canary", Clusters: []string{"SPG-02"}}, {Name: "rest"}}}
	inWave := func(wave int, phase rollout.Phase) rollout.State {
		return rollout.State{Stable: "r1", Target: "r2", Wave: wave, Phase: phase}
	}
	tests := []struct {
		name      string
		target    *render.Result
		stable    *render.Result
		stableErr error
		state     rollout.State
		want      map[string]string // cluster → hash (revision) or "error"
		wantWaves [][]string
	}{
		{name: "canary on the target, the rest on the stable revision",
			target: result("r2", "SPG-01", "SPG-02"), stable: result("r1", "SPG-01", "SPG-02"), state: inWave(0, rollout.Progressing),
			want: map[string]string{"SPG-01": "r1", "SPG-02": "r2"}, wantWaves: [][]string{{"SPG-02"}, {"SPG-01"}}},
		{name: "halted: the canary keeps the target",
			target: result("r2", "SPG-01", "SPG-02"), stable: result("r1", "SPG-01", "SPG-02"), state: inWave(0, rollout.Halted),
			want: map[string]string{"SPG-01": "r1", "SPG-02": "r2"}, wantWaves: [][]string{{"SPG-02"}, {"SPG-01"}}},
		{name: "rolled back: every cluster on the stable revision",
			target: result("r2", "SPG-01", "SPG-02"), stable: result("r1", "SPG-01", "SPG-02"), state: inWave(0, rollout.RolledBack),
			want: map[string]string{"SPG-01": "r1", "SPG-02": "r1"}, wantWaves: [][]string{{"SPG-02"}, {"SPG-01"}}},
		{name: "a cluster new in the target waits for its wave; one dropped by it keeps the stable set until then",
			target: result("r2", "SPG-02", "SPG-03"), stable: result("r1", "SPG-01", "SPG-02"), state: inWave(0, rollout.Progressing),
			want: map[string]string{"SPG-01": "r1", "SPG-02": "r2"}, wantWaves: [][]string{{"SPG-02"}, {"SPG-01", "SPG-03"}}},
		{name: "the last wave: the dropped cluster gets no set (its removal is the reconciler's prune)",
			target: result("r2", "SPG-02", "SPG-03"), stable: result("r1", "SPG-01", "SPG-02"), state: inWave(1, rollout.Progressing),
			want: map[string]string{"SPG-02": "r2", "SPG-03": "r2"}, wantWaves: [][]string{{"SPG-02"}, {"SPG-01", "SPG-03"}}},
		{name: "the stable revision cannot be rendered: clusters not promoted get a failed set, never an empty one",
			target: result("r2", "SPG-01", "SPG-02"), stableErr: errors.New("object not found"), state: inWave(0, rollout.Progressing),
			want: map[string]string{"SPG-01": "error", "SPG-02": "r2"}, wantWaves: [][]string{{"SPG-02"}, {"SPG-01", "SPG-03"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sets, w := composeSets(tt.target, tt.stable, tt.stableErr, "web", spec, tt.state)
			got := map[string]string{}
			for _, s := range sets {
				got[s.Cluster] = s.Hash
				if s.Err != nil {
					got[s.Cluster] = "error"
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("composed sets (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantWaves, w.waves); diff != "" {
				t.Errorf("waves (-want +got):\n%s", diff)
			}
			for c := range tt.want {
				if !w.delivered[c] {
					t.Errorf("%s not marked delivered", c)
				}
			}
		})
	}
}

func TestStandbyOf(t *testing.T) {
	res := &render.Result{Sets: []*render.DesiredSet{
		{Cluster: "SPG-01", Subscription: "web"},
		{Cluster: "SPG-03", Subscription: "web", StandbyFor: "SPG-01"},
	}}
	want := map[string]map[string]string{"web": {"SPG-03": "SPG-01"}}
	if diff := cmp.Diff(want, standbyOf(res)); diff != "" {
		t.Errorf("standbyOf (-want +got):\n%s", diff)
	}
	if got := standbyOf(&render.Result{}); got != nil {
		t.Errorf("standbyOf without standby sets = %v, want nil", got)
	}
}
