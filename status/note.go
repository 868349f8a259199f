// Package status owns manifold's record of a sync: the note written to Git
// under refs/notes/manifold on the synced commit, served by the daemon's
// status endpoint and printed by `manifold status`. A note holds, per
// cluster and subscription, the action counts, pruned and held objects,
// health and errors — never object content, so no secret value can reach it.
package status

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/manifold-gitops/manifold/reconciler"
	"github.com/manifold-gitops/manifold/render"
	"sigs.k8s.io/yaml"
)

// NotesRef is the Git notes ref manifold writes.
const NotesRef = "refs/notes/manifold"

// Outcomes of a sync.
const (
	OutcomeSynced = "Synced" // every cluster and subscription synced
	OutcomeFailed = "Failed" // something failed; see the errors
)

// Note is the outcome of syncing one revision.
type Note struct {
	Revision string    `json:"revision"`
	Outcome  string    `json:"outcome"`
	SyncedAt time.Time `json:"syncedAt"`
	// Error is set when nothing was synced (invalid policy objects).
	Error    string        `json:"error,omitempty"`
	Problems []string      `json:"problems,omitempty"`
	Clusters []ClusterNote `json:"clusters"`
	// Rollouts are the rollouts in progress or finished at this revision.
	Rollouts []RolloutNote `json:"rollouts,omitempty"`
	// Decisions are failover and traffic decisions taken since the last
	// note, e.g. "SPG-01 unhealthy for 30s: qcbm-subscription failed over to SPG-03".
	Decisions []string `json:"decisions,omitempty"`
}

// RolloutNote is the state of one subscription's rollout.
type RolloutNote struct {
	Subscription string `json:"subscription"`
	// Revision is being rolled out; Stable is what clusters not yet
	// promoted run.
	Revision string `json:"revision"`
	Stable   string `json:"stable,omitempty"`
	// Wave is the current wave's name; State is Progressing, Soaking,
	// Completed, Halted or RolledBack.
	Wave    string   `json:"wave,omitempty"`
	State   string   `json:"state"`
	Message string   `json:"message,omitempty"`
	Done    []string `json:"done,omitempty"` // waves completed
	// OnStable are the clusters still running (or rolled back to) Stable.
	OnStable []string `json:"onStable,omitempty"`
}

// ClusterNote is one cluster's outcome.
type ClusterNote struct {
	Name          string             `json:"name"`
	Reachable     bool               `json:"reachable"`
	Version       string             `json:"version,omitempty"`
	Health        string             `json:"health"`
	Error         string             `json:"error,omitempty"`
	Subscriptions []SubscriptionNote `json:"subscriptions,omitempty"`
}

// SubscriptionNote is one (cluster, subscription) outcome.
type SubscriptionNote struct {
	Name       string         `json:"name"`
	Health     string         `json:"health"`
	Actions    map[string]int `json:"actions,omitempty"`
	Changed    []string       `json:"changed,omitempty"` // created or configured, with the reason
	Pruned     []string       `json:"pruned,omitempty"`
	Held       []string       `json:"held,omitempty"`
	Skipped    []string       `json:"skipped,omitempty"` // left in the cluster, with the reason
	HeldReason string         `json:"heldReason,omitempty"`
	Failed     []string       `json:"failed,omitempty"`
	Error      string         `json:"error,omitempty"`
}

// FromReport builds the note of a sync.
func FromReport(rep *reconciler.Report, problems []*render.Problem, at time.Time) *Note {
	n := &Note{Revision: rep.Revision, Outcome: OutcomeSynced, SyncedAt: at.UTC().Truncate(time.Second)}
	if rep.Failed() {
		n.Outcome = OutcomeFailed
	}
	if rep.Err != nil {
		n.Error = rep.Err.Error()
	}
	for _, p := range problems {
		n.Problems = append(n.Problems, p.Error())
	}
	for _, c := range rep.Clusters {
		cn := ClusterNote{Name: c.Name, Reachable: c.Reachable, Version: c.Version, Health: string(c.Health())}
		if c.Err != nil {
			cn.Error = c.Err.Error()
		}
		for _, s := range c.Sets {
			cn.Subscriptions = append(cn.Subscriptions, subscriptionNote(c, s))
		}
		n.Clusters = append(n.Clusters, cn)
	}
	return n
}

func subscriptionNote(c *reconciler.ClusterReport, s *reconciler.SetReport) SubscriptionNote {
	sn := SubscriptionNote{Name: s.Subscription, Health: string(s.Health), HeldReason: s.HeldReason, Actions: map[string]int{}}
	for a, count := range s.Changes.Counts() {
		sn.Actions[string(a)] = count
	}
	for _, ch := range s.Changes.Entries {
		subject := ch.Key.String()
		switch ch.Action {
		case reconciler.Created, reconciler.Configured:
			entry := string(ch.Action) + " " + subject
			if ch.Reason != "" {
				entry += " (" + ch.Reason + ")"
			}
			sn.Changed = append(sn.Changed, entry)
		case reconciler.Pruned:
			sn.Pruned = append(sn.Pruned, subject)
		case reconciler.Held:
			sn.Held = append(sn.Held, subject)
		case reconciler.Skipped:
			sn.Skipped = append(sn.Skipped, subject+" ("+ch.Reason+")")
		case reconciler.Failed:
			sn.Failed = append(sn.Failed, fmt.Sprint(ch.Err))
		}
	}
	if s.Err != nil && c.Err == nil {
		sn.Error = s.Err.Error()
	}
	return sn
}

// YAML encodes the note.
func (n *Note) YAML() []byte {
	b, err := yaml.Marshal(n)
	if err != nil {
		panic(fmt.Sprintf("status note cannot be encoded: %v", err)) // only plain fields: unreachable
	}
	return b
}

// Parse decodes a note. When a notes merge kept several notes for one
// commit, the last one wins.
func Parse(data []byte) (*Note, error) {
	n := &Note{}
	if err := yaml.Unmarshal(lastDocument(data), n); err != nil {
		return nil, fmt.Errorf("status note: %w", err)
	}
	return n, nil
}

// Fingerprint identifies the outcome without its timestamp: a note is
// written again only when the fingerprint changes.
func (n *Note) Fingerprint() string {
	c := *n
	c.SyncedAt = time.Time{}
	b, _ := json.Marshal(c)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Counts sums the actions of every subscription of the note.
func (n *Note) Counts() map[string]int {
	out := map[string]int{}
	for _, c := range n.Clusters {
		for _, s := range c.Subscriptions {
			for a, k := range s.Actions {
				out[a] += k
			}
		}
	}
	return out
}

// sortedActions lists action names in display order.
func sortedActions(m map[string]int) []string {
	order := map[string]int{}
	for i, a := range reconciler.Actions {
		order[string(a)] = i
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return order[keys[i]] < order[keys[j]] })
	return keys
}
