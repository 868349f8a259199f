package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/manifold-gitops/manifold/reconciler"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// managementFlags say how to reach the management cluster, the one holding
// the Secrets that Cluster objects name in spec.kubeconfig.secretRef.
type managementFlags struct {
	inCluster  bool
	kubeconfig string
}

func (f *managementFlags) register(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&f.inCluster, "in-cluster", false, "run inside the management cluster: read kubeconfig Secrets (spec.kubeconfig.secretRef) with the pod's service account")
	cmd.Flags().StringVar(&f.kubeconfig, "management-kubeconfig", "", "kubeconfig of the management cluster, for running outside it as --in-cluster would inside")
	cmd.MarkFlagsMutuallyExclusive("in-cluster", "management-kubeconfig")
}

// restConfig returns the management cluster's client configuration, or nil
// when neither flag is set.
func (f *managementFlags) restConfig() (*rest.Config, error) {
	switch {
	case f.inCluster:
		cfg, err := rest.InClusterConfig()
		if err != nil {
			return nil, fmt.Errorf("--in-cluster: %w", err)
		}
		return cfg, nil
	case f.kubeconfig != "":
		cfg, err := clientcmd.BuildConfigFromFlags("", f.kubeconfig)
		if err != nil {
			return nil, fmt.Errorf("--management-kubeconfig %s: %w", f.kubeconfig, err)
		}
		return cfg, nil
	}
	return nil, nil
}

// secretSource returns the reader of kubeconfig Secrets in the management
// cluster, or nil when manifold runs without one.
func (f *managementFlags) secretSource(cfg *rest.Config) (*reconciler.SecretSource, error) {
	if cfg == nil {
		return nil, nil
	}
	cfg = rest.CopyConfig(cfg)
	cfg.UserAgent = "manifold"
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("management cluster: %w", err)
	}
	return reconciler.NewSecretSource(client.CoreV1()), nil
}

// envPrefix prefixes the environment variables that set serve's flags.
const envPrefix = "MANIFOLD_"

// envName is the variable that sets a flag: MANIFOLD_ and the flag's name in
// upper case with dashes turned into underscores (--git-username is
// MANIFOLD_GIT_USERNAME).
func envName(flag string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// flagsFromEnv sets every flag not given on the command line from its
// environment variable (envName), when that is set and not empty. The
// command line wins over the environment, the environment over defaults.
func flagsFromEnv(fs *pflag.FlagSet) error {
	var errs []error
	fs.VisitAll(func(fl *pflag.Flag) {
		if fl.Changed || fl.Name == "help" {
			return
		}
		v := os.Getenv(envName(fl.Name))
		if v == "" {
			return
		}
		if err := fs.Set(fl.Name, v); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", envName(fl.Name), err))
		}
	})
	return errors.Join(errs...)
}
