package harness

import (
	"context"
	"fmt"
)

// SandboxClusters are the clusters of `make sandbox` (and the demo): the two
// clusters of the QCBM tutorial, both Full.
var SandboxClusters = []ClusterSpec{
	{Name: "SPG-01", Mode: Full},
	{Name: "SPG-02", Mode: Full},
}

// StartSandbox starts opts.Clusters (SandboxClusters when empty) and writes
// their credentials into credentialsDir (see WriteCredentials). The caller
// owns the Env and must Close it.
func StartSandbox(ctx context.Context, opts Options, credentialsDir string) (*Env, error) {
	if len(opts.Clusters) == 0 {
		opts.Clusters = SandboxClusters
	}
	env, err := Start(ctx, opts)
	if err != nil {
		return nil, err
	}
	if err := env.WriteCredentials(credentialsDir); err != nil {
		_ = env.Close()
		return nil, fmt.Errorf("write credentials into %s: %w", credentialsDir, err)
	}
	return env, nil
}
