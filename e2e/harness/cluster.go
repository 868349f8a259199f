package harness

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

var errStopped = errors.New("API server is stopped")

// Cluster is one simulated Kubernetes cluster: an API server on its own port
// and etcd prefix and, in Full mode, the components that make workloads run.
type Cluster struct {
	env  *Env
	spec ClusterSpec
	dir  string // <WorkDir>/<lowercased name>: keys, kubeconfig, logs
	port int

	restConfig *rest.Config
	clientset  *kubernetes.Clientset

	mu         sync.Mutex
	apiserver  *process   // nil while stopped
	components []*process // controller-manager, scheduler, kwok
	closed     bool       // set by stopAll: nothing starts any more
}

var errClosed = errors.New("cluster is closed")

// Name is the cluster's name as given in its ClusterSpec.
func (c *Cluster) Name() string { return c.spec.Name }

// Mode is Light or Full.
func (c *Cluster) Mode() Mode { return c.spec.Mode }

// Server is the API server's URL, https://127.0.0.1:<port>. It stays the same
// across StopAPIServer and StartAPIServer.
func (c *Cluster) Server() string { return "https://127.0.0.1:" + strconv.Itoa(c.port) }

// KubeconfigPath is the admin kubeconfig of this cluster (context = Name).
func (c *Cluster) KubeconfigPath() string { return filepath.Join(c.dir, "kubeconfig") }

// LogDir holds this cluster's process logs, one <component>.log each.
func (c *Cluster) LogDir() string { return c.dir }

// RESTConfig returns a fresh copy of the admin client configuration.
func (c *Cluster) RESTConfig() *rest.Config { return rest.CopyConfig(c.restConfig) }

// Clientset is a typed client for the cluster, authenticated as admin.
func (c *Cluster) Clientset() kubernetes.Interface { return c.clientset }

func (c *Cluster) start(ctx context.Context) error {
	if err := os.MkdirAll(c.dir, 0o700); err != nil {
		return err
	}
	saKey := filepath.Join(c.dir, "service-account.key")
	if err := newServiceAccountKey(saKey); err != nil {
		return err
	}
	if err := c.env.pki.writeTokenFile(filepath.Join(c.dir, "tokens.csv")); err != nil {
		return err
	}
	err := retryOnPortClash(ctx, func() (*process, error) {
		c.port = freePort()
		if err := c.initClients(); err != nil {
			return nil, err
		}
		return c.startAPIServer(ctx)
	})
	if err != nil {
		return err
	}
	if err := writeKubeconfig(c.KubeconfigPath(), c.spec.Name, c.Server(), c.env.pki.caPEM, c.env.pki.adminToken); err != nil {
		return err
	}
	if c.spec.Mode == Full {
		return c.startComponents(ctx)
	}
	return nil
}

func (c *Cluster) initClients() error {
	c.restConfig = &rest.Config{
		Host:            c.Server(),
		BearerToken:     c.env.pki.adminToken,
		TLSClientConfig: rest.TLSClientConfig{CAData: c.env.pki.caPEM},
		QPS:             100,
		Burst:           200,
	}
	var err error
	c.clientset, err = kubernetes.NewForConfig(c.RESTConfig())
	return err
}

// StartAPIServer starts the API server again after StopAPIServer, on the same
// port and with the same data, and waits until it is ready. Controllers of a
// Full cluster reconnect by themselves.
func (c *Cluster) StartAPIServer(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, c.env.opts.StartTimeout)
	defer cancel()
	_, err := c.startAPIServer(ctx)
	return err
}

// startAPIServer starts kube-apiserver and waits for /readyz. It returns the
// process also on error, for retryOnPortClash.
func (c *Cluster) startAPIServer(ctx context.Context) (*process, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, fmt.Errorf("%s: %w", c.spec.Name, errClosed)
	}
	if c.apiserver != nil {
		return nil, fmt.Errorf("%s: API server is already running", c.spec.Name)
	}
	p, err := startProcess("kube-apiserver of "+c.spec.Name, filepath.Join(c.env.opts.BinDir, "kube-apiserver"),
		filepath.Join(c.dir, "kube-apiserver.log"), c.apiserverArgs(), nil)
	if err != nil {
		return nil, err
	}
	c.apiserver = p
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(c.env.pki.caPEM)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	defer client.CloseIdleConnections()
	if err := waitHTTP(ctx, p, client, c.Server()+"/readyz", c.env.pki.adminToken); err != nil {
		p.stop()
		c.apiserver = nil
		return p, fmt.Errorf("cluster %s did not start: %w", c.spec.Name, err)
	}
	return p, nil
}

func (c *Cluster) apiserverArgs() []string {
	saKey := filepath.Join(c.dir, "service-account.key")
	return []string{
		"--etcd-servers=" + c.env.etcdURL,
		"--etcd-prefix=/manifold-e2e/" + fileName(c.spec.Name),
		"--bind-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(c.port),
		"--cert-dir=" + c.dir,
		"--tls-cert-file=" + c.env.pki.certFile,
		"--tls-private-key-file=" + c.env.pki.keyFile,
		"--token-auth-file=" + filepath.Join(c.dir, "tokens.csv"),
		"--authorization-mode=RBAC",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + saKey,
		"--service-account-signing-key-file=" + saKey,
		"--service-cluster-ip-range=10.0.0.0/24",
		"--disable-admission-plugins=ServiceAccount",
	}
}

// StopAPIServer stops the API server, as in an outage: clients get
// "connection refused" until StartAPIServer. Data stays in etcd.
func (c *Cluster) StopAPIServer(ctx context.Context) error {
	c.mu.Lock()
	p := c.apiserver
	c.apiserver = nil
	c.mu.Unlock()
	if p == nil {
		return fmt.Errorf("%s: %w", c.spec.Name, errStopped)
	}
	stopped := make(chan struct{})
	go func() {
		p.stop()
		close(stopped)
	}()
	select {
	case <-stopped:
		return nil
	case <-ctx.Done():
		return errors.Join(fmt.Errorf("%s: stopping the API server", c.spec.Name), ctx.Err())
	}
}

// stopAll stops the cluster's components, then its API server.
func (c *Cluster) stopAll() {
	c.mu.Lock()
	components, apiserver := c.components, c.apiserver
	c.components, c.apiserver, c.closed = nil, nil, true
	c.mu.Unlock()
	var wg sync.WaitGroup
	for _, p := range components {
		wg.Go(p.stop)
	}
	wg.Wait()
	if apiserver != nil {
		apiserver.stop()
	}
}
