package bench

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/manifold-gitops/manifold/daemon"
	"github.com/manifold-gitops/manifold/gitsource"
	"github.com/manifold-gitops/manifold/reconciler"
	"github.com/manifold-gitops/manifold/render"
	"github.com/manifold-gitops/manifold/status"
)

// inProcess is a daemon running in the benchmark's process, built as
// `manifold serve` builds it, so its work can be counted directly.
type inProcess struct {
	d        *daemon.Daemon
	source   *gitsource.Source
	renderer *render.Renderer
	cancel   context.CancelFunc
	done     chan error
}

// startDaemon runs a daemon following branch main of url, reaching the
// clusters through the kubeconfigs in creds; counter sees every request.
func startDaemon(b *testing.B, url, creds string, counter *requestCounter) *inProcess {
	b.Helper()
	src, err := gitsource.OpenSource(context.Background(), gitsource.SourceOptions{URL: url, StateDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	rec := reconciler.New(reconciler.Options{Connect: reconciler.ConnectOptions{CredentialsDir: creds, WrapTransport: counter.wrap}})
	p := &inProcess{source: src, renderer: render.NewRenderer(render.Limits{}), done: make(chan error, 1)}
	// The poll interval of `manifold serve`: polls touch Git only.
	p.d = daemon.New(daemon.Options{Source: src, Renderer: p.renderer, Reconciler: rec, Interval: time.Minute})
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	go func() { p.done <- p.d.Run(ctx) }()
	b.Cleanup(p.stop)
	return p
}

// waitSynced waits until the first sync succeeded and fails the benchmark
// when it did not within timeout or did not sync everything.
func (p *inProcess) waitSynced(b *testing.B, timeout time.Duration) *status.Note {
	b.Helper()
	deadline := time.Now().Add(timeout)
	for !p.d.Ready() {
		if time.Now().After(deadline) {
			note, gitErr := p.d.Status()
			b.Fatalf("the daemon did not sync within %s: note %s, Git error %v", timeout, describe(note), gitErr)
		}
		time.Sleep(5 * time.Millisecond)
	}
	note, _ := p.d.Status()
	if note == nil || note.Outcome != status.OutcomeSynced {
		b.Fatalf("first sync: %s", describe(note))
	}
	return note
}

func describe(n *status.Note) string {
	if n == nil {
		return "none"
	}
	return string(n.YAML())
}

// cycles triggers n cycles one after another and returns when all have
// finished: a cycle starts with a ref listing, and cycles never overlap, so
// the listing of one more cycle means the n-th is over. That extra cycle is
// a no-change cycle too, so the counters read at the end cover n+1 cycles
// of which the last may still be running.
func (p *inProcess) cycles(b *testing.B, n int) {
	b.Helper()
	start := p.source.Stats().RefListings
	for i := int64(1); i <= int64(n)+1; i++ {
		p.d.Trigger("bench")
		deadline := time.Now().Add(30 * time.Second)
		for p.source.Stats().RefListings < start+i {
			if time.Now().After(deadline) {
				b.Fatalf("cycle %d did not start within 30s", i)
			}
			time.Sleep(time.Millisecond)
		}
	}
}

// renders counts the Render calls so far: each loads the policy objects,
// from the cache or not.
func (p *inProcess) renders() int {
	s := p.renderer.Stats()
	return s.PolicyLoads + s.PolicyLoadHit
}

// stop ends the daemon and waits for it; its watches stop with it.
func (p *inProcess) stop() {
	if p.cancel == nil {
		return
	}
	p.cancel()
	p.cancel = nil
	if err := <-p.done; err != nil {
		fmt.Println("daemon:", err)
	}
}
