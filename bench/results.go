package bench

import (
	"bufio"
	"io"
	"strconv"
	"strings"
)

// Results are the metrics of `go test -bench` output: benchmark name
// (without the -GOMAXPROCS suffix) → unit → value.
type Results map[string]map[string]float64

// Parse reads `go test -bench` output, ignoring every line that is not a
// benchmark result. A benchmark seen twice keeps its last values.
func Parse(r io.Reader) (Results, error) {
	res := Results{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		name, metrics, ok := parseLine(sc.Text())
		if ok {
			res[name] = metrics
		}
	}
	return res, sc.Err()
}

// parseLine parses "BenchmarkX-2  1  123 ns/op  4.5 unit ...".
func parseLine(line string) (string, map[string]float64, bool) {
	f := strings.Fields(line)
	if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") || len(f)%2 != 0 {
		return "", nil, false
	}
	if _, err := strconv.Atoi(f[1]); err != nil {
		return "", nil, false
	}
	name := f[0]
	if i := strings.LastIndexByte(name, '-'); i > 0 {
		if _, err := strconv.Atoi(name[i+1:]); err == nil {
			name = name[:i]
		}
	}
	metrics := map[string]float64{}
	for i := 2; i+1 < len(f); i += 2 {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			return "", nil, false
		}
		metrics[f[i+1]] = v
	}
	return name, metrics, true
}

// Merge adds the results of other, which win on conflicts.
func (r Results) Merge(other Results) {
	for name, m := range other {
		r[name] = m
	}
}
