package bench

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/manifold-gitops/manifold/e2e/gitserver"
	"github.com/manifold-gitops/manifold/gitsource"
)

const (
	historyCommits = 5000
	historyFiles   = 50 // files in the tree; each commit changes one
	historyPolls   = 50
	historyFetches = 20
)

// BenchmarkGitHistory measures a Source on a repository with 5,000 commits
// served over smart HTTP: the first fetch into an empty state directory, a
// poll that finds nothing new, and a poll that fetches one new commit.
// Round trips are the Git server's request count. It does a fixed amount of
// work whatever b.N is; run it with -benchtime=1x.
func BenchmarkGitHistory(b *testing.B) {
	b.ReportMetric(load1(), "load1")
	srv := gitserver.Start(b)
	url, _ := srv.NewRepo(b, "history")
	bare := srv.Dir("history")
	importCommits(b, bare, 0, historyCommits)
	ctx := context.Background()
	src, err := gitsource.OpenSource(ctx, gitsource.SourceOptions{URL: url, StateDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}

	srv.ResetCounters()
	start := time.Now()
	if _, changed, err := src.Poll(ctx); err != nil || !changed {
		b.Fatalf("first poll: changed %v, %v", changed, err)
	}
	b.ReportMetric(float64(time.Since(start).Microseconds())/1000, "ms-first-fetch")
	b.ReportMetric(float64(srv.Requests()), "requests-first-fetch")

	srv.ResetCounters()
	before := src.Stats()
	start = time.Now()
	for range historyPolls {
		if _, changed, err := src.Poll(ctx); err != nil || changed {
			b.Fatalf("no-change poll: changed %v, %v", changed, err)
		}
	}
	after := src.Stats()
	b.ReportMetric(float64(time.Since(start).Microseconds())/1000/historyPolls, "ms/poll")
	b.ReportMetric(float64(srv.Requests())/historyPolls, "requests/poll")
	b.ReportMetric(float64(after.Fetches-before.Fetches)/historyPolls, "fetches/poll")

	var took time.Duration
	srv.ResetCounters()
	for i := range historyFetches {
		importCommits(b, bare, historyCommits+i, 1)
		start := time.Now()
		if _, changed, err := src.Poll(ctx); err != nil || !changed {
			b.Fatalf("poll after a commit: changed %v, %v", changed, err)
		}
		took += time.Since(start)
	}
	b.ReportMetric(float64(took.Microseconds())/1000/historyFetches, "ms/fetch")
	b.ReportMetric(float64(srv.Requests())/historyFetches, "requests/fetch")
}

// importCommits appends n commits to branch main of the bare repository with
// `git fast-import`, numbered from first: commit k rewrites one of
// historyFiles small YAML files.
func importCommits(b *testing.B, bare string, first, n int) {
	b.Helper()
	var stream strings.Builder
	for k := first; k < first+n; k++ {
		content := fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: file-%02d, namespace: history}\ndata: {commit: \"%d\"}\n", k%historyFiles, k)
		msg := fmt.Sprintf("commit %d\n", k)
		fmt.Fprintf(&stream, "commit refs/heads/%s\ncommitter bench <bench@manifold.invalid> %d +0000\ndata %d\n%s",
			gitserver.Branch, 1_700_000_000+k, len(msg), msg)
		if k == first && k > 0 {
			fmt.Fprintf(&stream, "from refs/heads/%s^0\n", gitserver.Branch)
		}
		fmt.Fprintf(&stream, "M 100644 inline app/file-%02d.yaml\ndata %d\n%s\n", k%historyFiles, len(content), content)
	}
	cmd := exec.Command("git", "fast-import", "--quiet")
	cmd.Dir = bare
	cmd.Env = gitserver.Env()
	cmd.Stdin = strings.NewReader(stream.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("git fast-import: %v\n%s", err, out)
	}
}
