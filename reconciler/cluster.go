package reconciler

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"time"

	"github.com/manifold-gitops/manifold/api"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// ExecPolicy says whether kubeconfigs may run programs to get credentials.
type ExecPolicy int

const (
	// RefuseExec refuses kubeconfigs that use exec or auth-provider plugins.
	RefuseExec ExecPolicy = iota
	// AllowExec lets kubeconfigs run exec and auth-provider plugins.
	AllowExec
)

// ConnectOptions configure cluster connections.
type ConnectOptions struct {
	// CredentialsDir holds the kubeconfig files Cluster objects name.
	CredentialsDir string
	// Exec is the policy for exec and auth-provider credentials.
	Exec ExecPolicy
	// Secrets reads the kubeconfigs of Clusters with
	// spec.kubeconfig.secretRef from the management cluster; nil when
	// manifold runs outside one (such Clusters then fail to connect).
	Secrets *SecretSource
	// Timeout bounds each request; default 30s.
	Timeout time.Duration
	// QPS and Burst are the client-side rate limits, high by default so
	// they do not cap throughput (API priority and fairness protects the
	// server).
	QPS   float32
	Burst int
	// WrapTransport, when set, wraps each cluster's transport (used to
	// count requests).
	WrapTransport func(cluster string, rt http.RoundTripper) http.RoundTripper
}

func (o ConnectOptions) withDefaults() ConnectOptions {
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	if o.QPS <= 0 {
		o.QPS = 1000
	}
	if o.Burst <= 0 {
		o.Burst = 2000
	}
	return o
}

// Conn is one cluster's connection: a dynamic client with cached discovery
// and a REST mapper.
type Conn struct {
	Name      string
	Config    *rest.Config
	Dynamic   dynamic.Interface
	Discovery discovery.CachedDiscoveryInterface
	Mapper    meta.ResettableRESTMapper
	// Watch is a dynamic client without the request timeout, for watches
	// that stay open for as long as the server keeps them.
	Watch dynamic.Interface
}

// Connect builds a connection to a declared cluster. It does not contact
// the cluster.
func Connect(c *api.Cluster, opts ConnectOptions) (*Conn, error) {
	opts = opts.withDefaults()
	name := c.Metadata.Name
	kc := c.Spec.Kubeconfig
	var (
		cfg    *clientcmdapi.Config
		source string
		err    error
	)
	if kc.SecretRef != nil {
		if cfg, err = secretKubeconfig(c, opts); err != nil {
			return nil, err
		}
		source = fmt.Sprintf("in Secret %s/%s key %q", kc.SecretRef.Namespace, kc.SecretRef.Name, kc.SecretRef.Key)
	} else {
		path := filepath.Join(opts.CredentialsDir, filepath.FromSlash(kc.File))
		if cfg, err = clientcmd.LoadFromFile(path); err != nil {
			return nil, fmt.Errorf("cluster %s: reading kubeconfig %s: %w", name, path, err)
		}
		if err := checkAuth(cfg, kc.Context, opts.Exec); err != nil {
			return nil, fmt.Errorf("cluster %s: kubeconfig %s: %w", name, path, err)
		}
		source = path
	}
	restCfg, err := clientcmd.NewNonInteractiveClientConfig(*cfg, kc.Context, &clientcmd.ConfigOverrides{}, nil).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("cluster %s: kubeconfig %s: %w", name, source, err)
	}
	restCfg.Timeout = opts.Timeout
	restCfg.QPS, restCfg.Burst = opts.QPS, opts.Burst
	restCfg.UserAgent = "manifold"
	restCfg.WarningHandler = warningLogger{cluster: name}
	if opts.WrapTransport != nil {
		wrap := opts.WrapTransport
		restCfg.WrapTransport = func(rt http.RoundTripper) http.RoundTripper { return wrap(name, rt) }
	}
	return NewConn(name, restCfg)
}

// NewConn builds a connection from a REST config.
func NewConn(name string, cfg *rest.Config) (*Conn, error) {
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("cluster %s: %w", name, err)
	}
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("cluster %s: %w", name, err)
	}
	watchCfg := rest.CopyConfig(cfg)
	watchCfg.Timeout = 0
	watch, err := dynamic.NewForConfig(watchCfg)
	if err != nil {
		return nil, fmt.Errorf("cluster %s: %w", name, err)
	}
	cached := memory.NewMemCacheClient(dc)
	return &Conn{
		Name:      name,
		Config:    cfg,
		Dynamic:   dyn,
		Discovery: cached,
		Mapper:    restmapper.NewDeferredDiscoveryRESTMapper(cached),
		Watch:     watch,
	}, nil
}

// checkAuth refuses exec and auth-provider credentials unless allowed.
func checkAuth(cfg *clientcmdapi.Config, contextName string, policy ExecPolicy) error {
	if policy == AllowExec {
		return nil
	}
	if contextName == "" {
		contextName = cfg.CurrentContext
	}
	ctx, ok := cfg.Contexts[contextName]
	if !ok {
		return fmt.Errorf("context %q not found", contextName)
	}
	user, ok := cfg.AuthInfos[ctx.AuthInfo]
	if !ok {
		return nil
	}
	if user.Exec != nil {
		return fmt.Errorf("user %q runs an exec credential plugin; pass --allow-exec-auth to allow it", ctx.AuthInfo)
	}
	if user.AuthProvider != nil {
		return fmt.Errorf("user %q uses an auth-provider plugin; pass --allow-exec-auth to allow it", ctx.AuthInfo)
	}
	return nil
}

// Version asks the cluster for its version: a reachability probe.
func (c *Conn) Version(ctx context.Context) (string, error) {
	dc, err := discovery.NewDiscoveryClientForConfig(c.Config)
	if err != nil {
		return "", err
	}
	type result struct {
		v   string
		err error
	}
	ch := make(chan result, 1)
	go func() {
		v, err := dc.ServerVersion()
		if err != nil {
			ch <- result{err: err}
			return
		}
		ch <- result{v: v.GitVersion}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			return "", &UnreachableError{Cluster: c.Name, Err: r.err}
		}
		return r.v, nil
	case <-ctx.Done():
		return "", &UnreachableError{Cluster: c.Name, Err: ctx.Err()}
	}
}

// warningLogger logs the API server's warnings (deprecations and the like)
// through slog, naming the cluster.
type warningLogger struct{ cluster string }

func (w warningLogger) HandleWarningHeader(code int, agent, text string) {
	if code == 299 && text != "" {
		slog.Warn("api server warning", "cluster", w.cluster, "warning", text)
	}
}

// UnreachableError reports a cluster that did not answer.
type UnreachableError struct {
	Cluster string
	Err     error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("cluster %s is unreachable: %v", e.Cluster, e.Err)
}

func (e *UnreachableError) Unwrap() error { return e.Err }
