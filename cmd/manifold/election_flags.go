package main

import (
	"fmt"
	"time"

	"github.com/manifold-gitops/manifold/daemon"
	"github.com/spf13/cobra"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// electionFlags configure leader election and sharding of manifold serve.
type electionFlags struct {
	enabled     bool
	kubeconfig  string
	namespace   string
	leaseName   string
	identity    string
	shards      int
	shardPrefix string
	lease       time.Duration
	renew       time.Duration
	retry       time.Duration
}

func (f *electionFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.BoolVar(&f.enabled, "leader-elect", false, "write to clusters and Git only while holding a Lease in the coordination cluster (several replicas: one leads)")
	fl.StringVar(&f.kubeconfig, "leader-elect-kubeconfig", "", "kubeconfig of the coordination cluster holding the Leases (default: the management cluster of --in-cluster or --management-kubeconfig)")
	fl.StringVar(&f.namespace, "leader-elect-namespace", "manifold-system", "namespace of the Leases")
	fl.StringVar(&f.leaseName, "leader-elect-lease-name", "manifold", "name of the leader's Lease (without --shards)")
	fl.StringVar(&f.identity, "leader-elect-identity", "", "this replica's name in the Leases (default: hostname_pid)")
	fl.DurationVar(&f.lease, "leader-elect-lease-duration", 15*time.Second, "how long a Lease lasts without renewal before another replica may take it")
	fl.DurationVar(&f.renew, "leader-elect-renew-deadline", 10*time.Second, "how long the holder keeps trying to renew before it stops writing")
	fl.DurationVar(&f.retry, "leader-elect-retry-period", 2*time.Second, "how often Leases are tried and renewed")
	fl.IntVar(&f.shards, "shards", 1, "split the clusters into this many shards, each with its own Lease (needs --leader-elect)")
	fl.StringVar(&f.shardPrefix, "shard-leases-prefix", "manifold-shard-", "Lease names of the shards: the prefix and the shard index")
}

// election returns the daemon's election settings, nil without
// --leader-elect. mgmt is the management cluster, the default coordination
// cluster.
func (f *electionFlags) election(mgmt *rest.Config) (*daemon.Election, error) {
	if !f.enabled {
		if f.shards > 1 {
			return nil, fmt.Errorf("--shards %d needs --leader-elect", f.shards)
		}
		return nil, nil
	}
	if f.shards < 1 {
		return nil, fmt.Errorf("--shards %d: at least 1", f.shards)
	}
	cfg := mgmt
	if f.kubeconfig != "" {
		var err error
		if cfg, err = clientcmd.BuildConfigFromFlags("", f.kubeconfig); err != nil {
			return nil, fmt.Errorf("--leader-elect-kubeconfig %s: %w", f.kubeconfig, err)
		}
	}
	if cfg == nil {
		return nil, fmt.Errorf("--leader-elect needs a coordination cluster: --leader-elect-kubeconfig, --management-kubeconfig or --in-cluster")
	}
	cfg = rest.CopyConfig(cfg)
	cfg.UserAgent = "manifold-leader-election"
	// A renewal must fail fast enough to stop writing before the Lease
	// could pass to another replica.
	cfg.Timeout = f.renew
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("coordination cluster: %w", err)
	}
	e := &daemon.Election{
		Leases: client.CoordinationV1(), Namespace: f.namespace, LeaseName: f.leaseName, Identity: f.identity,
		Shards: f.shards, ShardLeasePrefix: f.shardPrefix,
		LeaseDuration: f.lease, RenewDeadline: f.renew, RetryPeriod: f.retry,
	}
	if err := e.Validate(); err != nil {
		return nil, err
	}
	return e, nil
}
