package gitsource

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/manifold-gitops/manifold/e2e/gitserver"
)

// notesFixture is a remote with two commits, a Source that polled it, and a
// clone of the remote made with the git CLI over HTTP.
type notesFixture struct {
	*fixture
	src            *Source
	first, second  string
	clone, bareDir string
}

func newNotesFixture(t *testing.T) *notesFixture {
	t.Helper()
	f := newFixture(t)
	nf := &notesFixture{fixture: f, bareDir: f.srv.Dir("config")}
	nf.first = f.push(t, "first", map[string]string{"a.yaml": "a: 1\n"})
	nf.second = f.push(t, "second", map[string]string{"a.yaml": "a: 2\n"})
	nf.src = openSource(t, SourceOptions{URL: f.url, StateDir: t.TempDir()})
	poll(t, nf.src, nf.second, true)
	nf.clone = filepath.Join(t.TempDir(), "clone")
	gitserver.Git(t, t.TempDir(), "clone", "--quiet", f.url, nf.clone)
	return nf
}

// cliNotes fetches the remote notes into the clone (replacing its own).
func (nf *notesFixture) cliNotes(t *testing.T) {
	t.Helper()
	gitserver.Git(t, nf.clone, "fetch", "--quiet", "--force", "origin", "refs/notes/manifold:refs/notes/manifold")
}

func addNote(t *testing.T, s *Source, commit, text string) {
	t.Helper()
	if err := s.WriteNote(context.Background(), commit, []byte(text)); err != nil {
		t.Fatal(err)
	}
}

func pushNotes(t *testing.T, s *Source) {
	t.Helper()
	if err := s.PushNotes(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func wantNote(t *testing.T, s *Source, commit, want string) {
	t.Helper()
	got, ok, err := s.Note(context.Background(), commit)
	if err != nil || !ok || string(got) != want {
		t.Errorf("Note(%.7s) = %q, %v, %v; want %q", commit, got, ok, err, want)
	}
}

func TestNotesShowInGitCLI(t *testing.T) {
	nf := newNotesFixture(t)
	note1 := "cluster: SPG-01\nhealth: Healthy\n"
	addNote(t, nf.src, nf.first, note1)
	addNote(t, nf.src, nf.second, "cluster: SPG-02\n")
	addNote(t, nf.src, nf.second, "cluster: SPG-02\n") // unchanged: no new commit
	pushNotes(t, nf.src)

	nf.cliNotes(t)
	if got := gitserver.Git(t, nf.clone, "notes", "--ref=manifold", "show", nf.first); got+"\n" != note1 {
		t.Errorf("git notes show = %q, want %q", got, note1)
	}
	log := gitserver.Git(t, nf.clone, "log", "--notes=manifold", "--format=%H%n%N")
	if !strings.Contains(log, nf.first+"\n"+strings.TrimSpace(note1)) || !strings.Contains(log, nf.second+"\ncluster: SPG-02") {
		t.Errorf("git log --notes=manifold:\n%s", log)
	}
	// Two writes, two commits, each the child of the previous one.
	if got := gitserver.Git(t, nf.clone, "rev-list", "--count", "refs/notes/manifold"); got != "2" {
		t.Errorf("notes history holds %s commits, want 2", got)
	}
	if got := gitserver.Git(t, nf.clone, "rev-list", "--max-parents=0", "refs/notes/manifold"); got != gitserver.Git(t, nf.clone, "rev-parse", "refs/notes/manifold~1") {
		t.Errorf("notes root %s is not the parent of the head", got)
	}

	// ReadNote reads a plain clone, by SHA or revision.
	for _, rev := range []string{nf.first, "HEAD~1"} {
		text, ok, err := ReadNote(context.Background(), nf.clone, rev)
		if err != nil || !ok || string(text) != note1 {
			t.Errorf("ReadNote(%s) = %q, %v, %v", rev, text, ok, err)
		}
	}
	if _, ok, err := ReadNote(context.Background(), nf.work, nf.first); ok || err != nil {
		t.Errorf("ReadNote without notes = %v, %v; want false, nil", ok, err)
	}
}

func TestPushNotesMergesConcurrentWriter(t *testing.T) {
	nf := newNotesFixture(t)
	addNote(t, nf.src, nf.first, "ours: first\n")
	pushNotes(t, nf.src)

	// Another writer adds a note on the other commit and pushes first.
	nf.cliNotes(t)
	gitserver.Git(t, nf.clone, "notes", "--ref=manifold", "add", "-m", "theirs: second", nf.second)
	gitserver.Git(t, nf.clone, "push", "--quiet", "origin", "refs/notes/manifold")
	cliHead := gitserver.Git(t, nf.clone, "rev-parse", "refs/notes/manifold")

	addNote(t, nf.src, nf.first, "ours: first, again\n")
	pushNotes(t, nf.src)

	bare := nf.bareDir
	if got := gitserver.Git(t, bare, "notes", "--ref=manifold", "show", nf.first); got != "ours: first, again" {
		t.Errorf("note on first = %q", got)
	}
	if got := gitserver.Git(t, bare, "notes", "--ref=manifold", "show", nf.second); got != "theirs: second" {
		t.Errorf("note on second = %q", got)
	}
	// Never forced: their head is in the history, and the head is a merge.
	gitserver.Git(t, bare, "merge-base", "--is-ancestor", cliHead, "refs/notes/manifold")
	if parents := strings.Fields(gitserver.Git(t, bare, "rev-list", "--parents", "-n1", "refs/notes/manifold")); len(parents) != 3 {
		t.Errorf("notes head %v is not a merge of two heads", parents)
	}
	if st := nf.src.Stats(); st.NotePushes != 3 || st.NoteFetches != 1 {
		t.Errorf("Stats = %+v, want 3 pushes (one refused) and 1 fetch", st)
	}
}

func TestSameCommitNotedByBoth(t *testing.T) {
	nf := newNotesFixture(t)
	// Both writers start without notes: their histories are unrelated.
	gitserver.Git(t, nf.clone, "notes", "--ref=manifold", "add", "-m", "theirs", nf.second)
	gitserver.Git(t, nf.clone, "push", "--quiet", "origin", "refs/notes/manifold")
	addNote(t, nf.src, nf.second, "ours\n")
	addNote(t, nf.src, nf.first, "only ours\n")
	pushNotes(t, nf.src)

	want := "theirs\n---\nours\n"
	if got := gitserver.Git(t, nf.bareDir, "notes", "--ref=manifold", "show", nf.second); got+"\n" != want {
		t.Errorf("merged note = %q, want %q", got, want)
	}
	wantNote(t, nf.src, nf.second, want)
	wantNote(t, nf.src, nf.first, "only ours\n")
}

func TestFetchNotes(t *testing.T) {
	nf := newNotesFixture(t)
	if err := nf.src.FetchNotes(context.Background()); err != nil {
		t.Fatalf("FetchNotes without remote notes: %v", err)
	}
	gitserver.Git(t, nf.clone, "notes", "--ref=manifold", "add", "-m", "from the CLI", nf.first)
	gitserver.Git(t, nf.clone, "push", "--quiet", "origin", "refs/notes/manifold")
	if _, ok, _ := nf.src.Note(context.Background(), nf.first); ok {
		t.Error("Note sees a remote note before FetchNotes")
	}
	if err := nf.src.FetchNotes(context.Background()); err != nil {
		t.Fatal(err)
	}
	wantNote(t, nf.src, nf.first, "from the CLI\n")
}

func TestPushNotesDuringOutage(t *testing.T) {
	nf := newNotesFixture(t)
	addNote(t, nf.src, nf.first, "written while down\n")
	nf.srv.Stop()
	if err := nf.src.PushNotes(context.Background()); err == nil || !strings.Contains(err.Error(), nf.url) {
		t.Fatalf("PushNotes while down = %v, want an error naming %s", err, nf.url)
	}
	wantNote(t, nf.src, nf.first, "written while down\n")
	if err := nf.srv.Start(); err != nil {
		t.Fatal(err)
	}
	pushNotes(t, nf.src)
	if got := gitserver.Git(t, nf.bareDir, "notes", "--ref=manifold", "show", nf.first); got != "written while down" {
		t.Errorf("note = %q", got)
	}
}

func TestNotesFanoutAndLocalSource(t *testing.T) {
	work := t.TempDir()
	gitserver.Git(t, work, "init", "--quiet", "--initial-branch=main")
	first := gitserver.Commit(t, work, "first", map[string]string{"a.yaml": "a: 1\n"})
	second := gitserver.Commit(t, work, "second", map[string]string{"a.yaml": "a: 2\n"})

	// A notes tree in git's fanout layout: ab/cdef….
	blob := gitCmdInput(t, work, "fanned out\n", "hash-object", "-w", "--stdin")
	sub := gitCmdInput(t, work, "100644 blob "+blob+"\t"+first[2:]+"\n", "mktree")
	root := gitCmdInput(t, work, "040000 tree "+sub+"\t"+first[:2]+"\n", "mktree")
	notes := gitserver.Git(t, work, "commit-tree", "-m", "fanout", root)
	gitserver.Git(t, work, "update-ref", "refs/notes/manifold", notes)
	if got := gitserver.Git(t, work, "notes", "--ref=manifold", "show", first); got != "fanned out" {
		t.Fatalf("git reads the fanout note as %q", got)
	}

	text, ok, err := ReadNote(context.Background(), work, first)
	if err != nil || !ok || string(text) != "fanned out\n" {
		t.Errorf("ReadNote(fanout) = %q, %v, %v", text, ok, err)
	}
	s := openSource(t, SourceOptions{URL: work})
	addNote(t, s, second, "flat\n")
	pushNotes(t, s) // nothing to do for a local repository
	for commit, want := range map[string]string{first: "fanned out", second: "flat"} {
		if got := gitserver.Git(t, work, "notes", "--ref=manifold", "show", commit); got != want {
			t.Errorf("git notes show %.7s = %q, want %q", commit, got, want)
		}
	}
	if parent := gitserver.Git(t, work, "rev-parse", "refs/notes/manifold^"); parent != notes {
		t.Errorf("notes parent = %s, want %s", parent, notes)
	}
}

func gitCmdInput(t *testing.T, dir, input string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = gitserver.Env()
	cmd.Stdin = strings.NewReader(input)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git %v: %v", args, err)
	}
	return strings.TrimSpace(string(out))
}

// Two daemons writing notes at once: every push lands (retrying after a
// refusal), and no writer's notes are lost.
func TestConcurrentSourcesKeepEveryNote(t *testing.T) {
	nf := newNotesFixture(t)
	writers := []*Source{nf.src, openSource(t, SourceOptions{URL: nf.url, StateDir: t.TempDir()})}
	owned := make([][]string, len(writers)) // the commits each writer notes
	for i := range 6 {
		c := nf.push(t, fmt.Sprintf("commit %d", i), map[string]string{"n.yaml": fmt.Sprintf("n: %d\n", i)})
		owned[i%2] = append(owned[i%2], c)
	}
	errs := make([]error, len(writers))
	var wg sync.WaitGroup
	for i, s := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for round := range 2 {
				for _, c := range owned[i] {
					text := fmt.Sprintf("writer %d round %d\n", i, round)
					if err := s.WriteNote(context.Background(), c, []byte(text)); err != nil {
						errs[i] = err
						return
					}
					if err := s.PushNotes(context.Background()); err != nil {
						errs[i] = err
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("writer %d: %v", i, err)
		}
	}
	for i, commits := range owned {
		for _, c := range commits {
			want := fmt.Sprintf("writer %d round 1", i)
			if got := gitserver.Git(t, nf.bareDir, "notes", "--ref=manifold", "show", c); got != want {
				t.Errorf("note on %.7s = %q, want %q", c, got, want)
			}
		}
	}
}
