package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/manifold-gitops/manifold/reconciler"
	"github.com/manifold-gitops/manifold/render"
	"github.com/spf13/cobra"
)

func newSyncCommand() *cobra.Command {
	var repo repoFlags
	var clusters clusterFlags
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "sync",
		Short: "Make every cluster match the repository, once",
		Long: `Sync renders the repository and makes every declared cluster match it: it applies
with server-side apply, prunes what left the desired state (within the safety rules),
and prints per cluster and subscription the actions taken, health and errors.
Held prunes are approved by a commit trailer such as
"Manifold-Allow-Prune: qcbm-subscription@SPG-01" on the synced commit.
With --dry-run every write is a server-side dry run and nothing changes.
Exits 1 if any cluster or subscription failed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			snap, err := repo.snapshot(cmd.Context())
			if err != nil {
				return err
			}
			res := render.NewRenderer(render.Limits{}).Render(cmd.Context(), snap)
			for _, p := range res.Problems {
				fmt.Fprintln(cmd.ErrOrStderr(), "error:", p)
			}
			opts := reconciler.Options{Connect: clusters.options()}
			if dryRun {
				opts.DryRun = reconciler.ServerDryRun
			}
			if isTerminal(os.Stderr) {
				fmt.Fprintf(os.Stderr, "syncing %s to %d clusters...\n", describe(snap, repo.repo), len(res.Clusters))
			}
			rep := reconciler.New(opts).Sync(cmd.Context(), res, reconciler.ParseApprovals(snap.Message))
			printReport(cmd.OutOrStdout(), rep, dryRun)
			if rep.Failed() {
				return errReported{"sync failed"}
			}
			return nil
		},
	}
	repo.register(cmd)
	clusters.register(cmd)
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "send every write as a server-side dry run; change nothing")
	return cmd
}

// printReport writes a sync report: one block per cluster, one line per
// subscription with its action counts and health, then held prunes and errors.
func printReport(w io.Writer, rep *reconciler.Report, dryRun bool) {
	if rep.Err != nil {
		fmt.Fprintf(w, "nothing synced: %v\n", rep.Err)
		return
	}
	rev := rep.Revision
	if rev == "" {
		rev = "working tree"
	}
	mode := ""
	if dryRun {
		mode = " (dry run)"
	}
	fmt.Fprintf(w, "revision %s%s\n", rev, mode)
	for _, c := range rep.Clusters {
		state := "reachable " + c.Version
		if !c.Reachable {
			state = "UNREACHABLE"
		}
		fmt.Fprintf(w, "cluster %s: %s, health %s\n", c.Name, state, c.Health())
		if c.Err != nil {
			fmt.Fprintf(w, "  error: %v\n", c.Err)
		}
		for _, s := range c.Sets {
			fmt.Fprintf(w, "  %s: %s, health %s\n", s.Subscription, counts(s.Changes), s.Health)
			for _, ch := range s.Changes.Entries {
				switch ch.Action {
				case reconciler.Unchanged:
				case reconciler.Failed:
					fmt.Fprintf(w, "    %s %s: %v\n", ch.Action, ch.Key, ch.Err)
				default:
					line := fmt.Sprintf("    %s %s", ch.Action, ch.Key)
					if ch.Reason != "" {
						line += " (" + ch.Reason + ")"
					}
					fmt.Fprintln(w, line)
				}
			}
			if s.HeldReason != "" {
				fmt.Fprintf(w, "    held: %s\n", s.HeldReason)
			}
			if s.Err != nil && c.Err == nil {
				fmt.Fprintf(w, "    error: %v\n", s.Err)
			}
		}
	}
}

func counts(cs reconciler.ChangeSet) string {
	n := cs.Counts()
	var parts []string
	for _, a := range reconciler.Actions {
		parts = append(parts, fmt.Sprintf("%s %d", a, n[a]))
	}
	return strings.Join(parts, ", ")
}
