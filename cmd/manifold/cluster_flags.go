package main

import (
	"os"
	"path/filepath"
	"time"

	"github.com/manifold-gitops/manifold/reconciler"
	"github.com/spf13/cobra"
)

// clusterFlags are the flags for reaching clusters.
type clusterFlags struct {
	credentials   string
	allowExecAuth bool
	timeout       time.Duration
}

func (f *clusterFlags) register(cmd *cobra.Command) {
	home, _ := os.UserHomeDir()
	cmd.Flags().StringVar(&f.credentials, "credentials", filepath.Join(home, ".manifold", "credentials"), "folder holding the kubeconfig files named by Cluster objects")
	cmd.Flags().BoolVar(&f.allowExecAuth, "allow-exec-auth", false, "allow kubeconfigs that run exec or auth-provider credential plugins")
	cmd.Flags().DurationVar(&f.timeout, "cluster-timeout", 30*time.Second, "timeout of each request to a cluster")
}

func (f *clusterFlags) options() reconciler.ConnectOptions {
	opts := reconciler.ConnectOptions{CredentialsDir: f.credentials, Timeout: f.timeout}
	if f.allowExecAuth {
		opts.Exec = reconciler.AllowExec
	}
	return opts
}

// isTerminal reports whether f is a terminal, for progress output.
func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
