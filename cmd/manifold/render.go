package main

import (
	"fmt"

	"github.com/manifold-gitops/manifold/render"
	"github.com/spf13/cobra"
)

func newRenderCommand() *cobra.Command {
	var repo repoFlags
	var filter render.Filter
	var out string
	cmd := &cobra.Command{
		Use:   "render",
		Short: "Print the desired state of every cluster",
		Long: `Render prints, as multi-document YAML, what every cluster should run: for each
(cluster, subscription) the selected resources with overlays and overrides applied.
Documents are sorted by cluster, subscription and object, each preceded by
"# cluster: NAME subscription: NAME". With --out DIR it writes
DIR/<cluster>/<subscription>/<group>_<kind>_<namespace>_<name>.yaml instead.
Problems go to standard error and make the exit status 1.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, res, err := repo.render(cmd.Context())
			if err != nil {
				return err
			}
			if filter.Cluster != "" && !hasCluster(res, filter.Cluster) && res.Err == nil {
				return fmt.Errorf("cluster %q is not declared in %s", filter.Cluster, repo.repo)
			}
			if out != "" {
				err = res.WriteDir(out, filter)
			} else {
				err = res.WriteYAML(cmd.OutOrStdout(), filter)
			}
			if err != nil {
				return err
			}
			return reportProblems(cmd, res)
		},
	}
	repo.register(cmd)
	cmd.Flags().StringVar(&filter.Cluster, "cluster", "", "only this cluster")
	cmd.Flags().StringVar(&filter.Subscription, "subscription", "", "only this subscription")
	cmd.Flags().StringVar(&out, "out", "", "write one file per object below this folder instead of printing")
	return cmd
}

func hasCluster(res *render.Result, name string) bool {
	for _, c := range res.Clusters {
		if c.Metadata.Name == name {
			return true
		}
	}
	return false
}

// reportProblems prints every problem to standard error; any problem makes
// the command fail.
func reportProblems(cmd *cobra.Command, res *render.Result) error {
	stderr := cmd.ErrOrStderr()
	for _, p := range res.Problems {
		fmt.Fprintln(stderr, "error:", p)
	}
	if res.Err != nil {
		fmt.Fprintln(stderr, "error:", res.Err)
	}
	if n := len(res.Problems); n > 0 || res.Err != nil {
		return errReported{fmt.Sprintf("%d problem(s)", n)}
	}
	return nil
}
