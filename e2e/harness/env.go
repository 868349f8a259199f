package harness

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
)

// Env is one etcd and the clusters stored in it, each a separate API server
// with its own etcd prefix. Its methods are safe for concurrent use.
type Env struct {
	opts        Options
	ownsWorkDir bool
	pki         *pki
	etcd        *process
	etcdURL     string

	mu       sync.Mutex
	clusters []*Cluster
	closed   bool
}

// Start starts etcd and the clusters of opts. On error everything already
// started is stopped again, and the error names the log file to read.
func Start(ctx context.Context, opts Options) (*Env, error) {
	if err := opts.resolve(); err != nil {
		return nil, err
	}
	e := &Env{opts: opts}
	if err := validateSpecs(nil, opts.Clusters); err != nil {
		return nil, err
	}
	if err := checkBinaries(opts.BinDir, opts.Clusters); err != nil {
		return nil, err
	}
	if e.opts.WorkDir == "" {
		dir, err := os.MkdirTemp("", "manifold-e2e-")
		if err != nil {
			return nil, err
		}
		e.opts.WorkDir, e.ownsWorkDir = dir, true
	}
	if err := e.start(ctx); err != nil {
		e.ownsWorkDir = false // keep the logs the error points to
		_ = e.Close()
		return nil, err
	}
	return e, nil
}

func (e *Env) start(ctx context.Context) error {
	began := time.Now()
	var err error
	if e.pki, err = newPKI(e.opts.WorkDir); err != nil {
		return err
	}
	if err := e.startEtcd(ctx); err != nil {
		return err
	}
	e.logf("etcd ready at %s", e.etcdURL)
	g, gctx := errgroup.WithContext(ctx)
	for _, spec := range e.opts.Clusters {
		g.Go(func() error {
			_, err := e.addCluster(gctx, spec)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	e.sortClusters()
	e.logf("%d cluster(s) ready in %s (work dir %s)", len(e.opts.Clusters), time.Since(began).Round(10*time.Millisecond), e.opts.WorkDir)
	return nil
}

// AddCluster starts one more cluster in the running Env.
func (e *Env) AddCluster(ctx context.Context, spec ClusterSpec) (*Cluster, error) {
	if err := checkBinaries(e.opts.BinDir, []ClusterSpec{spec}); err != nil {
		return nil, err
	}
	return e.addCluster(ctx, spec)
}

func (e *Env) addCluster(ctx context.Context, spec ClusterSpec) (*Cluster, error) {
	c := &Cluster{env: e, spec: spec, dir: filepath.Join(e.opts.WorkDir, fileName(spec.Name))}
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil, errors.New("harness: env is closed")
	}
	if err := validateSpecs(e.clusters, []ClusterSpec{spec}); err != nil {
		e.mu.Unlock()
		return nil, err
	}
	e.clusters = append(e.clusters, c) // registered first, so a concurrent Close stops it too
	e.mu.Unlock()

	ctx, cancel := context.WithTimeout(ctx, e.opts.StartTimeout)
	defer cancel()
	began := time.Now()
	if err := c.start(ctx); err != nil {
		c.stopAll()
		e.mu.Lock()
		e.clusters = slices.DeleteFunc(e.clusters, func(x *Cluster) bool { return x == c })
		e.mu.Unlock()
		return nil, err
	}
	e.logf("%s (%s) ready in %s at %s", spec.Name, spec.Mode, time.Since(began).Round(10*time.Millisecond), c.Server())
	return c, nil
}

// Cluster returns the cluster with that name, or nil.
func (e *Env) Cluster(name string) *Cluster {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, c := range e.clusters {
		if c.spec.Name == name {
			return c
		}
	}
	return nil
}

// Clusters returns the clusters in the order they were asked for.
func (e *Env) Clusters() []*Cluster {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]*Cluster(nil), e.clusters...)
}

// BinDir is the directory of the control-plane binaries the Env runs.
func (e *Env) BinDir() string { return e.opts.BinDir }

// WorkDir is where data, kubeconfigs and logs live (<WorkDir>/<name>/*.log).
func (e *Env) WorkDir() string { return e.opts.WorkDir }

// Close stops every process the Env started, newest layer first, and waits
// for them. It removes the work dir when Start created it. Calling it again
// does nothing.
func (e *Env) Close() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	clusters := append([]*Cluster(nil), e.clusters...)
	e.mu.Unlock()

	var wg sync.WaitGroup
	for _, c := range clusters {
		wg.Go(c.stopAll)
	}
	wg.Wait()
	if e.etcd != nil {
		e.etcd.stop()
	}
	if e.ownsWorkDir {
		return os.RemoveAll(e.opts.WorkDir)
	}
	return nil
}

// sortClusters puts clusters back into the order of Options.Clusters after
// their parallel start.
func (e *Env) sortClusters() {
	e.mu.Lock()
	defer e.mu.Unlock()
	sorted := make([]*Cluster, 0, len(e.clusters))
	for _, spec := range e.opts.Clusters {
		for _, c := range e.clusters {
			if c.spec.Name == spec.Name {
				sorted = append(sorted, c)
			}
		}
	}
	e.clusters = sorted
}

func (e *Env) logf(format string, args ...any) { e.opts.Logf(format, args...) }

func (e *Env) startEtcd(ctx context.Context) error {
	dir := filepath.Join(e.opts.WorkDir, "etcd")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, e.opts.StartTimeout)
	defer cancel()
	return retryOnPortClash(ctx, func() (*process, error) {
		client, peer := freePort(), freePort()
		e.etcdURL = "http://127.0.0.1:" + strconv.Itoa(client)
		peerURL := "http://127.0.0.1:" + strconv.Itoa(peer)
		p, err := startProcess("etcd", filepath.Join(e.opts.BinDir, "etcd"), filepath.Join(dir, "etcd.log"), []string{
			"--name=default",
			"--data-dir=" + filepath.Join(dir, "data"),
			"--listen-client-urls=" + e.etcdURL,
			"--advertise-client-urls=" + e.etcdURL,
			"--listen-peer-urls=" + peerURL,
			"--initial-advertise-peer-urls=" + peerURL,
			"--initial-cluster=default=" + peerURL,
			"--unsafe-no-fsync",
			"--log-level=warn",
		}, nil)
		if err != nil {
			return nil, err
		}
		e.etcd = p
		return p, waitHTTP(ctx, p, http.DefaultClient, e.etcdURL+"/health", "")
	})
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0 // the child fails to bind and retryOnPortClash tries again
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
