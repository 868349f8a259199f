package harness

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ForTest starts clusters for one test and stops them when the test ends.
// A start failure fails the test (it never skips: missing binaries are an
// error). When the test fails, the work dir with every process log is kept
// and its path logged.
func ForTest(t testing.TB, specs ...ClusterSpec) *Env {
	t.Helper()
	dir, err := os.MkdirTemp("", "manifold-e2e-"+sanitize(t.Name())+"-")
	if err != nil {
		t.Fatal(err)
	}
	env, err := Start(context.Background(), Options{WorkDir: dir, Clusters: specs, Logf: t.Logf})
	if err != nil {
		t.Fatalf("start clusters: %v%s", err, keptLogs(dir))
	}
	t.Cleanup(func() {
		if err := env.Close(); err != nil {
			t.Errorf("stop clusters: %v", err)
		}
		if t.Failed() {
			t.Logf("cluster logs kept in %s", dir)
			return
		}
		os.RemoveAll(dir)
	})
	return env
}

// shared is the Env of the running test binary, set by Main.
var shared *Env

// Main starts clusters once for all tests of a package, runs them, stops the
// clusters and exits. Call it from TestMain:
//
//	func TestMain(m *testing.M) {
//		harness.Main(m, harness.ClusterSpec{Name: "SPG-01", Mode: harness.Full})
//	}
//
// Tests get the Env with Shared and keep out of each other's way with a
// namespace each (Cluster.Namespace). Tests that break a cluster (stop its API
// server, drain it) must restore it before they end and must not run in
// parallel. When a test fails, the logs are kept and their path printed.
func Main(m *testing.M, specs ...ClusterSpec) {
	os.Exit(runMain(m, specs))
}

func runMain(m *testing.M, specs []ClusterSpec) int {
	if !flag.Parsed() {
		flag.Parse() // for testing.Verbose and -run before m.Run
	}
	dir, err := os.MkdirTemp("", "manifold-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	logf := func(format string, args ...any) {
		if testing.Verbose() {
			fmt.Fprintf(os.Stderr, "harness: "+format+"\n", args...)
		}
	}
	env, err := Start(context.Background(), Options{WorkDir: dir, Clusters: specs, Logf: logf})
	if err != nil {
		fmt.Fprintf(os.Stderr, "start clusters: %v%s\n", err, keptLogs(dir))
		return 1
	}
	shared = env
	code := m.Run()
	if err := env.Close(); err != nil {
		fmt.Fprintf(os.Stderr, "stop clusters: %v\n", err)
		code = 1
	}
	if code != 0 {
		fmt.Fprintf(os.Stderr, "cluster logs kept in %s\n", dir)
		return code
	}
	os.RemoveAll(dir)
	return code
}

// keptLogs says where the logs of a failed start are, or removes dir when
// nothing was started (bad options, missing binaries).
func keptLogs(dir string) string {
	if entries, err := os.ReadDir(dir); err == nil && len(entries) == 0 {
		os.Remove(dir)
		return ""
	}
	return "\nlogs kept in " + dir
}

// Shared returns the Env started by Main; it fails the test when TestMain did
// not call Main.
func Shared(t testing.TB) *Env {
	t.Helper()
	if shared == nil {
		t.Fatal("harness.Shared: the package's TestMain must call harness.Main")
	}
	return shared
}

// Namespace creates a namespace for the test (named after it) and deletes
// it when the test ends.
func (c *Cluster) Namespace(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "e2e-" + trimName(sanitize(t.Name()), 40) + "-"}}
	created, err := c.clientset.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("%s: create namespace: %v", c.Name(), err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = c.clientset.CoreV1().Namespaces().Delete(ctx, created.Name, metav1.DeleteOptions{})
	})
	return created.Name
}

// sanitize turns a test name into something fit for file and object names.
func sanitize(name string) string {
	return strings.Trim(strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			return r
		case r >= 'A' && r <= 'Z':
			return r - 'A' + 'a'
		}
		return '-'
	}, filepath.Base(name)), "-")
}

func trimName(s string, n int) string {
	if len(s) > n {
		s = strings.TrimRight(s[:n], "-")
	}
	return s
}
