package e2e

import (
	"context"
	"os/exec"
	"strings"
	"testing"

	"github.com/manifold-gitops/manifold/e2e/harness"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// runManifold runs the built command and returns its combined output and
// exit code.
func runManifold(t *testing.T, args ...string) (string, int) {
	t.Helper()
	out, err := exec.Command(manifoldBinary(t), args...).CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return string(out), code
}

// TestCLI runs `manifold sync` and `manifold clusters` as a user would.
func TestCLI(t *testing.T) {
	env := harness.ForTest(t,
		harness.ClusterSpec{Name: "SPG-01", Mode: harness.Light},
		harness.ClusterSpec{Name: "SPG-02", Mode: harness.Light})
	creds := t.TempDir()
	if err := env.WriteCredentials(creds); err != nil {
		t.Fatal(err)
	}
	repo := faultsRepo(t)
	ctx := context.Background()
	base := []string{"--repo", repo.dir, "--revision", "HEAD", "--credentials", creds}

	out, code := runManifold(t, append([]string{"sync", "--dry-run"}, base...)...)
	if code != 0 || !strings.Contains(out, "dry run: nothing was changed") || !strings.Contains(out, "shop: created 4") {
		t.Fatalf("sync --dry-run: exit %d\n%s", code, out)
	}
	if _, err := env.Cluster("SPG-01").Clientset().CoreV1().Namespaces().Get(ctx, "shop", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("--dry-run created namespace shop: %v", err)
	}

	out, code = runManifold(t, append([]string{"sync"}, base...)...)
	for _, want := range []string{"cluster SPG-01: reachable v1.37.2, health Healthy", "cluster SPG-02: reachable", "  blog: created 4", "  shop: created 4", "    created Namespace/shop"} {
		if !strings.Contains(out, want) {
			t.Errorf("sync output lacks %q:\n%s", want, out)
		}
	}
	if code != 0 {
		t.Fatalf("sync: exit %d\n%s", code, out)
	}

	out, code = runManifold(t, append([]string{"clusters"}, "--repo", repo.dir, "--credentials", creds)...)
	if code != 0 || !strings.Contains(out, "SPG-01") || !strings.Contains(out, "v1.37.2") || !strings.Contains(out, "shop=Healthy") {
		t.Errorf("clusters: exit %d\n%s", code, out)
	}

	if err := env.Cluster("SPG-01").StopAPIServer(ctx); err != nil {
		t.Fatal(err)
	}
	out, code = runManifold(t, append([]string{"sync"}, base...)...)
	if code != 1 || !strings.Contains(out, "cluster SPG-01: UNREACHABLE") || !strings.Contains(out, "  shop: unchanged 4") {
		t.Errorf("sync with SPG-01 down: exit %d, want 1\n%s", code, out)
	}
	out, code = runManifold(t, append([]string{"clusters"}, "--repo", repo.dir, "--credentials", creds)...)
	if code != 1 || !strings.Contains(out, "unreachable") {
		t.Errorf("clusters with SPG-01 down: exit %d, want 1\n%s", code, out)
	}
	if err := env.Cluster("SPG-01").StartAPIServer(ctx); err != nil {
		t.Fatal(err)
	}
}
