package main

import (
	"fmt"
	"os"

	"github.com/manifold-gitops/manifold/diff"
	"github.com/manifold-gitops/manifold/reconciler"
	"github.com/spf13/cobra"
)

func newDiffCommand() *cobra.Command {
	var repo, base, head, output string
	var exitCode, live bool
	var maxChars int
	var clusters clusterFlags
	cmd := &cobra.Command{
		Use:   "diff",
		Short: "Preview, per cluster, what a change will do",
		Long: `Diff renders two revisions and shows, for each cluster and subscription, the objects
a sync of the head revision would create, configure, prune, hold or skip on clusters
that run the base revision, with a unified YAML diff per configured object and, for
every changed field, where its new value comes from (the object's file, or the
Localization/Globalization override that set it). Prunes are held by the same rules as
a sync; a "Manifold-Allow-Prune: SUBSCRIPTION@CLUSTER" trailer in the head commit
message approves them. Clusters a change does not touch take one line. Secret values
are never shown.

With --live the head is compared with the live clusters instead of with --base: for
each declared cluster manifold reads its inventories and live objects, plans exactly as
a sync would, and sends every apply as a server-side dry run (nothing is ever written),
so a configured object's diff goes from the live object to what the server would store,
defaulted fields included, and drift shows up even where Git did not change. A cluster
that cannot be reached is reported and compared with --base instead; it does not fail
the command. Credentials come from --credentials, as for sync.

Without --head a local repository's working tree is read as it is on disk. -o markdown
prints a pull-request comment (summary table, a collapsed section per cluster, at most
--max-chars characters); -o json prints the structure documented in package diff.
Problems of the head revision are part of the output and make the exit status 1;
with --exit-code, so do changes.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			format := diff.Format(output)
			if format != diff.Text && format != diff.Markdown && format != diff.JSON {
				return fmt.Errorf("-o %s: use text, markdown or json", output)
			}
			ctx := cmd.Context()
			baseSnap, err := (&repoFlags{repo: repo, revision: base}).snapshot(ctx)
			if err != nil {
				return fmt.Errorf("base: %w", err)
			}
			headSnap, err := (&repoFlags{repo: repo, revision: head}).snapshot(ctx)
			if err != nil {
				return fmt.Errorf("head: %w", err)
			}
			in := diff.Snapshots{Base: baseSnap, Head: headSnap}
			if live {
				in.Live = reconciler.New(reconciler.Options{Connect: clusters.options()})
				if isTerminal(os.Stderr) {
					fmt.Fprintf(os.Stderr, "comparing %s with the live clusters...\n", describe(headSnap, repo))
				}
			}
			rep := diff.ComputeSnapshots(ctx, in)
			if err := rep.Write(cmd.OutOrStdout(), format, diff.WriteOptions{MaxChars: maxChars}); err != nil {
				return err
			}
			switch {
			case rep.Head.Error != "" || len(rep.Head.Problems) > 0:
				return errReported{"the head revision has problems"}
			case exitCode && rep.Changed:
				return errReported{"changes"}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&repo, "repo", ".", "config repository: a local path (working tree or Git repository) or a Git URL")
	cmd.Flags().StringVar(&base, "base", "HEAD", "the revision clusters run now (commit, branch, tag); with --live, what unreachable clusters are compared with")
	cmd.Flags().StringVar(&head, "head", "", "the revision to preview; empty reads a local working tree as it is on disk")
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output format: text, markdown or json")
	cmd.Flags().BoolVar(&exitCode, "exit-code", false, "exit 1 when the change does anything")
	cmd.Flags().IntVar(&maxChars, "max-chars", diff.DefaultMaxChars, "cap of markdown output, in characters")
	cmd.Flags().BoolVar(&live, "live", false, "compare with the live clusters (read-only, server-side dry runs) instead of --base")
	clusters.register(cmd)
	return cmd
}
