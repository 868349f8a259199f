// Package e2e holds manifold's end-to-end tests: stories from the QCBM
// tutorial run against real local clusters started by package harness, with
// commits to real Git repositories.
package e2e
