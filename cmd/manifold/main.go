// Command manifold is the multi-cluster GitOps reconciler's command line:
// render, validate, and (as the project grows) diff, sync, serve and status.
package main

import (
	"errors"
	"fmt"
	"os"
)

func main() {
	if err := newRootCommand().Execute(); err != nil {
		var reported errReported
		if !errors.As(err, &reported) {
			fmt.Fprintln(os.Stderr, "manifold:", err)
		}
		os.Exit(1)
	}
}

// errReported is returned by commands that already printed their problems
// and only need a failing exit status.
type errReported struct{ msg string }

func (e errReported) Error() string { return e.msg }
