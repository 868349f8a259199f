package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// run executes the manifold command line in-process.
func run(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	cmd := newRootCommand()
	var out, errOut bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs(args)
	err = cmd.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

// copyDir copies a folder tree.
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
}

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_GLOBAL=/dev/null")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

const qcbm = "../../examples/qcbm"

func TestRenderSPG02HasItsOwnSubnet(t *testing.T) {
	out, stderr, err := run(t, "render", "--repo", qcbm, "--cluster", "SPG-02")
	if err != nil {
		t.Fatalf("render: %v\n%s", err, stderr)
	}
	if strings.Contains(out, "# cluster: SPG-01") {
		t.Error("--cluster SPG-02 printed SPG-01 objects")
	}
	if !strings.Contains(out, "qcloud-loadbalancer-internal-subnetid: subnet-spg02-7k2m9q") {
		t.Error("SPG-02's api-gateway lacks its own subnet")
	}
	if n := strings.Count(out, "# cluster: SPG-02 subscription: qcbm-subscription\n"); n != 12 {
		t.Errorf("%d documents, want 12", n)
	}
	base, _, err := run(t, "render", "--repo", qcbm, "--cluster", "SPG-01")
	if err != nil || !strings.Contains(base, "qcloud-loadbalancer-internal-subnetid: subnet-spg01-3x8f2a") {
		t.Errorf("SPG-01 lost the base subnet: %v", err)
	}
}

func TestRenderOutLayout(t *testing.T) {
	dir := t.TempDir()
	if _, stderr, err := run(t, "render", "--repo", qcbm, "--out", dir, "--subscription", "qcbm-subscription"); err != nil {
		t.Fatalf("render --out: %v\n%s", err, stderr)
	}
	for _, p := range []string{
		"SPG-01/qcbm-subscription/_Namespace__qcbm.yaml",
		"SPG-02/qcbm-subscription/apps_Deployment_qcbm_user-service.yaml",
		"SPG-02/qcbm-subscription/networking.k8s.io_Ingress_qcbm_qcbm-ingress.yaml",
	} {
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
			t.Errorf("missing %s: %v", p, err)
		}
	}
}

func TestRenderUnknownCluster(t *testing.T) {
	_, _, err := run(t, "render", "--repo", qcbm, "--cluster", "SPG-09")
	if err == nil || !strings.Contains(err.Error(), `cluster "SPG-09" is not declared`) {
		t.Fatalf("err = %v", err)
	}
}

// TestRenderRevisionAndWorkingTree: --revision reads Git history without a
// checkout; without it the working tree is read, uncommitted edits included.
func TestRenderRevisionAndWorkingTree(t *testing.T) {
	dir := t.TempDir()
	copyDir(t, qcbm, dir)
	git(t, dir, "init", "-q", "-b", "main")
	git(t, dir, "add", ".")
	git(t, dir, "commit", "-qm", "QCBM")
	first := git(t, dir, "rev-parse", "HEAD")

	loc := filepath.Join(dir, "localizations", "spg-02-gateway.yaml")
	data, _ := os.ReadFile(loc)
	if err := os.WriteFile(loc, bytes.Replace(data, []byte("subnet-spg02-7k2m9q"), []byte("subnet-uncommitted"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	wt, _, err := run(t, "render", "--repo", dir, "--cluster", "SPG-02")
	if err != nil || !strings.Contains(wt, "subnet-uncommitted") {
		t.Fatalf("working tree render lacks the uncommitted edit: %v", err)
	}
	committed, _, err := run(t, "render", "--repo", dir, "--cluster", "SPG-02", "--revision", first)
	if err != nil || !strings.Contains(committed, "subnet-spg02-7k2m9q") || strings.Contains(committed, "subnet-uncommitted") {
		t.Fatalf("--revision did not read the commit: %v", err)
	}
	branch, _, err := run(t, "render", "--repo", dir, "--revision", "main")
	if err != nil || branch == "" {
		t.Fatalf("--revision main: %v", err)
	}
}

func TestValidate(t *testing.T) {
	out, stderr, err := run(t, "validate", "--repo", qcbm)
	if err != nil {
		t.Fatalf("validate: %v\n%s", err, stderr)
	}
	if want := "valid: ../../examples/qcbm (working tree): 2 clusters, 1 subscriptions, 2 desired sets, 24 objects\n"; out != want {
		t.Errorf("summary = %q, want %q", out, want)
	}

	dir := t.TempDir()
	copyDir(t, qcbm, dir)
	sub := filepath.Join(dir, "subscription.yaml")
	data, _ := os.ReadFile(sub)
	if err := os.WriteFile(sub, bytes.Replace(data, []byte("  source:\n"), []byte("  sources:\n"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	loc := filepath.Join(dir, "localizations", "spg-02-gateway.yaml")
	data, _ = os.ReadFile(loc)
	if err := os.WriteFile(loc, bytes.Replace(data, []byte("priority: 300"), []byte("priority: 3000"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	out, stderr, err = run(t, "validate", "--repo", dir)
	if err == nil {
		t.Fatal("validate succeeded on a broken repository")
	}
	for _, want := range []string{
		"error: subscription.yaml:65: Subscription/default/qcbm-subscription: field sources not found",
		"error: localizations/spg-02-gateway.yaml:5: Localization/SPG-02/qcbm-svc-gateway-override: spec.priority 3000 is outside 0..1000",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if out != "" {
		t.Errorf("stdout should be empty on failure, got %q", out)
	}
}

// TestBinaryExitStatus runs the built command to check exit statuses.
func TestBinaryExitStatus(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "manifold")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	if err := exec.Command(bin, "validate", "--repo", qcbm).Run(); err != nil {
		t.Errorf("validate of QCBM: %v", err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bad.yaml"), []byte("kind: [\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "validate", "--repo", dir)
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Errorf("exit = %v, want 1; output:\n%s", err, out)
	}
	if !strings.Contains(string(out), "bad.yaml:") {
		t.Errorf("output lacks file:line: %s", out)
	}
}
