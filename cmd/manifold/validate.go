package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newValidateCommand() *cobra.Command {
	var repo repoFlags
	cmd := &cobra.Command{
		Use:   "validate",
		Short: "Check the repository: policy objects, builds, feeds and overrides",
		Long: `Validate renders every (cluster, subscription) and prints every problem with its
file:line, object, override and cluster. It exits 1 when there is any problem and
prints a one-line summary otherwise.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			snap, res, err := repo.render(cmd.Context())
			if err != nil {
				return err
			}
			if err := reportProblems(cmd, res); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "valid: %s: %d clusters, %d subscriptions, %d desired sets, %d objects\n",
				describe(snap, repo.repo), len(res.Clusters), len(res.Policies.Subscriptions), len(res.Sets), res.ObjectCount())
			return nil
		},
	}
	repo.register(cmd)
	return cmd
}
