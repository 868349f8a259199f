// Package bench measures manifold against the performance targets of the
// design (§9) and turns the results into docs/benchmarks.md.
//
// The benchmarks in this package run against the harness' real API servers
// and a smart-HTTP Git server, each doing a fixed amount of work whatever
// b.N is (run them with -benchtime=1x): BenchmarkFleet (cold convergence,
// memory, the no-change cycle and the steady state of an in-process daemon
// on light clusters), BenchmarkWebhookToApplied (`manifold serve` and two
// full clusters) and BenchmarkGitHistory (polls of a 5,000-commit
// repository). Parse reads `go test -bench` output, theirs and that of the
// render and gitsource benchmarks, and Report writes the table with the
// machine and the method; `make bench` runs it all through bench/report.
package bench
