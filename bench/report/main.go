// Command report runs manifold's benchmarks and writes their table to
// docs/benchmarks.md: the render and Git micro-benchmarks, then the suite of
// package bench against harness clusters (`make bench` runs it). With -from
// it only rewrites the table from saved `go test -bench` output.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/manifold-gitops/manifold/bench"
)

func main() {
	out := flag.String("o", "docs/benchmarks.md", "file the table is written to")
	goCmd := flag.String("go", "go", "the go command")
	from := flag.Bool("from", false, "read `go test -bench` output from the files named as arguments instead of running the benchmarks")
	flag.Parse()
	if err := run(*out, *goCmd, *from, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "report:", err)
		os.Exit(1)
	}
}

// runs are the benchmark commands, in order.
var runs = [][]string{
	{"test", "-run", "^$", "-bench", ".", "-benchmem", "./render/...", "./gitsource/..."},
	{"test", "-run", "^$", "-v", "-bench", ".", "-benchtime", "1x", "-timeout", "30m", "./bench"},
}

func run(out, goCmd string, from bool, files []string) error {
	res := bench.Results{}
	if from {
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				return err
			}
			if err := parseInto(res, data); err != nil {
				return err
			}
		}
	} else {
		for _, args := range runs {
			fmt.Printf("$ %s %s\n", goCmd, strings.Join(args, " "))
			var buf bytes.Buffer
			cmd := exec.Command(goCmd, args...)
			cmd.Stdout = io.MultiWriter(os.Stdout, &buf)
			cmd.Stderr = os.Stderr
			if err := cmd.Run(); err != nil {
				return fmt.Errorf("%s %s: %w (%s left as it was)", goCmd, strings.Join(args, " "), err, out)
			}
			if err := parseInto(res, buf.Bytes()); err != nil {
				return err
			}
		}
	}
	if missing := bench.Missing(res); len(missing) > 0 {
		fmt.Fprintf(os.Stderr, "report: no results for %s: their rows say \"not measured\"\n", strings.Join(missing, ", "))
	}
	var doc bytes.Buffer
	if err := bench.Report(&doc, res, bench.ThisMachine(), bench.Run{Date: time.Now(), Commit: commit()}); err != nil {
		return err
	}
	fmt.Print("\n", doc.String())
	return os.WriteFile(out, doc.Bytes(), 0o644)
}

func parseInto(res bench.Results, data []byte) error {
	r, err := bench.Parse(bytes.NewReader(data))
	if err != nil {
		return err
	}
	res.Merge(r)
	return nil
}

// commit names the checked-out commit, marking uncommitted changes.
func commit() string {
	sha, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	c := strings.TrimSpace(string(sha))
	if exec.Command("git", "diff", "--quiet", "HEAD", "--").Run() != nil {
		c += " (with uncommitted changes)"
	}
	return c
}
