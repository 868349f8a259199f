package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/manifold-gitops/manifold/e2e/harness"
)

// apiserverRequests scrapes a cluster's /metrics and returns
// apiserver_request_total summed by resource, watches left out: the API
// server counts a watch only when it ends.
func apiserverRequests(ctx context.Context, c *harness.Cluster) (map[string]float64, error) {
	body, err := c.Clientset().CoreV1().RESTClient().Get().AbsPath("/metrics").DoRaw(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s: scraping /metrics: %w", c.Name(), err)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "apiserver_request_total{") {
			continue
		}
		end := strings.LastIndexByte(line, '}')
		labels, value := line[len("apiserver_request_total{"):end], strings.TrimSpace(line[end+1:])
		v, err := strconv.ParseFloat(value, 64)
		if err != nil {
			continue
		}
		l := parseLabels(labels)
		if l["verb"] == "WATCH" || l["resource"] == "" {
			continue
		}
		out[l["resource"]] += v
	}
	return out, sc.Err()
}

var labelPair = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"`)

func parseLabels(s string) map[string]string {
	out := map[string]string{}
	for _, m := range labelPair.FindAllStringSubmatch(s, -1) {
		out[m[1]] = m[2]
	}
	return out
}

// scrapeAll sums apiserverRequests over clusters.
func scrapeAll(b *testing.B, clusters []*harness.Cluster) map[string]float64 {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sum := map[string]float64{}
	for _, c := range clusters {
		m, err := apiserverRequests(ctx, c)
		if err != nil {
			b.Fatal(err)
		}
		for r, v := range m {
			sum[r] += v
		}
	}
	return sum
}

// confirmed sums the API servers' count of the requests on the resources
// manifold's counter saw, between two scrapes.
func confirmed(before, after map[string]float64, counted map[string]int) float64 {
	total := 0.0
	for r := range counted {
		total += after[r] - before[r]
	}
	return total
}

// clockTicks is USER_HZ, the unit of utime and stime in /proc/<pid>/stat: 100
// on every Linux architecture Go supports.
const clockTicks = 100

// harnessCPU returns the CPU seconds (user + system) used so far by the
// harness' processes, by binary name (kube-apiserver, etcd, ...): every
// process whose command line mentions the Env's work dir.
func harnessCPU(env *harness.Env) map[string]float64 {
	out := map[string]float64{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || !bytes.Contains(cmdline, []byte(env.WorkDir())) {
			continue
		}
		argv0, _, _ := bytes.Cut(cmdline, []byte{0})
		if cpu, ok := processCPU(pid); ok {
			out[filepath.Base(string(argv0))] += cpu
		}
	}
	return out
}

// processCPU reads utime + stime of a process in seconds.
func processCPU(pid int) (float64, bool) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	// Fields after the command name, which is in parentheses and may hold spaces.
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(data[i+1:]))
	if len(f) < 13 {
		return 0, false
	}
	utime, err1 := strconv.ParseFloat(f[11], 64) // field 14 of stat(5)
	stime, err2 := strconv.ParseFloat(f[12], 64) // field 15
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return (utime + stime) / clockTicks, true
}

// selfCPU is the CPU seconds (user + system) this process used so far.
func selfCPU() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// memory is this process' memory after a full collection.
type memory struct {
	Heap uint64 // live heap bytes
	RSS  uint64 // resident set size
}

// measureMemory collects garbage, returns freed memory to the OS and reads
// the live heap and VmRSS.
func measureMemory() memory {
	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return memory{Heap: ms.HeapAlloc, RSS: vmRSS()}
}

func vmRSS() uint64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// load1 is the one-minute load average: how busy the machine was.
func load1() float64 {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(data))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}
