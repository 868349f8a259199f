package main

import (
	"github.com/spf13/cobra"
)

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "manifold",
		Short:         "A multi-cluster GitOps reconciler",
		Long:          "manifold renders what every cluster should run from a Git repository of manifests and policy objects (Clusters, Subscriptions, Localizations, Globalizations).",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newRenderCommand(), newValidateCommand(), newSyncCommand(), newClustersCommand(), newServeCommand(), newStatusCommand(), newDiffCommand())
	return root
}
