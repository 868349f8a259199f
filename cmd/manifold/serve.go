package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/manifold-gitops/manifold/daemon"
	"github.com/manifold-gitops/manifold/gitsource"
	"github.com/manifold-gitops/manifold/gitsource/webhook"
	"github.com/manifold-gitops/manifold/reconciler"
	"github.com/manifold-gitops/manifold/render"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"
)

// serveFlags are manifold serve's settings.
type serveFlags struct {
	repo, branch, stateDir, listen string
	interval, probeInterval        time.Duration
	clusters                       clusterFlags
	management                     managementFlags
	election                       electionFlags
	git                            gitsource.AuthConfig
	allowNonFastForward            bool
	webhookSecretFile              string
	webhookSecretEnv               string
	insecureWebhooks               bool
	logFormat                      string
}

func newServeCommand() *cobra.Command {
	var f serveFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Follow a Git branch and keep every cluster in sync with it",
		Long: `Serve polls the repository (with jitter), fetches only when the branch moved, renders,
syncs, repairs drift reported by watches, and writes a status note on each synced commit
under refs/notes/manifold. Webhooks (GitHub, Gitea, GitLab, generic HMAC) and, for a local
repository, filesystem events trigger a cycle at once. Clusters of subscriptions with
spec.failover or spec.traffic are probed every --probe-interval: a target unhealthy for
unhealthyAfter fails over to a standby cluster, and DNSEndpoint records follow the
healthy clusters.

HTTP: /healthz, /readyz (ready after the first successful sync; a replica that leads nothing
is ready), /metrics, /status (JSON) and /webhooks/{github,gitea,gitlab,generic}. A
pull-request delivery makes a read-only preview of its head, served at /previews/<sha>
and noted under refs/notes/manifold-preview.

In a management cluster (deploy/), --in-cluster reads the kubeconfigs of Clusters with
spec.kubeconfig.secretRef from Secrets there. Every flag may also be set by the environment:
MANIFOLD_ and the flag name in upper case, dashes as underscores (MANIFOLD_REPO,
MANIFOLD_GIT_USERNAME); the command line wins.

With --leader-elect, replicas campaign for a Lease in the coordination cluster and only the
holder syncs, writes notes, updates DNS and previews; --shards N splits the clusters between
N Leases (FNV-1a of the cluster name mod N), each owner syncing its clusters and writing
its notes under refs/notes/manifold-shard-<i>.`,
		Args:    cobra.NoArgs,
		PreRunE: func(cmd *cobra.Command, _ []string) error { return flagsFromEnv(cmd.Flags()) },
		RunE:    func(cmd *cobra.Command, _ []string) error { return serve(cmd, &f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.repo, "repo", "", "config repository: an http(s) or ssh URL, or a local path")
	fl.StringVar(&f.branch, "branch", "main", "branch to follow")
	fl.DurationVar(&f.interval, "interval", time.Minute, "poll interval (up to 10% jitter is added)")
	fl.DurationVar(&f.probeInterval, "probe-interval", 5*time.Second, "how often clusters are probed for spec.failover and spec.traffic")
	fl.StringVar(&f.listen, "listen", ":8080", "HTTP listen address")
	home, _ := os.UserHomeDir()
	fl.StringVar(&f.stateDir, "state-dir", filepath.Join(home, ".manifold", "state"), "folder for the persistent Git repository and the rollout state")
	fl.StringVar(&f.git.Username, "git-username", "", "username for https or ssh")
	fl.StringVar(&f.git.PasswordFile, "git-password-file", "", "file holding the Git password or token")
	fl.StringVar(&f.git.PasswordEnv, "git-password-env", "", "environment variable holding the Git password or token")
	fl.StringVar(&f.git.SSHKeyFile, "git-ssh-key", "", "ssh private key file")
	fl.StringVar(&f.git.KnownHostsFile, "git-known-hosts", "", "ssh known_hosts file (host keys are always checked)")
	fl.BoolVar(&f.allowNonFastForward, "allow-non-fast-forward", false, "accept a branch head that does not descend from the last applied revision")
	fl.StringVar(&f.webhookSecretFile, "webhook-secret-file", "", "file holding the webhook secret")
	fl.StringVar(&f.webhookSecretEnv, "webhook-secret-env", "MANIFOLD_WEBHOOK_SECRET", "environment variable holding the webhook secret")
	fl.BoolVar(&f.insecureWebhooks, "insecure-webhooks", false, "accept unsigned webhook deliveries")
	fl.StringVar(&f.logFormat, "log-format", "text", "log format: text or json")
	f.clusters.register(cmd)
	f.management.register(cmd)
	f.election.register(cmd)
	_ = cmd.MarkFlagRequired("repo")
	return cmd
}

func serve(cmd *cobra.Command, f *serveFlags) error {
	log := newLogger(f.logFormat)
	slog.SetDefault(log)
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	secret, err := webhookSecret(f)
	if err != nil {
		return err
	}
	auth, err := gitsource.LoadAuth(f.git)
	if err != nil {
		return err
	}
	mgmt, err := f.management.restConfig()
	if err != nil {
		return err
	}
	connect := f.clusters.options()
	if connect.Secrets, err = f.management.secretSource(mgmt); err != nil {
		return err
	}
	if mgmt != nil {
		log.Info("reading kubeconfig Secrets from the management cluster", "server", mgmt.Host)
	}
	election, err := f.election.election(mgmt)
	if err != nil {
		return err
	}
	src, err := gitsource.OpenSource(ctx, gitsource.SourceOptions{
		URL: f.repo, Branch: f.branch, StateDir: f.stateDir, Auth: auth, AllowNonFastForward: f.allowNonFastForward,
	})
	if err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	rec := reconciler.New(reconciler.Options{Connect: connect, Log: log})
	d := daemon.New(daemon.Options{
		Source: src, Renderer: render.NewRenderer(render.Limits{}), Reconciler: rec,
		Interval: f.interval, ProbeInterval: f.probeInterval, Metrics: daemon.NewMetrics(reg), Log: log, StateDir: f.stateDir,
		Election: election,
	})

	previews := daemon.NewPreviewer(daemon.PreviewOptions{Source: src, Reconciler: rec, Log: log})
	go d.WhilePrimary(ctx, previews.Run)
	hooks := webhook.NewHandler(webhook.Config{
		Secret: secret, Insecure: f.insecureWebhooks, RepoURLs: []string{f.repo}, Branch: f.branch,
		OnResult: func(r webhook.Result) {
			attrs := []any{"provider", r.Provider, "delivery", r.DeliveryID, "outcome", r.Outcome.String(), "status", r.Status, "reason", r.Reason}
			if r.Err != nil {
				attrs = append(attrs, "err", r.Err)
			}
			log.Info("webhook", attrs...)
		},
	}, func(e webhook.Event) {
		if e.Relevant && e.Kind == webhook.KindPush {
			d.Trigger("webhook")
		}
		if e.Relevant && e.Kind == webhook.KindPullRequest && e.PR != nil {
			previews.Request(daemon.PullRequest{Provider: string(e.Provider), Number: e.PR.Number, Action: e.PR.Action, HeadSHA: e.PR.HeadSHA, HeadRef: e.PR.HeadRef})
		}
	})
	if err := watchLocal(ctx, f, d, rec, log); err != nil {
		return err
	}

	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		// A replica that leads nothing is a ready standby: it serves
		// /status and /metrics, and a rolling update can proceed.
		if !d.Ready() && d.Leadership().Leader {
			http.Error(w, "no successful sync yet", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/status", func(w http.ResponseWriter, _ *http.Request) {
		note, gitErr := d.Status()
		lead := d.Leadership()
		body := map[string]any{"ready": d.Ready(), "repository": src.URL(), "branch": f.branch, "sync": note,
			"leader": lead.Leader, "leadership": lead, "clusters": d.SyncedClusters()}
		if gitErr != nil {
			body["gitError"] = gitErr.Error()
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(body)
	})
	mux.Handle(webhook.PathPrefix, hooks)
	mux.Handle(previewsPath, previewHandler(previews))

	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		return fmt.Errorf("listen %s: %w", f.listen, err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("http", "err", err)
		}
	}()
	log.Info("serving", "repository", src.URL(), "branch", f.branch, "listen", ln.Addr().String(), "interval", f.interval)
	err = d.Run(ctx)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdownCtx)
	log.Info("stopped")
	return err
}

// watchLocal triggers a cycle when a local repository's branches move, and
// reloads cluster connections when the credentials change.
func watchLocal(ctx context.Context, f *serveFlags, d *daemon.Daemon, rec *reconciler.Reconciler, log *slog.Logger) error {
	if st, err := os.Stat(f.repo); err == nil && st.IsDir() {
		dirs, err := daemon.GitRefDirs(f.repo)
		if err != nil {
			return err
		}
		if err := daemon.WatchFiles(ctx, dirs, 100*time.Millisecond, func() { d.Trigger("fsnotify") }); err != nil {
			return err
		}
		log.Info("watching the local repository for new commits", "path", f.repo)
	}
	if st, err := os.Stat(f.clusters.credentials); err == nil && st.IsDir() {
		err := daemon.WatchFiles(ctx, []string{f.clusters.credentials}, 200*time.Millisecond, func() {
			log.Info("credentials changed; reconnecting to clusters")
			rec.ResetConnections()
			d.Trigger("credentials")
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func webhookSecret(f *serveFlags) ([]byte, error) {
	if f.webhookSecretFile != "" {
		data, err := os.ReadFile(f.webhookSecretFile)
		if err != nil {
			return nil, fmt.Errorf("webhook secret file %s: %w", f.webhookSecretFile, err)
		}
		return []byte(trimSpace(string(data))), nil
	}
	if v := os.Getenv(f.webhookSecretEnv); v != "" {
		return []byte(trimSpace(v)), nil
	}
	// Without a secret (and without --insecure-webhooks) every delivery is
	// refused with 401; polling and filesystem events still work.
	return nil, nil
}

func trimSpace(s string) string {
	for len(s) > 0 && (s[len(s)-1] == '\n' || s[len(s)-1] == '\r' || s[len(s)-1] == ' ') {
		s = s[:len(s)-1]
	}
	return s
}

func newLogger(format string) *slog.Logger {
	if format == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, nil))
}
