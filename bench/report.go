package bench

import (
	_ "embed"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Comparison says how a figure is held to its target.
type Comparison int

const (
	// Reference figures have no target: they are shown for comparison.
	Reference Comparison = iota
	// AtMost is met when the figure is at most the target.
	AtMost
	// AtLeast is met when the figure is at least the target.
	AtLeast
)

// Target is what a figure should be, in its displayed unit.
type Target struct {
	Cmp   Comparison
	Value float64
	// Text is how the target (or, for a Reference, the comparison) reads.
	Text string
}

// Row is one line of the table: a benchmark's metric, scaled and formatted
// for display, and its target.
type Row struct {
	Area, Figure    string
	Benchmark, Unit string
	Scale           float64 // display = metric × Scale; 0 means 1
	Format          string  // e.g. "%.0f ms"
	Target          Target
}

// Status is "met", "missed", "reference" or "not measured".
func (r Row) Status(res Results) string {
	v, ok := r.value(res)
	switch {
	case !ok:
		return "not measured"
	case r.Target.Cmp == AtMost && v <= r.Target.Value, r.Target.Cmp == AtLeast && v >= r.Target.Value:
		return "met"
	case r.Target.Cmp == Reference:
		return "reference"
	}
	return "missed"
}

func (r Row) value(res Results) (float64, bool) {
	v, ok := res[r.Benchmark][r.Unit]
	if r.Scale != 0 {
		v *= r.Scale
	}
	return v, ok
}

// Measured is the displayed figure, or "–".
func (r Row) Measured(res Results) string {
	v, ok := r.value(res)
	if !ok {
		return "–"
	}
	return fmt.Sprintf(r.Format, v)
}

const (
	fleet   = "BenchmarkFleet"
	webhook = "BenchmarkWebhookToApplied"
	history = "BenchmarkGitHistory"
	kib     = 1.0 / 1024
	mib     = 1.0 / (1024 * 1024)
)

// Rows are the figures of docs/benchmarks.md, by area of design §9.
var Rows = []Row{
	{"No-change cycle", "write requests per cycle", fleet, "writes/cycle", 0, "%.0f", Target{AtMost, 0, "0"}},
	{"No-change cycle", "renders per cycle", fleet, "renders/cycle", 0, "%.0f", Target{AtMost, 0, "0"}},
	{"No-change cycle", "note pushes per cycle", fleet, "notepushes/cycle", 0, "%.0f", Target{AtMost, 0, "0"}},
	{"No-change cycle", "Git round trips per cycle", fleet, "git-requests/cycle", 0, "%.2f", Target{AtMost, 1, "1"}},
	{"No-change cycle", "cluster requests of any kind per cycle", fleet, "cluster-requests/cycle", 0, "%.0f", Target{AtMost, 0, "0 (drift comes from watches)"}},

	{"Webhook to applied", "p50, new template on both clusters", webhook, "ms-applied-p50", 0, "%.0f ms", Target{AtMost, 100, "≤ 100 ms (peer: 400 ms)"}},
	{"Webhook to applied", "p99, new template on both clusters", webhook, "ms-applied-p99", 0, "%.0f ms", Target{Reference, 0, "peer: 400 ms (typical)"}},
	{"Webhook to applied", "p50, rolled out and Available on both", webhook, "ms-available-p50", 0, "%.0f ms", Target{Reference, 0, "peer: 560 ms"}},
	{"Webhook to applied", "p99, rolled out and Available on both", webhook, "ms-available-p99", 0, "%.0f ms", Target{Reference, 0, "peer: 560 ms (typical)"}},
	{"Webhook to applied", "p50, the daemon's own cycle (poll, fetch, render, sync; from its log)", webhook, "ms-cycle-p50", 0, "%.0f ms", Target{Reference, 0, ""}},
	{"Webhook to applied", "commits measured", webhook, "commits", 0, "%.0f", Target{AtLeast, 20, "≥ 20"}},

	{"Steady state", "requests per minute per cluster (manifold's counter)", fleet, "requests/min/cluster", 0, "%.2f", Target{Reference, 0, "peer: ≈ 62"}},
	{"Steady state", "writes per minute per cluster", fleet, "writes/min/cluster", 0, "%.2f", Target{AtMost, 0, "0 (peer: ≈ 12)"}},
	{"Steady state", "reads and re-lists per minute per cluster", fleet, "reads/min/cluster", 0, "%.2f", Target{AtMost, 0, "0"}},
	{"Steady state", "new watches per minute per cluster", fleet, "watches/min/cluster", 0, "%.2f", Target{Reference, 0, "client-go alone: 1 per kind per 5–10 min"}},
	{"Steady state", "API servers' count on the same resources, per minute per cluster", fleet, "apiserver-requests/min/cluster", 0, "%.2f", Target{Reference, 0, "includes the API server's own controllers"}},

	{"Cold convergence", "objects per second, 10 light clusters × 1,001 objects", fleet, "objects/s", 0, "%.0f /s", Target{AtLeast, 300, "≥ 300 /s"}},
	{"Cold convergence", "time to the first successful sync", fleet, "converge-s", 0, "%.1f s", Target{Reference, 0, ""}},
	{"Cold convergence", "CPU of manifold", fleet, "manifold-cpu-s", 0, "%.1f s", Target{Reference, 0, ""}},
	{"Cold convergence", "CPU of the 10 API servers", fleet, "apiserver-cpu-s", 0, "%.1f s", Target{Reference, 0, ""}},
	{"Cold convergence", "CPU of etcd (shared)", fleet, "etcd-cpu-s", 0, "%.1f s", Target{Reference, 0, ""}},
	{"Cold convergence", "requests per object (manifold's counter)", fleet, "requests/object", 0, "%.2f", Target{Reference, 0, ""}},
	{"Cold convergence", "write requests per object", fleet, "writes/object", 0, "%.2f", Target{Reference, 0, ""}},
	{"Cold convergence", "requests per object (API servers' count)", fleet, "apiserver-requests/object", 0, "%.2f", Target{Reference, 0, ""}},

	{"Render", "cold render of QCBM, per resource", "BenchmarkRenderQCBM", "ms/resource", 0, "%.2f ms", Target{AtMost, 1, "≤ 1 ms"}},
	{"Render", "per-cluster overrides for 1,000 clusters, base cached", "BenchmarkOverrides1000Clusters", "µs/cluster", 0, "%.0f ms", Target{AtMost, 500, "well under 1 s (≤ 500 ms)"}},

	{"Memory", "RSS per managed object", fleet, "rss-B/object", kib, "%.2f KiB", Target{AtMost, 2, "≤ 2 KiB"}},
	{"Memory", "live heap per managed object", fleet, "heap-B/object", kib, "%.2f KiB", Target{Reference, 0, ""}},
	{"Memory", "RSS per cluster", fleet, "rss-B/cluster", mib, "%.2f MiB", Target{AtMost, 5, "≤ 5 MiB"}},
	{"Memory", "live heap per cluster", fleet, "heap-B/cluster", mib, "%.2f MiB", Target{Reference, 0, ""}},
	{"Memory", "RSS in all at 10 × 1,000, over the baseline", fleet, "rss-B", mib, "%.0f MiB", Target{Reference, 0, ""}},

	{"Git", "no-change poll, 5,000 commits: round trips", history, "requests/poll", 0, "%.0f", Target{AtMost, 1, "1"}},
	{"Git", "no-change poll: time", history, "ms/poll", 0, "%.1f ms", Target{Reference, 0, ""}},
	{"Git", "no-change poll: fetches", history, "fetches/poll", 0, "%.0f", Target{AtMost, 0, "0"}},
	{"Git", "one-commit fetch: round trips (ref check + fetch)", history, "requests/fetch", 0, "%.0f", Target{Reference, 0, ""}},
	{"Git", "one-commit fetch: time (fetch and tree read)", history, "ms/fetch", 0, "%.1f ms", Target{Reference, 0, ""}},
	{"Git", "first fetch of all 5,000 commits", history, "ms-first-fetch", 0, "%.0f ms", Target{Reference, 0, "once per state directory, never again"}},
}

// Machine describes where the benchmarks ran.
type Machine struct {
	CPUs   int
	Memory string // MemTotal, e.g. "23.5 GiB"
	CPU    string // model name
	Go     string
	Kernel string
}

// ThisMachine reads the machine's description from /proc.
func ThisMachine() Machine {
	m := Machine{CPUs: runtime.NumCPU(), Go: runtime.Version(), CPU: "unknown", Memory: "unknown", Kernel: "unknown"}
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(data), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if data, err := os.ReadFile("/proc/meminfo"); err == nil {
		for line := range strings.SplitSeq(string(data), "\n") {
			if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
				m.Memory = fmt.Sprintf("%.1f GiB", kb/1024/1024)
			}
		}
	}
	if data, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(data))
	}
	return m
}

//go:embed method.md
var method string

// Run says when and from which commit the figures were measured.
type Run struct {
	Date   time.Time
	Commit string
}

// Report writes docs/benchmarks.md: the machine, the table and the method.
func Report(w io.Writer, res Results, m Machine, run Run) error {
	var b strings.Builder
	b.WriteString("# Benchmarks\n\n")
	b.WriteString("Written by `make bench` (bench/report); do not edit by hand. Design §9 sets the targets;\n")
	b.WriteString("a missed target is reported, never a failure.\n\n")
	fmt.Fprintf(&b, "Measured %s at commit %s on:\n\n", run.Date.UTC().Format("2006-01-02 15:04 MST"), run.Commit)
	fmt.Fprintf(&b, "- `nproc`: %d\n- memory: %s\n- CPU: %s\n- %s, Linux %s\n", m.CPUs, m.Memory, m.CPU, m.Go, m.Kernel)
	var loads []string
	for _, name := range []string{fleet, webhook, history} {
		if v, ok := res[name]["load1"]; ok {
			loads = append(loads, fmt.Sprintf("%s %.2f", strings.TrimPrefix(name, "Benchmark"), v))
		}
	}
	if len(loads) > 0 {
		fmt.Fprintf(&b, "- load average (1 min) when each benchmark started: %s\n", strings.Join(loads, ", "))
	}
	b.WriteString("\n| area | figure | measured | target | status |\n|---|---|---|---|---|\n")
	for _, r := range Rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", r.Area, r.Figure, r.Measured(res), r.Target.Text, r.Status(res))
	}
	b.WriteString("\n")
	b.WriteString(method)
	_, err := io.WriteString(w, b.String())
	return err
}

// Missing lists the benchmarks the rows need that res lacks.
func Missing(res Results) []string {
	var out []string
	seen := map[string]bool{}
	for _, r := range Rows {
		if _, ok := res[r.Benchmark]; !ok && !seen[r.Benchmark] {
			seen[r.Benchmark] = true
			out = append(out, r.Benchmark)
		}
	}
	return out
}
