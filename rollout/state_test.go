package rollout

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/manifold-gitops/manifold/api"
)

var t0 = time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

func spec(onFailure string) *api.Rollout {
	return &api.Rollout{
		Waves: []api.Wave{
			{Name: "canary", Clusters: []string{"SPG-02"}, Soak: api.Duration{Duration: 2 * time.Minute}},
			{Name: "rest"},
		},
		ProgressDeadline: api.Duration{Duration: 10 * time.Minute},
		OnFailure:        onFailure,
	}
}

var waves = [][]string{{"SPG-02"}, {"SPG-01", "SPG-03"}}

var (
	v1 = map[string]string{"SPG-01": "a1", "SPG-02": "a2", "SPG-03": "a3"}
	v2 = map[string]string{"SPG-01": "b1", "SPG-02": "b2", "SPG-03": "b3"}
)

func TestStart(t *testing.T) {
	completed := &State{Stable: "r1", Target: "r1", TargetHashes: v1, Wave: 1, Phase: Completed}
	soaking := &State{Stable: "r1", Target: "r2", TargetHashes: v2, Wave: 0, WaveStarted: t0, HealthySince: at(time.Minute), Phase: Soaking}
	halted := &State{Stable: "r1", Target: "r2", TargetHashes: v2, Wave: 0, WaveStarted: t0, Phase: Halted}
	tests := []struct {
		name       string
		prev       *State
		revision   string
		hashes     map[string]string
		stable     map[string]string
		wantStable bool // whether the stable hashes were asked for
		want       State
	}{
		{name: "the first revision goes everywhere at once", revision: "r1", hashes: v1,
			want: State{Stable: "r1", Target: "r1", TargetHashes: v1, Phase: Completed, Message: "first revision: delivered to every cluster at once"}},
		{name: "the same revision keeps the state", prev: soaking, revision: "r2", hashes: v2, want: *soaking},
		{name: "a new output after a completed rollout starts at the first wave", prev: completed, revision: "r2", hashes: v2,
			want: State{Stable: "r1", Target: "r2", TargetHashes: v2, WaveStarted: at(time.Hour), Phase: Progressing, Message: "started"}},
		{name: "an unrelated commit after a completed rollout moves the stable revision", prev: completed, revision: "r2", hashes: v1,
			want: State{Stable: "r2", Target: "r2", TargetHashes: v1, Wave: 1, Phase: Completed}},
		{name: "an unrelated commit during a rollout is followed in place", prev: soaking, revision: "r3", hashes: v2,
			want: State{Stable: "r1", Target: "r3", TargetHashes: v2, WaveStarted: t0, HealthySince: at(time.Minute), Phase: Soaking}},
		{name: "a newer output supersedes a rollout in progress; stable stays the last completed", prev: soaking, revision: "r3",
			hashes: map[string]string{"SPG-01": "c1", "SPG-02": "c2", "SPG-03": "c3"}, stable: v1, wantStable: true,
			want: State{Stable: "r1", Target: "r3", TargetHashes: map[string]string{"SPG-01": "c1", "SPG-02": "c2", "SPG-03": "c3"},
				WaveStarted: at(time.Hour), Phase: Progressing, Message: "started, superseding the rollout of r2"}},
		{name: "a revert to the stable output after a halt completes at once", prev: halted, revision: "r3", hashes: v1, stable: v1, wantStable: true,
			want: State{Stable: "r3", Target: "r3", TargetHashes: v1, Phase: Completed, Message: "same output as the stable revision r1: no waves needed"}},
		{name: "an unknown stable output counts as different", prev: halted, revision: "r3", hashes: v1, stable: nil, wantStable: true,
			want: State{Stable: "r1", Target: "r3", TargetHashes: v1, WaveStarted: at(time.Hour), Phase: Progressing, Message: "started"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			asked := false
			got := Start(tt.prev, tt.revision, tt.hashes, func() map[string]string { asked = true; return tt.stable }, at(time.Hour))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Start (-want +got):\n%s", diff)
			}
			if asked != tt.wantStable {
				t.Errorf("stable hashes asked for: %v, want %v", asked, tt.wantStable)
			}
		})
	}
}

func TestAdvance(t *testing.T) {
	progressing := State{Stable: "r1", Target: "r2", WaveStarted: t0, Phase: Progressing}
	soakingSince := func(d time.Duration) State {
		s := progressing
		s.HealthySince, s.Phase, s.Message = at(d), Soaking, "wave canary healthy, soaking for 2m0s"
		return s
	}
	healthyCanary := map[string]bool{"SPG-02": true}
	all := map[string]bool{"SPG-01": true, "SPG-02": true, "SPG-03": true}
	tests := []struct {
		name      string
		state     State
		onFailure string
		healthy   map[string]bool
		now       time.Duration
		want      State
	}{
		{name: "the canary is not healthy yet", state: progressing, healthy: map[string]bool{"SPG-01": true}, now: time.Minute,
			want: with(progressing, func(s *State) { s.Message = "wave canary: waiting for SPG-02 to be healthy" })},
		{name: "the canary turns healthy: the soak starts", state: progressing, healthy: healthyCanary, now: time.Minute,
			want: soakingSince(time.Minute)},
		{name: "soaking, not long enough", state: soakingSince(time.Minute), healthy: healthyCanary, now: 2*time.Minute + 59*time.Second,
			want: soakingSince(time.Minute)},
		{name: "soaked: the next wave starts", state: soakingSince(time.Minute), healthy: healthyCanary, now: 3 * time.Minute,
			want: State{Stable: "r1", Target: "r2", Wave: 1, WaveStarted: at(3 * time.Minute), Phase: Progressing, Message: "wave canary done; wave rest started"}},
		{name: "unhealthy during the soak: waits again, the soak restarts later", state: soakingSince(time.Minute), healthy: nil, now: 2 * time.Minute,
			want: with(progressing, func(s *State) { s.Message = "wave canary: waiting for SPG-02 to be healthy" })},
		{name: "the deadline passes: halted, promoted clusters keep the target", state: progressing, healthy: nil, now: 10 * time.Minute,
			want: with(progressing, func(s *State) {
				s.Phase, s.Message = Halted, "wave canary not healthy within 10m0s: SPG-02; halted"
			})},
		{name: "the deadline passes with Rollback", state: progressing, onFailure: api.OnFailureRollback, healthy: nil, now: 10 * time.Minute,
			want: with(progressing, func(s *State) {
				s.Phase, s.Message = RolledBack, "wave canary not healthy within 10m0s: SPG-02; rolled back to r1"
			})},
		{name: "healthy before the deadline, soaking past it", state: soakingSince(9 * time.Minute), healthy: healthyCanary, now: 10*time.Minute + time.Second,
			want: soakingSince(9 * time.Minute)},
		{name: "unhealthy again after the deadline fails at once", state: soakingSince(9 * time.Minute), healthy: nil, now: 10*time.Minute + time.Second,
			want: with(progressing, func(s *State) { s.Phase, s.Message = Halted, "wave canary not healthy within 10m0s: SPG-02; halted" })},
		{name: "the last wave healthy (no soak): completed, the target is stable",
			state: State{Stable: "r1", Target: "r2", Wave: 1, WaveStarted: t0, Phase: Progressing}, healthy: all, now: time.Minute,
			want: State{Stable: "r2", Target: "r2", Wave: 1, WaveStarted: t0, Phase: Completed, Message: "every wave healthy"}},
		{name: "the last wave waits for every cluster",
			state: State{Stable: "r1", Target: "r2", Wave: 1, WaveStarted: t0, Phase: Progressing}, healthy: map[string]bool{"SPG-01": true, "SPG-02": true}, now: time.Minute,
			want: State{Stable: "r1", Target: "r2", Wave: 1, WaveStarted: t0, Phase: Progressing, Message: "wave rest: waiting for SPG-03 to be healthy"}},
		{name: "a halted rollout stays halted when the wave recovers", state: with(progressing, func(s *State) { s.Phase = Halted }), healthy: all, now: time.Hour,
			want: with(progressing, func(s *State) { s.Phase = Halted })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Advance(tt.state, spec(tt.onFailure), waves, tt.healthy, at(tt.now))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Advance (-want +got):\n%s", diff)
			}
		})
	}
}

func with(s State, mutate func(*State)) State {
	mutate(&s)
	return s
}

// TestAdvanceSkipsEmptyWaves: a wave with no clusters (its cluster is not
// a target) passes at once, without a soak.
func TestAdvanceSkipsEmptyWaves(t *testing.T) {
	r := spec("")
	s := State{Stable: "r1", Target: "r2", WaveStarted: t0, Phase: Progressing}
	got := Advance(s, r, [][]string{nil, {"SPG-01"}}, nil, at(time.Second))
	want := State{Stable: "r1", Target: "r2", Wave: 1, WaveStarted: at(time.Second), Phase: Progressing, Message: "wave rest: waiting for SPG-01 to be healthy"}
	if got.Wave != 1 || got.Phase != Progressing {
		t.Fatalf("Advance over an empty wave = %+v, want wave 1 progressing", got)
	}
	if got = Advance(got, r, [][]string{nil, {"SPG-01"}}, nil, at(time.Second)); !cmp.Equal(want, got) {
		t.Errorf("Advance (-want +got):\n%s", cmp.Diff(want, got))
	}
	if got = Advance(got, r, [][]string{nil, {"SPG-01"}}, map[string]bool{"SPG-01": true}, at(2*time.Second)); got.Phase != Completed {
		t.Errorf("the last wave healthy: %+v, want Completed", got)
	}
}

// TestCanaryStory walks a whole rollout on a fake clock, checking at each
// step which clusters run the target.
func TestCanaryStory(t *testing.T) {
	r := spec("")
	onTarget := func(s State) []string {
		var out []string
		for _, c := range []string{"SPG-01", "SPG-02", "SPG-03"} {
			if s.RunsTarget(waves, c) {
				out = append(out, c)
			}
		}
		return out
	}
	s := Start(nil, "r1", v1, nil, t0)
	if got := onTarget(s); len(got) != 3 {
		t.Fatalf("first revision on %v, want every cluster", got)
	}
	s = Start(&s, "r2", v2, func() map[string]string { return v1 }, at(time.Minute))
	steps := []struct {
		now      time.Duration
		healthy  map[string]bool
		phase    Phase
		onTarget []string
		wake     time.Duration
	}{
		{time.Minute, nil, Progressing, []string{"SPG-02"}, 11 * time.Minute},
		{90 * time.Second, map[string]bool{"SPG-02": true}, Soaking, []string{"SPG-02"}, 90*time.Second + 2*time.Minute},
		{3*time.Minute + 30*time.Second, map[string]bool{"SPG-02": true}, Progressing, []string{"SPG-01", "SPG-02", "SPG-03"}, 13*time.Minute + 30*time.Second},
		{4 * time.Minute, map[string]bool{"SPG-01": true, "SPG-02": true, "SPG-03": true}, Completed, []string{"SPG-01", "SPG-02", "SPG-03"}, -1},
	}
	for i, st := range steps {
		s = Advance(s, r, waves, st.healthy, at(st.now))
		if s.Phase != st.phase || !cmp.Equal(onTarget(s), st.onTarget) {
			t.Fatalf("step %d: %s on %v, want %s on %v", i, s.Phase, onTarget(s), st.phase, st.onTarget)
		}
		wantWake := time.Time{}
		if st.wake >= 0 {
			wantWake = at(st.wake)
		}
		if got := s.Wake(r); !got.Equal(wantWake) {
			t.Errorf("step %d: wake at %s, want %s", i, got, wantWake)
		}
	}
	if s.Stable != "r2" || !cmp.Equal(s.Done(r), []string{"canary", "rest"}) {
		t.Errorf("completed: stable %s, done %v", s.Stable, s.Done(r))
	}

	// A broken revision with Rollback: every cluster back on the stable one.
	r.OnFailure = api.OnFailureRollback
	s = Start(&s, "r3", v1, func() map[string]string { return v2 }, at(time.Hour))
	s = Advance(s, r, waves, nil, at(time.Hour+10*time.Minute))
	if s.Phase != RolledBack || len(onTarget(s)) != 0 || s.Stable != "r2" || len(s.Done(r)) != 0 {
		t.Errorf("rolled back: %+v on %v", s, onTarget(s))
	}
}
