package status

import (
	"bytes"
	"fmt"
	"io"
	"strings"
)

// noteSeparator separates notes kept together by a notes merge.
const noteSeparator = "\n---\n"

// lastDocument returns the last YAML document of data.
func lastDocument(data []byte) []byte {
	if i := bytes.LastIndex(data, []byte(noteSeparator)); i >= 0 {
		return data[i+len(noteSeparator):]
	}
	return bytes.TrimPrefix(data, []byte("---\n"))
}

// Print writes a note for people: one block per cluster, one line per
// subscription with its actions and health, then held prunes and errors.
func Print(w io.Writer, n *Note) {
	fmt.Fprintf(w, "revision %s: %s at %s\n", n.Revision, n.Outcome, n.SyncedAt.Format("2006-01-02 15:04:05 MST"))
	if n.Error != "" {
		fmt.Fprintf(w, "  error: %s\n", n.Error)
	}
	for _, p := range n.Problems {
		fmt.Fprintf(w, "  problem: %s\n", p)
	}
	for _, r := range n.Rollouts {
		printRollout(w, r)
	}
	if len(n.Decisions) > 0 {
		fmt.Fprintln(w, "failover and traffic decisions:")
		for _, x := range n.Decisions {
			fmt.Fprintf(w, "  %s\n", x)
		}
	}
	for _, c := range n.Clusters {
		state := "reachable " + c.Version
		if !c.Reachable {
			state = "UNREACHABLE"
		}
		fmt.Fprintf(w, "cluster %s: %s, health %s\n", c.Name, state, c.Health)
		if c.Error != "" {
			fmt.Fprintf(w, "  error: %s\n", c.Error)
		}
		for _, s := range c.Subscriptions {
			var parts []string
			for _, a := range sortedActions(s.Actions) {
				parts = append(parts, fmt.Sprintf("%s %d", a, s.Actions[a]))
			}
			fmt.Fprintf(w, "  %s: %s, health %s\n", s.Name, strings.Join(parts, ", "), s.Health)
			for _, x := range s.Changed {
				fmt.Fprintf(w, "    %s\n", x)
			}
			for _, x := range s.Pruned {
				fmt.Fprintf(w, "    pruned %s\n", x)
			}
			for _, x := range s.Skipped {
				fmt.Fprintf(w, "    skipped %s\n", x)
			}
			if len(s.Held) > 0 {
				fmt.Fprintf(w, "    held %s\n", strings.Join(s.Held, ", "))
				fmt.Fprintf(w, "    held: %s\n", s.HeldReason)
			}
			for _, x := range s.Failed {
				fmt.Fprintf(w, "    failed: %s\n", x)
			}
			if s.Error != "" {
				fmt.Fprintf(w, "    error: %s\n", s.Error)
			}
		}
	}
}

// printRollout writes one rollout: its state and wave, what the clusters
// not promoted run, and the message.
func printRollout(w io.Writer, r RolloutNote) {
	fmt.Fprintf(w, "rollout %s: %s", r.Subscription, r.State)
	if r.Wave != "" && r.State != "Completed" {
		fmt.Fprintf(w, ", wave %s", r.Wave)
	}
	if len(r.Done) > 0 {
		fmt.Fprintf(w, " (done: %s)", strings.Join(r.Done, ", "))
	}
	fmt.Fprintln(w)
	if len(r.OnStable) > 0 {
		fmt.Fprintf(w, "  on stable revision %s: %s\n", r.Stable, strings.Join(r.OnStable, ", "))
	}
	if r.Message != "" {
		fmt.Fprintf(w, "  %s\n", r.Message)
	}
}
