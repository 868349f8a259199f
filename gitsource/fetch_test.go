package gitsource

import (
	"context"
	"strings"
	"testing"

	"github.com/manifold-gitops/manifold/e2e/gitserver"
)

// TestFetchRefOfPullRequest: a pull request's head ref is fetched and read
// without moving the followed branch; a missing ref is an error.
func TestFetchRefOfPullRequest(t *testing.T) {
	f := newFixture(t)
	main := f.push(t, "main", map[string]string{"a.yaml": "a: 1\n"})
	src := openSource(t, SourceOptions{URL: f.url, StateDir: t.TempDir()})
	poll(t, src, main, true)

	gitserver.Git(t, f.work, "checkout", "-q", "-b", "feature")
	head := gitserver.Commit(t, f.work, "feature", map[string]string{"a.yaml": "a: 2\n"})
	gitserver.Git(t, f.work, "push", "-q", "origin", "feature")
	gitserver.Git(t, f.srv.Dir("config"), "update-ref", "refs/pull/1/head", head)

	ctx := context.Background()
	if src.HasCommit(head) {
		t.Fatal("the pull request's commit is there before FetchRef")
	}
	sha, err := src.FetchRef(ctx, "refs/pull/1/head")
	if err != nil || sha != head {
		t.Fatalf("FetchRef = %s, %v; want %s", sha, err, head)
	}
	snap, err := src.Snapshot(ctx, head)
	if err != nil {
		t.Fatalf("Snapshot of the fetched commit: %v", err)
	}
	if data, err := snap.ReadFile("a.yaml"); err != nil || string(data) != "a: 2\n" {
		t.Fatalf("a.yaml of the fetched commit: %q, %v", data, err)
	}
	poll(t, src, main, false) // the followed branch is untouched
	if sha, err := src.FetchRef(ctx, "refs/heads/feature"); err != nil || sha != head {
		t.Errorf("FetchRef of a branch = %s, %v", sha, err)
	}
	if _, err := src.FetchRef(ctx, "refs/pull/2/head"); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("FetchRef of a missing ref: %v", err)
	}
	for _, bad := range []string{"pull/1/head", "refs/manifold/accepted/main", "refs/pull/../head"} {
		if _, err := src.FetchRef(ctx, bad); err == nil {
			t.Errorf("FetchRef(%q) succeeded", bad)
		}
	}
}

// TestPreviewNotesRef: notes under another ref are written, pushed and
// merged like the status notes, and leave those alone.
func TestPreviewNotesRef(t *testing.T) {
	nf := newNotesFixture(t)
	ctx := context.Background()
	addNote(t, nf.src, nf.second, "status\n")
	pushNotes(t, nf.src)
	if err := nf.src.WriteNoteRef(ctx, PreviewNotesRef, nf.second, []byte("preview 1\n")); err != nil {
		t.Fatal(err)
	}
	if err := nf.src.PushNotesRef(ctx, PreviewNotesRef); err != nil {
		t.Fatal(err)
	}
	// Another writer adds a preview note on the first commit meanwhile.
	gitserver.Git(t, nf.clone, "fetch", "-q", "origin", "refs/notes/manifold-preview:refs/notes/manifold-preview")
	gitserver.Git(t, nf.clone, "notes", "--ref=manifold-preview", "add", "-m", "theirs", nf.first)
	gitserver.Git(t, nf.clone, "push", "-q", "origin", "refs/notes/manifold-preview")
	if err := nf.src.WriteNoteRef(ctx, PreviewNotesRef, nf.second, []byte("preview 2\n")); err != nil {
		t.Fatal(err)
	}
	if err := nf.src.PushNotesRef(ctx, PreviewNotesRef); err != nil {
		t.Fatal(err)
	}

	gitserver.Git(t, nf.clone, "fetch", "-q", "-f", "origin", "refs/notes/manifold-preview:refs/notes/manifold-preview", "refs/notes/manifold:refs/notes/manifold")
	for commit, want := range map[string]string{nf.first: "theirs", nf.second: "preview 2"} {
		if got := gitserver.Git(t, nf.clone, "notes", "--ref=manifold-preview", "show", commit); got != want {
			t.Errorf("preview note on %s = %q, want %q", commit, got, want)
		}
	}
	if got := gitserver.Git(t, nf.clone, "notes", "--ref=manifold", "show", nf.second); got != "status" {
		t.Errorf("status note = %q", got)
	}
	if text, ok, err := nf.src.NoteRef(ctx, PreviewNotesRef, nf.first); err != nil || !ok || string(text) != "theirs\n" {
		t.Errorf("NoteRef = %q, %v, %v", text, ok, err)
	}
	if err := nf.src.WriteNoteRef(ctx, "refs/heads/main", nf.first, []byte("x")); err == nil {
		t.Error("a note written to a branch")
	}
}
