package daemon

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/manifold-gitops/manifold/gitsource"
)

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@manifold.invalid",
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@manifold.invalid", "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

func commitFile(t *testing.T, dir, name, content, message string) string {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-qm", message)
	return git(t, dir, "rev-parse", "HEAD")
}

// TestPreviewerCoalescesAndNotes: requests for one pull request while it
// waits collapse into one preview of its latest head, which is kept for
// Lookup and noted under refs/notes/manifold-preview; closing actions and
// repeated heads are ignored.
func TestPreviewerCoalescesAndNotes(t *testing.T) {
	dir := t.TempDir()
	git(t, dir, "init", "-q", "-b", "main")
	commitFile(t, dir, "app.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: web}\n", "main")
	git(t, dir, "checkout", "-q", "-b", "feature")
	first := commitFile(t, dir, "b.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b, namespace: web}\n", "first")
	second := commitFile(t, dir, "c.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: web}\n", "second")
	git(t, dir, "checkout", "-q", "main")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	src, err := gitsource.OpenSource(ctx, gitsource.SourceOptions{URL: dir})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := src.Poll(ctx); err != nil {
		t.Fatal(err)
	}

	p := NewPreviewer(PreviewOptions{Source: src})
	for _, pr := range []PullRequest{
		{Provider: "github", Number: 1, Action: "opened", HeadSHA: first, HeadRef: "feature"},
		{Provider: "github", Number: 1, Action: "synchronize", HeadSHA: second, HeadRef: "feature"},
	} {
		if !p.Request(pr) {
			t.Fatalf("request %+v ignored", pr)
		}
	}
	if p.Request(PullRequest{Provider: "github", Number: 1, Action: "closed", HeadSHA: second}) {
		t.Error("a closing action was queued")
	}
	if _, state := p.Lookup(first); state != PreviewUnknown {
		t.Errorf("the replaced head is %v, want unknown", state)
	}
	if _, state := p.Lookup(second); state != PreviewPending {
		t.Errorf("the latest head is %v, want pending", state)
	}
	go p.Run(ctx)
	deadline := time.Now().Add(30 * time.Second)
	var prev *Preview
	for state := PreviewPending; state != PreviewDone; prev, state = p.Lookup(second) {
		if time.Now().After(deadline) {
			t.Fatal("no preview within 30s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if prev.Err != nil || prev.NoteErr != nil || prev.Report == nil || prev.Report.Head.Revision != second {
		t.Fatalf("preview: %+v", prev)
	}
	if _, state := p.Lookup(first); state != PreviewUnknown {
		t.Errorf("the replaced head was previewed too")
	}
	if note := git(t, dir, "notes", "--ref=manifold-preview", "show", second); !strings.Contains(note, "Preview of pull request #1 by manifold.") {
		t.Errorf("note: %s", note)
	}
	if p.Request(PullRequest{Provider: "github", Number: 1, Action: "edited", HeadSHA: second}) {
		t.Error("a head already previewed against the same base was queued again")
	}
}
