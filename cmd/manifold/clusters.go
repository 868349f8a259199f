package main

import (
	"fmt"
	"sort"
	"text/tabwriter"

	"github.com/manifold-gitops/manifold/reconciler"
	"github.com/spf13/cobra"
)

func newClustersCommand() *cobra.Command {
	var repo repoFlags
	var clusters clusterFlags
	cmd := &cobra.Command{
		Use:   "clusters",
		Short: "List the declared clusters with reachability, version and health",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, res, err := repo.render(cmd.Context())
			if err != nil {
				return err
			}
			if res.Err != nil {
				return reportProblems(cmd, res)
			}
			statuses := reconciler.New(reconciler.Options{Connect: clusters.options()}).Probe(cmd.Context(), res.Clusters)
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "CLUSTER\tREACHABLE\tVERSION\tHEALTH\tOBJECTS\tSUBSCRIPTIONS")
			unreachable := false
			for _, st := range statuses {
				var subs []string
				for s, h := range st.Subscriptions {
					subs = append(subs, fmt.Sprintf("%s=%s", s, h))
				}
				sort.Strings(subs)
				version := st.Version
				if version == "" {
					version = "-"
				}
				fmt.Fprintf(tw, "%s\t%v\t%s\t%s\t%d\t%v\n", st.Name, st.Reachable, version, st.Health(), st.Objects, subs)
				if !st.Reachable {
					unreachable = true
				}
			}
			tw.Flush()
			for _, st := range statuses {
				if st.Err != nil {
					fmt.Fprintf(cmd.ErrOrStderr(), "error: %v\n", st.Err)
				}
			}
			if unreachable {
				return errReported{"unreachable clusters"}
			}
			return nil
		},
	}
	repo.register(cmd)
	clusters.register(cmd)
	return cmd
}
