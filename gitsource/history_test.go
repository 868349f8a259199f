package gitsource

import (
	"context"
	"strings"
	"testing"
)

// TestSnapshotReadsAnEarlierRevisionOffline: after the branch moved on, an
// earlier revision is read from the state repository, with no request to
// the server, also from a Source reopened after a restart.
func TestSnapshotReadsAnEarlierRevisionOffline(t *testing.T) {
	f := newFixture(t)
	first := f.push(t, "first", map[string]string{"apps/a.yaml": "a: 1\n"})
	state := t.TempDir()
	s := openSource(t, SourceOptions{URL: f.url, StateDir: state})
	poll(t, s, first, true)
	second := f.push(t, "second", map[string]string{"apps/a.yaml": "a: 2\n"})
	poll(t, s, second, true)

	f.srv.ResetCounters()
	f.srv.Stop()
	for _, src := range []*Source{s, openSource(t, SourceOptions{URL: f.url, StateDir: state})} {
		snap, err := src.Snapshot(context.Background(), first)
		if err != nil {
			t.Fatalf("Snapshot(first): %v", err)
		}
		if got, _ := snap.ReadFile("apps/a.yaml"); string(got) != "a: 1\n" || snap.Revision != first || snap.Message != "first\n" {
			t.Errorf("Snapshot(first) = %s %q, apps/a.yaml %q", snap.Revision, snap.Message, got)
		}
		if snap, err := src.Snapshot(context.Background(), second); err != nil || snap.Revision != second {
			t.Errorf("Snapshot(second) = %v, %v", snap, err)
		}
	}
	if n := f.srv.Requests(); n != 0 {
		t.Errorf("%d requests to the server, want 0", n)
	}
}

func TestSnapshotRefusesWhatIsNotACommitSHA(t *testing.T) {
	f := newFixture(t)
	f.push(t, "first", map[string]string{"a.yaml": "a: 1\n"})
	s := openSource(t, SourceOptions{URL: f.url, StateDir: t.TempDir()})
	for _, rev := range []string{"", "main", "HEAD~1", strings.Repeat("0", 40)} {
		if _, err := s.Snapshot(context.Background(), rev); err == nil {
			t.Errorf("Snapshot(%q) succeeded, want an error", rev)
		}
	}
}
