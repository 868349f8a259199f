package main

import (
	"fmt"
	"os"
	"time"

	"github.com/manifold-gitops/manifold/reconciler"
	"github.com/manifold-gitops/manifold/status"
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
			snap, res, err := repo.render(cmd.Context())
			if err != nil {
				return err
			}
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
			note := status.FromReport(rep, res.Problems, time.Now())
			if dryRun {
				fmt.Fprintln(cmd.OutOrStdout(), "dry run: nothing was changed")
			}
			status.Print(cmd.OutOrStdout(), note)
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
