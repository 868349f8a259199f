package harness

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// Mode says how much of a control plane a cluster runs.
type Mode int

const (
	// Light runs an API server only: objects are stored and served, but
	// nothing schedules or runs them. ≈275 MB, ready in about a second.
	Light Mode = iota
	// Full adds kube-controller-manager, kube-scheduler and kwok with one fake
	// node, so Deployments roll out and become Available.
	Full
)

func (m Mode) String() string {
	if m == Full {
		return "full"
	}
	return "light"
}

// ClusterSpec names one cluster to start.
type ClusterSpec struct {
	// Name is shown to users as is (e.g. "SPG-01"); lowercased it names the
	// cluster's files and etcd prefix.
	Name string
	Mode Mode
}

// Options configure Start. Only Clusters is required.
type Options struct {
	// BinDir holds the control-plane binaries. Default: $MANIFOLD_BIN_DIR, or
	// bin/ in the repository root (the directory of manifold's go.mod).
	BinDir string
	// WorkDir receives data, keys, kubeconfigs and logs. Default: a new
	// temporary directory, removed by Close. A WorkDir given here is kept.
	WorkDir string
	// Clusters are started in parallel.
	Clusters []ClusterSpec
	// StartTimeout bounds the start of etcd and of each cluster. Default: 90s.
	StartTimeout time.Duration
	// Logf receives progress lines. Default: discard.
	Logf func(format string, args ...any)
}

// resolve fills in defaults.
func (o *Options) resolve() error {
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	if o.StartTimeout == 0 {
		o.StartTimeout = 90 * time.Second
	}
	if o.BinDir == "" {
		o.BinDir = os.Getenv("MANIFOLD_BIN_DIR")
	}
	if o.BinDir == "" {
		root, err := repoRoot()
		if err != nil {
			return fmt.Errorf("harness: no BinDir and no $MANIFOLD_BIN_DIR: %w", err)
		}
		o.BinDir = filepath.Join(root, "bin")
	}
	return nil
}

// mainModule is the module whose go.mod marks the repository root.
const mainModule = "github.com/manifold-gitops/manifold"

// repoRoot walks up from the working directory to manifold's go.mod,
// skipping other modules on the way (such as e2e/tools).
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if f, err := os.Open(filepath.Join(dir, "go.mod")); err == nil {
			sc := bufio.NewScanner(f)
			sc.Scan()
			f.Close()
			if strings.TrimSpace(sc.Text()) == "module "+mainModule {
				return dir, nil
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod of %s above the working directory", mainModule)
		}
		dir = parent
	}
}

// checkBinaries fails, naming the first missing binary, unless every binary
// the specs need is in binDir.
func checkBinaries(binDir string, specs []ClusterSpec) error {
	need := []string{"etcd", "kube-apiserver"}
	for _, s := range specs {
		if s.Mode == Full {
			need = append(need, "kube-controller-manager", "kube-scheduler", "kwok")
			break
		}
	}
	for _, name := range need {
		path := filepath.Join(binDir, name)
		info, err := os.Stat(path)
		if err != nil || info.IsDir() || info.Mode()&0o111 == 0 {
			return fmt.Errorf("harness: %s not found in %s: run `make control-plane` (or set MANIFOLD_BIN_DIR)", name, binDir)
		}
	}
	return nil
}

var clusterName = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$`)

// validateSpecs checks that added names are valid and unique among themselves
// and the existing clusters, also after lowercasing (they name files).
func validateSpecs(existing []*Cluster, added []ClusterSpec) error {
	seen := map[string]bool{}
	for _, c := range existing {
		seen[fileName(c.spec.Name)] = true
	}
	for _, s := range added {
		if !clusterName.MatchString(s.Name) {
			return fmt.Errorf("harness: cluster name %q: want letters, digits, '-', '.' or '_'", s.Name)
		}
		if seen[fileName(s.Name)] {
			return fmt.Errorf("harness: cluster %s is already defined", s.Name)
		}
		seen[fileName(s.Name)] = true
	}
	return nil
}

// fileName is a cluster's name in file names and etcd prefixes.
func fileName(cluster string) string { return strings.ToLower(cluster) }
