package gitsource

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/manifold-gitops/manifold/e2e/gitserver"
)

// fixture is a repository on a smart-HTTP server and a working clone of it.
type fixture struct {
	srv  *gitserver.Server
	url  string
	work string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	srv := gitserver.Start(t)
	url, work := srv.NewRepo(t, "config")
	return &fixture{srv: srv, url: url, work: work}
}

func (f *fixture) push(t *testing.T, msg string, files map[string]string) string {
	t.Helper()
	return gitserver.CommitAndPush(t, f.work, msg, files)
}

func openSource(t *testing.T, o SourceOptions) *Source {
	t.Helper()
	s, err := OpenSource(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// poll polls and checks the revision and changed flag.
func poll(t *testing.T, s *Source, wantRev string, wantChanged bool) *Snapshot {
	t.Helper()
	snap, changed, err := s.Poll(context.Background())
	if err != nil {
		t.Fatalf("Poll: %v", err)
	}
	if snap.Revision != wantRev || changed != wantChanged {
		t.Fatalf("Poll = %s, changed %v; want %s, changed %v", snap.Revision, changed, wantRev, wantChanged)
	}
	return snap
}

func TestPollNoChangeIsOneRoundTrip(t *testing.T) {
	f := newFixture(t)
	first := f.push(t, "first", map[string]string{"apps/a.yaml": "a: 1\n"})
	s := openSource(t, SourceOptions{URL: f.url, StateDir: t.TempDir()})
	if n := f.srv.Requests(); n != 0 {
		t.Fatalf("OpenSource made %d requests, want 0", n)
	}
	snap := poll(t, s, first, true)
	if got, _ := snap.ReadFile("apps/a.yaml"); string(got) != "a: 1\n" {
		t.Errorf("apps/a.yaml = %q", got)
	}

	f.srv.ResetCounters()
	before := s.Stats()
	again := poll(t, s, first, false)
	if again != snap {
		t.Error("a no-change poll returned a new snapshot, want the cached one")
	}
	if diff := cmp.Diff(map[string]int{"/config.git/info/refs": 1}, f.srv.RequestsByPath()); diff != "" {
		t.Errorf("no-change poll requests (-want +got):\n%s", diff)
	}
	after := s.Stats()
	if after.RefListings != before.RefListings+1 || after.Fetches != before.Fetches || after.TreeReads != before.TreeReads {
		t.Errorf("no-change poll stats %+v → %+v, want one more ref listing only", before, after)
	}

	second := f.push(t, "second", map[string]string{"apps/b.yaml": "b: 2\n"})
	snap = poll(t, s, second, true)
	if diff := cmp.Diff([]string{"apps/a.yaml", "apps/b.yaml"}, snap.Paths()); diff != "" {
		t.Errorf("Paths (-want +got):\n%s", diff)
	}
	if snap.Message != "second\n" {
		t.Errorf("Message = %q", snap.Message)
	}
	if st := s.Stats(); st.Fetches != before.Fetches+1 {
		t.Errorf("Fetches = %d, want %d", st.Fetches, before.Fetches+1)
	}
}

func TestRestartReusesStateRepository(t *testing.T) {
	f := newFixture(t)
	first := f.push(t, "first", map[string]string{"a.yaml": "a: 1\n"})
	state := t.TempDir()
	poll(t, openSource(t, SourceOptions{URL: f.url, StateDir: state}), first, true)
	dirs, err := os.ReadDir(state)
	if err != nil || len(dirs) != 1 {
		t.Fatalf("state folder holds %v (%v), want one repository", dirs, err)
	}
	objects := filepath.Join(state, dirs[0].Name(), "objects")
	packs, _ := filepath.Glob(filepath.Join(objects, "pack", "*.pack"))

	f.srv.ResetCounters()
	s := openSource(t, SourceOptions{URL: f.url, StateDir: state})
	if last := s.Last(); last == nil || last.Revision != first {
		t.Fatalf("Last after restart = %v, want %s", last, first)
	}
	poll(t, s, first, true) // the first poll of a Source reports a change
	if n := f.srv.Requests(); n != 1 {
		t.Errorf("restart and first poll made %d requests (%v), want 1", n, f.srv.RequestsByPath())
	}
	if st := s.Stats(); st.Fetches != 0 {
		t.Errorf("restart fetched %d times, want 0", st.Fetches)
	}
	packsAfter, _ := filepath.Glob(filepath.Join(objects, "pack", "*.pack"))
	if diff := cmp.Diff(packs, packsAfter); diff != "" {
		t.Errorf("object store changed on restart (-before +after):\n%s", diff)
	}

	second := f.push(t, "second", map[string]string{"b.yaml": "b: 2\n"})
	poll(t, s, second, true)
	if st := s.Stats(); st.Fetches != 1 {
		t.Errorf("Fetches = %d, want 1 (incremental)", st.Fetches)
	}
}

func TestPollDuringOutageKeepsLast(t *testing.T) {
	f := newFixture(t)
	first := f.push(t, "first", map[string]string{"a.yaml": "a: 1\n"})
	s := openSource(t, SourceOptions{URL: f.url, StateDir: t.TempDir()})
	good := poll(t, s, first, true)

	f.srv.Stop()
	second := f.push(t, "second", map[string]string{"a.yaml": "a: 2\n"})
	snap, changed, err := s.Poll(context.Background())
	if err == nil || snap != nil || changed {
		t.Fatalf("Poll during outage = %v, %v, %v; want an error", snap, changed, err)
	}
	if !strings.Contains(err.Error(), f.url) {
		t.Errorf("error %q does not name %s", err, f.url)
	}
	if s.Last() != good {
		t.Errorf("Last during outage = %v, want the previous snapshot", s.Last())
	}

	if err := f.srv.Start(); err != nil {
		t.Fatal(err)
	}
	poll(t, s, second, true)
}

func TestPollRefusesRewrittenHistory(t *testing.T) {
	for _, allow := range []bool{false, true} {
		t.Run(fmt.Sprintf("allow=%v", allow), func(t *testing.T) {
			f := newFixture(t)
			first := f.push(t, "first", map[string]string{"a.yaml": "a: 1\n"})
			second := f.push(t, "second", map[string]string{"a.yaml": "a: 2\n"})
			s := openSource(t, SourceOptions{URL: f.url, StateDir: t.TempDir(), AllowNonFastForward: allow})
			poll(t, s, second, true)

			gitserver.Git(t, f.work, "reset", "--quiet", "--hard", first)
			rewritten := gitserver.Commit(t, f.work, "rewritten", map[string]string{"a.yaml": "a: 3\n"})
			gitserver.Git(t, f.work, "push", "--quiet", "--force", "origin", gitserver.Branch)

			if allow {
				poll(t, s, rewritten, true)
				return
			}
			for range 2 { // refused again on the next poll, without a second fetch
				_, _, err := s.Poll(context.Background())
				var nff *NonFastForwardError
				if !errors.As(err, &nff) {
					t.Fatalf("Poll after force push: %v, want a NonFastForwardError", err)
				}
				if !strings.Contains(err.Error(), second) || !strings.Contains(err.Error(), rewritten) {
					t.Errorf("error %q does not name both commits", err)
				}
			}
			if st := s.Stats(); st.Fetches != 2 {
				t.Errorf("Fetches = %d, want 2", st.Fetches)
			}
			if s.Last().Revision != second {
				t.Errorf("Last = %s, want %s", s.Last().Revision, second)
			}
			// The refusal survives a restart.
			s2 := openSource(t, SourceOptions{URL: f.url, StateDir: s.opts.StateDir})
			if _, _, err := s2.Poll(context.Background()); err == nil {
				t.Error("Poll after restart accepted rewritten history")
			}
		})
	}
}

func TestPollMissingBranch(t *testing.T) {
	f := newFixture(t)
	f.push(t, "first", map[string]string{"a.yaml": "a: 1\n"})
	s := openSource(t, SourceOptions{URL: f.url, Branch: "release", StateDir: t.TempDir()})
	_, _, err := s.Poll(context.Background())
	if err == nil || !strings.Contains(err.Error(), "branch release not found in "+f.url) {
		t.Errorf("Poll = %v, want branch release not found", err)
	}
}

func TestLocalSource(t *testing.T) {
	work := t.TempDir()
	gitserver.Git(t, work, "init", "--quiet", "--initial-branch=main")
	first := gitserver.Commit(t, work, "first", map[string]string{"a.yaml": "a: 1\n"})
	for _, url := range []string{work, "file://" + work} {
		s := openSource(t, SourceOptions{URL: url})
		poll(t, s, first, true)
		poll(t, s, first, false)
	}
	s := openSource(t, SourceOptions{URL: work})
	poll(t, s, first, true)
	second := gitserver.Commit(t, work, "second", map[string]string{"a.yaml": "a: 2\n"})
	gitserver.Git(t, work, "gc", "--quiet")
	snap := poll(t, s, second, true)
	if got, _ := snap.ReadFile("a.yaml"); string(got) != "a: 2\n" {
		t.Errorf("a.yaml = %q", got)
	}
	if _, err := OpenSource(context.Background(), SourceOptions{URL: filepath.Join(work, "sub")}); err == nil {
		t.Error("OpenSource of a missing folder succeeded")
	}
}
