package gitsource

import (
	"context"
	"testing"

	"github.com/manifold-gitops/manifold/e2e/gitserver"
)

// BenchmarkPollNoChange measures a poll that finds the branch where it was:
// one ref advertisement over smart HTTP, no fetch, no tree read.
func BenchmarkPollNoChange(b *testing.B) {
	srv := gitserver.Start(b)
	url, work := srv.NewRepo(b, "config")
	gitserver.CommitAndPush(b, work, "first", map[string]string{"a.yaml": "a: 1\n"})
	s, err := OpenSource(context.Background(), SourceOptions{URL: url, StateDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	if _, _, err := s.Poll(context.Background()); err != nil {
		b.Fatal(err)
	}
	srv.ResetCounters()
	before := s.Stats()
	for b.Loop() {
		if _, changed, err := s.Poll(context.Background()); err != nil || changed {
			b.Fatalf("Poll = changed %v, %v", changed, err)
		}
	}
	after := s.Stats()
	b.ReportMetric(float64(srv.Requests())/float64(b.N), "requests/op")
	b.ReportMetric(float64(after.Fetches-before.Fetches)/float64(b.N), "fetches/op")
	b.ReportMetric(float64(after.TreeReads-before.TreeReads)/float64(b.N), "treereads/op")
}
