package rollout

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestStoreRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state") // created by Save
	s := NewStore(filepath.Join(dir, "rollouts.json"), "https://git.example/config.git")
	got, err := s.Load()
	if err != nil || len(got) != 0 {
		t.Fatalf("Load of a missing file = %v, %v; want nothing", got, err)
	}
	states := map[string]State{
		"web": {Stable: "r1", Target: "r2", TargetHashes: v2, Wave: 1, WaveStarted: at(time.Minute), HealthySince: at(2 * time.Minute).In(time.Local), Phase: Soaking, Message: "soaking"},
		"api": {Stable: "r1", Target: "r1", Phase: Completed},
	}
	if err := s.Save(states); err != nil {
		t.Fatal(err)
	}
	got, err = NewStore(s.Path(), "https://git.example/config.git").Load()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(states, got, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
		t.Errorf("Load after Save (-want +got):\n%s", diff)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("state folder holds %d files, want only rollouts.json (no temporary file left)", len(entries))
	}

	other, err := NewStore(s.Path(), "https://git.example/other.git").Load()
	if err != nil || len(other) != 0 {
		t.Errorf("Load for another repository = %v, %v; want nothing", other, err)
	}
}

// TestStoreMalformedFileIsAnError: a damaged file must not read as "no
// rollouts", which would deliver a halted revision everywhere.
func TestStoreMalformedFileIsAnError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rollouts.json")
	if err := os.WriteFile(path, []byte(`{"repository": "x", "subscriptions": {`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := NewStore(path, "x").Load(); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("Load of a malformed file: %v, want an error naming the file", err)
	}
}
