// Command manifold-sandbox runs two local Kubernetes clusters, SPG-01 and
// SPG-02, until it is interrupted. It is what `make sandbox` runs; see
// docs/sandbox.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/manifold-gitops/manifold/e2e/harness"
)

func main() {
	credentials := flag.String("credentials", ".state/sandbox/credentials", "directory for the kubeconfigs and clusters.yaml")
	workDir := flag.String("work-dir", ".state/sandbox/run", "directory for cluster data and logs; emptied at start")
	binDir := flag.String("bin-dir", "", "directory of the control-plane binaries (default: $MANIFOLD_BIN_DIR or <repo>/bin)")
	flag.Parse()
	if err := run(*credentials, *workDir, *binDir); err != nil {
		fmt.Fprintln(os.Stderr, "sandbox:", err)
		os.Exit(1)
	}
}

func run(credentials, workDir, binDir string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if err := os.RemoveAll(workDir); err != nil {
		return err
	}
	if err := os.MkdirAll(workDir, 0o700); err != nil {
		return err
	}
	logf := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "sandbox: "+format+"\n", args...)
	}
	began := time.Now()
	opts := harness.Options{BinDir: binDir, WorkDir: workDir, Logf: logf}
	env, err := harness.StartSandbox(ctx, opts, credentials)
	if err != nil {
		return err
	}
	defer func() {
		fmt.Fprintln(os.Stderr, "sandbox: stopping the clusters")
		if err := env.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "sandbox:", err)
		}
		fmt.Fprintln(os.Stderr, "sandbox: stopped")
	}()
	printSummary(env, credentials, workDir, time.Since(began))
	<-ctx.Done()
	return nil
}

func printSummary(env *harness.Env, credentials, workDir string, took time.Duration) {
	clusters := env.Clusters()
	fmt.Printf("\n%d clusters ready in %s:\n\n", len(clusters), took.Round(100*time.Millisecond))
	for _, c := range clusters {
		fmt.Printf("  %-8s %-5s %s  %s\n", c.Name(), c.Mode(), c.Server(),
			display(filepath.Join(credentials, harness.KubeconfigFileName(c.Name()))))
	}
	kubectl := display(filepath.Join(env.BinDir(), "kubectl"))
	first := display(filepath.Join(credentials, harness.KubeconfigFileName(clusters[0].Name())))
	fmt.Printf(`
Try:
  %[1]s --kubeconfig %[2]s get nodes
  %[1]s --kubeconfig %[2]s create deployment web --image=nginx
  %[1]s --kubeconfig %[2]s get deployments,pods

Cluster objects for a config repository: %[3]s
Credentials directory for manifold:      --credentials %[4]s
Logs:                                    %[5]s/<cluster>/*.log

Press Ctrl-C to stop the clusters.
`, kubectl, first, display(filepath.Join(credentials, harness.ClustersFile)), display(credentials), display(workDir))
}

// display shortens path to one relative to the working directory when it is
// inside it.
func display(path string) string {
	wd, err := os.Getwd()
	if err != nil {
		return path
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return path
	}
	rel, err := filepath.Rel(wd, abs)
	if err != nil || rel == ".." || len(rel) > 2 && rel[:3] == "../" {
		return abs
	}
	return rel
}
