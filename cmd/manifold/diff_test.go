package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// qcbmRepo copies QCBM into a new Git repository with one commit.
func qcbmRepo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	copyDir(t, qcbm, dir)
	git(t, dir, "init", "-q", "-b", "main")
	git(t, dir, "add", ".")
	git(t, dir, "commit", "-qm", "QCBM")
	return dir
}

func editFile(t *testing.T, path, old, new string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil || !bytes.Contains(data, []byte(old)) {
		t.Fatalf("%s lacks %q: %v", path, old, err)
	}
	if err := os.WriteFile(path, bytes.Replace(data, []byte(old), []byte(new), 1), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestDiffExitCode: --exit-code fails only when there are changes; without
// it a change succeeds.
func TestDiffExitCode(t *testing.T) {
	dir := qcbmRepo(t)
	git(t, dir, "commit", "-q", "--allow-empty", "-m", "nothing")
	out, stderr, err := run(t, "diff", "--repo", dir, "--base", "HEAD~1", "--head", "HEAD", "--exit-code")
	if err != nil {
		t.Fatalf("no change with --exit-code: %v\n%s", err, stderr)
	}
	if !strings.Contains(out, "SPG-01: no change\nSPG-02: no change\n") {
		t.Errorf("output:\n%s", out)
	}

	editFile(t, filepath.Join(dir, "app", "deployments.yaml"), "user-service:fdd3edd", "user-service:v2")
	git(t, dir, "commit", "-qam", "user-service v2")
	args := []string{"diff", "--repo", dir, "--base", "HEAD~1", "--head", "HEAD"}
	if _, stderr, err := run(t, args...); err != nil {
		t.Fatalf("a change without --exit-code: %v\n%s", err, stderr)
	}
	out, _, err = run(t, append(args, "--exit-code", "-o", "json")...)
	if !errors.As(err, new(errReported)) {
		t.Fatalf("a change with --exit-code: err = %v", err)
	}
	var rep struct{ Changed bool }
	if err := json.Unmarshal([]byte(out), &rep); err != nil || !rep.Changed {
		t.Errorf("json: %v, changed %v", err, rep.Changed)
	}
}

// TestDiffWorkingTree: without --head the working tree is compared with
// HEAD; problems at head are printed and fail the command.
func TestDiffWorkingTree(t *testing.T) {
	dir := qcbmRepo(t)
	loc := filepath.Join(dir, "localizations", "spg-02-gateway.yaml")
	editFile(t, loc, "subnet-spg02-7k2m9q", "subnet-uncommitted")
	out, stderr, err := run(t, "diff", "--repo", dir, "-o", "markdown")
	if err != nil {
		t.Fatalf("diff: %v\n%s", err, stderr)
	}
	for _, want := range []string{"head `working tree`", "| SPG-02 | qcbm-subscription | 0 | 1 | 0 | 0 | 0 |", "SPG-01: no change", "`svc-override`"} {
		if !strings.Contains(out, want) {
			t.Errorf("markdown lacks %q:\n%s", want, out)
		}
	}

	editFile(t, loc, "/metadata/annotations/", "/metadata/nothing/")
	out, _, err = run(t, "diff", "--repo", dir)
	if !errors.As(err, new(errReported)) {
		t.Fatalf("head with problems: err = %v", err)
	}
	if !strings.Contains(out, "head problem: localizations/spg-02-gateway.yaml:5:") || !strings.Contains(out, "SPG-02 qcbm-subscription: not synced") {
		t.Errorf("output:\n%s", out)
	}
}

func TestDiffBadFormat(t *testing.T) {
	_, _, err := run(t, "diff", "--repo", qcbm, "-o", "yaml")
	if err == nil || !strings.Contains(err.Error(), "use text, markdown or json") {
		t.Fatalf("err = %v", err)
	}
}
