package gitsource

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// writeTree creates files (path → content) below dir.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for p, content := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func gitCmd(t *testing.T, dir string, args ...string) string {
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

func TestReadWorktreeSymlinks(t *testing.T) {
	outside := t.TempDir()
	writeTree(t, outside, map[string]string{"secret.txt": "TOP-SECRET-OUTSIDE"})
	root := t.TempDir()
	writeTree(t, root, map[string]string{"app/a.yaml": "a: 1\n", ".git/config": "x"})
	must(t, os.Symlink("a.yaml", filepath.Join(root, "app/inside.yaml")))
	must(t, os.Symlink(filepath.Join(outside, "secret.txt"), filepath.Join(root, "app/abs.yaml")))
	must(t, os.Symlink("../../"+filepath.Base(outside)+"/secret.txt", filepath.Join(root, "app/rel.yaml")))

	s, err := ReadWorktree(root, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"app/a.yaml", "app/abs.yaml", "app/inside.yaml", "app/rel.yaml"}, s.Paths()); diff != "" {
		t.Errorf("Paths (-want +got):\n%s", diff)
	}
	got, err := s.ReadFile("app/inside.yaml")
	if err != nil || string(got) != "a: 1\n" {
		t.Errorf("inside symlink = %q, %v", got, err)
	}
	for _, p := range []string{"app/abs.yaml", "app/rel.yaml"} {
		data, err := s.ReadFile(p)
		if err == nil || !strings.Contains(err.Error(), "symlink points outside the repository") {
			t.Errorf("%s: err = %v, want a symlink error", p, err)
		}
		if strings.Contains(string(data), "TOP-SECRET") || (err != nil && strings.Contains(err.Error(), "TOP-SECRET")) {
			t.Errorf("%s: content outside the repository leaked", p)
		}
	}
}

func TestReadWorktreeLimits(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{"big.yaml": strings.Repeat("x", 100), "a": "1", "b": "2"})
	s, err := ReadWorktree(root, Limits{MaxFileBytes: 10})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReadFile("big.yaml"); err == nil || !strings.Contains(err.Error(), "big.yaml: file is 100 bytes, over the 10-byte limit") {
		t.Errorf("oversized read: %v", err)
	}
	if _, err := ReadWorktree(root, Limits{MaxFiles: 2}); err == nil || !strings.Contains(err.Error(), "more than 2 files") {
		t.Errorf("file count limit: %v", err)
	}
}

func TestReadRevisionOfSubfolder(t *testing.T) {
	dir := t.TempDir()
	gitCmd(t, dir, "init", "-q", "-b", "main")
	writeTree(t, dir, map[string]string{"config/app/a.yaml": "v: 1\n", "other.txt": "x"})
	gitCmd(t, dir, "add", ".")
	gitCmd(t, dir, "commit", "-qm", "first\n\nManifold-Allow-Prune: app@SPG-01")
	first := gitCmd(t, dir, "rev-parse", "HEAD")
	writeTree(t, dir, map[string]string{"config/app/a.yaml": "v: 2\n"})
	gitCmd(t, dir, "commit", "-qam", "second")

	s, err := ReadRevision(context.Background(), filepath.Join(dir, "config"), first, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if s.Revision != first || !strings.Contains(s.Message, "Manifold-Allow-Prune") {
		t.Errorf("revision %s message %q", s.Revision, s.Message)
	}
	if diff := cmp.Diff([]string{"app/a.yaml"}, s.Paths()); diff != "" {
		t.Errorf("Paths (-want +got):\n%s", diff)
	}
	data, _ := s.ReadFile("app/a.yaml")
	if string(data) != "v: 1\n" {
		t.Errorf("content at first commit = %q", data)
	}
	head, err := ReadRevision(context.Background(), dir, "main", Limits{})
	if err != nil {
		t.Fatal(err)
	}
	h1, _ := s.FileHash("app/a.yaml")
	h2, _ := head.FileHash("config/app/a.yaml")
	if h1 == h2 || h1 == "" {
		t.Errorf("hashes of different contents: %q %q", h1, h2)
	}
	if !head.IsDir("config/app") || head.IsDir("config/app/a.yaml") {
		t.Error("IsDir wrong")
	}
	if got := head.Under("config"); len(got) != 1 {
		t.Errorf("Under(config) = %v", got)
	}
	// The working tree's hash of the same content equals Git's blob hash.
	wt, err := ReadWorktree(filepath.Join(dir, "config"), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if h3, _ := wt.FileHash("app/a.yaml"); h3 != h2 {
		t.Errorf("worktree hash %s != commit hash %s", h3, h2)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
