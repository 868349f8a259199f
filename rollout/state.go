package rollout

import (
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/manifold-gitops/manifold/api"
)

// Phase is where a rollout stands.
type Phase string

// Phases of a rollout.
const (
	// Progressing: the current wave runs the target and is not healthy yet.
	Progressing Phase = "Progressing"
	// Soaking: the current wave is healthy and waits out its soak.
	Soaking Phase = "Soaking"
	// Completed: every cluster runs the target, now the stable revision.
	Completed Phase = "Completed"
	// Halted: a wave failed; promoted clusters keep the target, the others
	// the stable revision, until a new revision arrives.
	Halted Phase = "Halted"
	// RolledBack: a wave failed and every cluster runs the stable revision.
	RolledBack Phase = "RolledBack"
)

// Phases lists every phase, for metrics.
var Phases = []Phase{Progressing, Soaking, Completed, Halted, RolledBack}

// Active reports whether the rollout still moves on by itself.
func (p Phase) Active() bool { return p == Progressing || p == Soaking }

// State is one subscription's rollout.
type State struct {
	// Stable is the last revision whose rollout completed; clusters not
	// promoted run it. Empty before the first completion.
	Stable string `json:"stable,omitempty"`
	// Target is the revision being rolled out (the one synced last).
	Target string `json:"target"`
	// TargetHashes are Target's desired-set hashes by cluster, so a later
	// revision with the same output is recognised.
	TargetHashes map[string]string `json:"targetHashes,omitempty"`
	// Wave is the index of the current wave (the failed one when Halted or
	// RolledBack, the last one when Completed).
	Wave int `json:"wave"`
	// WaveStarted is when the current wave got the target.
	WaveStarted time.Time `json:"waveStarted,omitzero"`
	// HealthySince is when every cluster of the current wave was last seen
	// turning healthy; zero while one is not.
	HealthySince time.Time `json:"healthySince,omitzero"`
	Phase        Phase     `json:"state"`
	Message      string    `json:"message,omitempty"`
}

// DeadlineOf is r's progress deadline, the default when unset.
func DeadlineOf(r *api.Rollout) time.Duration {
	if r.ProgressDeadline.Duration > 0 {
		return r.ProgressDeadline.Duration
	}
	return api.DefaultProgressDeadline * time.Second
}

// Start returns the state of a rollout once revision, whose desired-set
// hashes by cluster are hashes, is the head. prev is the state so far (nil
// when the subscription has none); stable computes the hashes of
// prev.Stable and is called only when needed (a nil map means they are
// unknown, which counts as a different output).
func Start(prev *State, revision string, hashes map[string]string, stable func() map[string]string, now time.Time) State {
	switch {
	case prev == nil || prev.Stable == "":
		return State{Stable: revision, Target: revision, TargetHashes: hashes, Phase: Completed,
			Message: "first revision: delivered to every cluster at once"}
	case prev.Target == revision:
		return *prev
	case maps.Equal(prev.TargetHashes, hashes):
		next := *prev
		next.Target, next.TargetHashes = revision, hashes
		if next.Phase == Completed {
			next.Stable = revision
		}
		return next
	}
	// A completed rollout's target is the stable revision: its hashes
	// differ. Otherwise the new revision may restore the stable output.
	if prev.Phase != Completed {
		if h := stable(); h != nil && maps.Equal(h, hashes) {
			return State{Stable: revision, Target: revision, TargetHashes: hashes, Phase: Completed,
				Message: "same output as the stable revision " + short(prev.Stable) + ": no waves needed"}
		}
	}
	msg := "started"
	if prev.Phase.Active() {
		msg = "started, superseding the rollout of " + short(prev.Target)
	}
	return State{Stable: prev.Stable, Target: revision, TargetHashes: hashes, WaveStarted: now, Phase: Progressing, Message: msg}
}

// Advance moves an active rollout on, given which clusters run the target
// healthy (a cluster missing from healthy is not). waves is Plan's result
// for the target revision; now is the time of the observation.
func Advance(s State, r *api.Rollout, waves [][]string, healthy map[string]bool, now time.Time) State {
	if !s.Phase.Active() || len(waves) == 0 {
		return s
	}
	s.Wave = min(s.Wave, len(waves)-1)
	for {
		wave := waves[s.Wave]
		name := r.Waves[s.Wave].Name
		var bad []string
		for _, c := range wave {
			if !healthy[c] {
				bad = append(bad, c)
			}
		}
		if len(bad) > 0 {
			s.HealthySince = time.Time{}
			if deadline := DeadlineOf(r); now.Sub(s.WaveStarted) >= deadline {
				return fail(s, r, fmt.Sprintf("wave %s not healthy within %s: %s", name, deadline, strings.Join(bad, ", ")))
			}
			s.Phase, s.Message = Progressing, fmt.Sprintf("wave %s: waiting for %s to be healthy", name, strings.Join(bad, ", "))
			return s
		}
		if s.HealthySince.IsZero() {
			s.HealthySince = now
		}
		if soak := r.Waves[s.Wave].Soak.Duration; len(wave) > 0 && now.Sub(s.HealthySince) < soak {
			s.Phase, s.Message = Soaking, fmt.Sprintf("wave %s healthy, soaking for %s", name, soak)
			return s
		}
		if s.Wave == len(waves)-1 {
			s.Phase, s.Stable, s.HealthySince = Completed, s.Target, time.Time{}
			s.Message = "every wave healthy"
			return s
		}
		s.Wave++
		s.WaveStarted, s.HealthySince, s.Phase = now, time.Time{}, Progressing
		if len(waves[s.Wave]) > 0 {
			s.Message = fmt.Sprintf("wave %s done; wave %s started", name, r.Waves[s.Wave].Name)
			return s
		}
	}
}

func fail(s State, r *api.Rollout, msg string) State {
	if r.OnFailure == api.OnFailureRollback {
		s.Phase, s.Message = RolledBack, msg+"; rolled back to "+short(s.Stable)
		return s
	}
	s.Phase, s.Message = Halted, msg+"; halted"
	return s
}

// RunsTarget reports whether cluster (in one of waves) runs the target
// revision; otherwise it runs the stable one.
func (s State) RunsTarget(waves [][]string, cluster string) bool {
	switch s.Phase {
	case Completed:
		return true
	case RolledBack:
		return false
	}
	for i := 0; i <= s.Wave && i < len(waves); i++ {
		for _, c := range waves[i] {
			if c == cluster {
				return true
			}
		}
	}
	return false
}

// Wake returns when an active rollout must be evaluated again although
// nothing else happens: the end of the soak, or the wave's deadline. It is
// zero for a finished rollout.
func (s State) Wake(r *api.Rollout) time.Time {
	switch {
	case s.Phase == Soaking && s.Wave < len(r.Waves):
		return s.HealthySince.Add(r.Waves[s.Wave].Soak.Duration)
	case s.Phase == Progressing:
		return s.WaveStarted.Add(DeadlineOf(r))
	}
	return time.Time{}
}

// Done returns the names of the waves completed.
func (s State) Done(r *api.Rollout) []string {
	n := min(s.Wave, len(r.Waves))
	if s.Phase == Completed {
		n = len(r.Waves)
	}
	var out []string
	for _, w := range r.Waves[:n] {
		out = append(out, w.Name)
	}
	return out
}

// short abbreviates a commit SHA for messages.
func short(rev string) string {
	if len(rev) > 12 {
		return rev[:12]
	}
	return rev
}
