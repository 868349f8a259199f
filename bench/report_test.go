package bench

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParse(t *testing.T) {
	out := `goos: linux
pkg: github.com/manifold-gitops/manifold/render
BenchmarkRenderQCBM-2   	    1503	    790583 ns/op	         0.8786 ms/resource	  412893 B/op	    5123 allocs/op
BenchmarkOverrides1000Clusters-2   	      12	 101234567 ns/op	       101.2 µs/cluster
BenchmarkBroken-2  notanumber  1 ns/op
--- BENCH: BenchmarkFleet-2
    env.go:189: etcd ready
PASS
`
	got, err := Parse(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	want := Results{
		"BenchmarkRenderQCBM":            {"ns/op": 790583, "ms/resource": 0.8786, "B/op": 412893, "allocs/op": 5123},
		"BenchmarkOverrides1000Clusters": {"ns/op": 101234567, "µs/cluster": 101.2},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Parse (-want +got):\n%s", diff)
	}
}

func TestRowStatus(t *testing.T) {
	tests := []struct {
		name string
		row  Row
		res  Results
		want string
	}{
		{"at most, met", Row{Benchmark: "B", Unit: "u", Target: Target{Cmp: AtMost, Value: 1}}, Results{"B": {"u": 1}}, "met"},
		{"at most, missed", Row{Benchmark: "B", Unit: "u", Target: Target{Cmp: AtMost, Value: 1}}, Results{"B": {"u": 1.5}}, "missed"},
		{"at least, met", Row{Benchmark: "B", Unit: "u", Target: Target{Cmp: AtLeast, Value: 300}}, Results{"B": {"u": 301}}, "met"},
		{"at least, missed", Row{Benchmark: "B", Unit: "u", Target: Target{Cmp: AtLeast, Value: 300}}, Results{"B": {"u": 299}}, "missed"},
		{"scaled before comparing", Row{Benchmark: "B", Unit: "u", Scale: kib, Target: Target{Cmp: AtMost, Value: 2}}, Results{"B": {"u": 2048}}, "met"},
		{"reference", Row{Benchmark: "B", Unit: "u"}, Results{"B": {"u": 7}}, "reference"},
		{"not measured", Row{Benchmark: "B", Unit: "u", Target: Target{Cmp: AtMost}}, Results{"B": {"other": 0}}, "not measured"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.row.Status(tt.res); got != tt.want {
				t.Errorf("Status = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestReport(t *testing.T) {
	res := Results{
		fleet:   {"writes/cycle": 0, "rss-B/object": 3072, "load1": 1.5},
		webhook: {"ms-applied-p50": 87.4},
	}
	var b strings.Builder
	m := Machine{CPUs: 2, Memory: "23.5 GiB", CPU: "AMD EPYC", Go: "go1.26.8", Kernel: "6.1"}
	if err := Report(&b, res, m, Run{Date: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC), Commit: "abc1234"}); err != nil {
		t.Fatal(err)
	}
	doc := b.String()
	for _, want := range []string{
		"Measured 2026-05-01 12:00 UTC at commit abc1234",
		"- `nproc`: 2\n- memory: 23.5 GiB\n- CPU: AMD EPYC\n",
		"load average (1 min) when each benchmark started: Fleet 1.50\n",
		"| No-change cycle | write requests per cycle | 0 | 0 | met |",
		"| Webhook to applied | p50, new template on both clusters | 87 ms | ≤ 100 ms (peer: 400 ms) | met |",
		"| Memory | RSS per managed object | 3.00 KiB | ≤ 2 KiB | missed |",
		"| Git | no-change poll, 5,000 commits: round trips | – | 1 | not measured |",
		"## Method",
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("report lacks %q:\n%s", want, doc)
		}
	}
	if got := Missing(res); !cmp.Equal(got, []string{"BenchmarkRenderQCBM", "BenchmarkOverrides1000Clusters", history}) {
		t.Errorf("Missing = %v", got)
	}
}
