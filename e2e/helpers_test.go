package e2e

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/manifold-gitops/manifold/e2e/harness"
	"github.com/manifold-gitops/manifold/gitsource"
	"github.com/manifold-gitops/manifold/reconciler"
	"github.com/manifold-gitops/manifold/render"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
)

// writeCounter counts write requests (anything but GET, HEAD and watches)
// per cluster.
type writeCounter struct {
	mu     sync.Mutex
	writes map[string]int
	log    map[string][]string
}

func newWriteCounter() *writeCounter {
	return &writeCounter{writes: map[string]int{}, log: map[string][]string{}}
}

func (w *writeCounter) wrap(cluster string, rt http.RoundTripper) http.RoundTripper {
	return roundTripperFunc(func(req *http.Request) (*http.Response, error) {
		if req.Method != http.MethodGet && req.Method != http.MethodHead {
			w.mu.Lock()
			w.writes[cluster]++
			w.log[cluster] = append(w.log[cluster], req.Method+" "+req.URL.Path)
			w.mu.Unlock()
		}
		return rt.RoundTrip(req)
	})
}

// take returns and resets the writes to cluster.
func (w *writeCounter) take(cluster string) (int, []string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n, log := w.writes[cluster], w.log[cluster]
	w.writes[cluster], w.log[cluster] = 0, nil
	return n, log
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// gitRepo is a real Git working tree the test commits to.
type gitRepo struct {
	t   *testing.T
	dir string
}

// newRepo copies a folder of the project into a fresh Git repository and
// commits it.
func newRepo(t *testing.T, from string) *gitRepo {
	t.Helper()
	r := &gitRepo{t: t, dir: t.TempDir()}
	copyTree(t, from, r.dir)
	r.git("init", "-q", "-b", "main")
	r.commit("initial content")
	return r
}

func (r *gitRepo) git(args ...string) string {
	r.t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = r.dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=e2e", "GIT_AUTHOR_EMAIL=e2e@example.com",
		"GIT_COMMITTER_NAME=e2e", "GIT_COMMITTER_EMAIL=e2e@example.com", "GIT_CONFIG_GLOBAL=/dev/null")
	out, err := cmd.CombinedOutput()
	if err != nil {
		r.t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// write replaces a file of the working tree.
func (r *gitRepo) write(path, content string) {
	r.t.Helper()
	full := filepath.Join(r.dir, filepath.FromSlash(path))
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		r.t.Fatal(err)
	}
	if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
		r.t.Fatal(err)
	}
}

// edit replaces old with new in a file, failing when old is absent.
func (r *gitRepo) edit(path, old, new string) {
	r.t.Helper()
	data, err := os.ReadFile(filepath.Join(r.dir, filepath.FromSlash(path)))
	if err != nil {
		r.t.Fatal(err)
	}
	if !strings.Contains(string(data), old) {
		r.t.Fatalf("%s does not contain %q", path, old)
	}
	r.write(path, strings.Replace(string(data), old, new, 1))
}

// commit commits every change with message and returns the commit SHA.
func (r *gitRepo) commit(message string) string {
	r.t.Helper()
	r.git("add", "-A")
	r.git("commit", "-q", "--allow-empty", "-m", message)
	return r.git("rev-parse", "HEAD")
}

func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
}

// credentials writes env's kubeconfigs into a fresh credentials folder and
// returns it with the Cluster objects that refer to them.
func credentials(t *testing.T, env *harness.Env) (dir, clustersYAML string) {
	t.Helper()
	dir = t.TempDir()
	if err := env.WriteCredentials(dir); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, harness.ClustersFile))
	if err != nil {
		t.Fatal(err)
	}
	return dir, string(data)
}

// syncer syncs the head of a repository the way `manifold sync` does.
type syncer struct {
	t        *testing.T
	repo     *gitRepo
	renderer *render.Renderer
	rec      *reconciler.Reconciler
	last     *render.Result // the last rendered revision
}

func newSyncer(t *testing.T, env *harness.Env, repo *gitRepo, counter *writeCounter) *syncer {
	t.Helper()
	creds := t.TempDir()
	if err := env.WriteCredentials(creds); err != nil {
		t.Fatal(err)
	}
	opts := reconciler.Options{Connect: reconciler.ConnectOptions{CredentialsDir: creds, Timeout: 10 * time.Second}}
	if counter != nil {
		opts.Connect.WrapTransport = counter.wrap
	}
	return &syncer{t: t, repo: repo, renderer: render.NewRenderer(render.Limits{}), rec: reconciler.New(opts)}
}

// sync renders HEAD and syncs it.
func (s *syncer) sync() *reconciler.Report {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	snap, err := gitsource.ReadRevision(ctx, s.repo.dir, "HEAD", gitsource.Limits{})
	if err != nil {
		s.t.Fatal(err)
	}
	res := s.renderer.Render(ctx, snap)
	s.last = res
	for _, p := range res.Problems {
		s.t.Logf("render problem: %v", p)
	}
	return s.rec.Sync(ctx, res, reconciler.ParseApprovals(snap.Message))
}

// set returns a subscription's report on a cluster.
func set(t *testing.T, rep *reconciler.Report, cluster, sub string) *reconciler.SetReport {
	t.Helper()
	for _, c := range rep.Clusters {
		if c.Name != cluster {
			continue
		}
		for _, s := range c.Sets {
			if s.Subscription == sub {
				return s
			}
		}
	}
	t.Fatalf("no report for %s on %s", sub, cluster)
	return nil
}

// clusterReport returns a cluster's report.
func clusterReport(t *testing.T, rep *reconciler.Report, cluster string) *reconciler.ClusterReport {
	t.Helper()
	for _, c := range rep.Clusters {
		if c.Name == cluster {
			return c
		}
	}
	t.Fatalf("no report for cluster %s", cluster)
	return nil
}

// waitAvailable waits until every Deployment of namespace is Available.
func waitAvailable(t *testing.T, c *harness.Cluster, namespace string, want int) {
	t.Helper()
	err := wait.PollUntilContextTimeout(context.Background(), 250*time.Millisecond, 90*time.Second, true, func(ctx context.Context) (bool, error) {
		list, err := c.Clientset().AppsV1().Deployments(namespace).List(ctx, metav1.ListOptions{})
		if err != nil || len(list.Items) != want {
			return false, nil
		}
		for _, d := range list.Items {
			if !available(&d) {
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		t.Fatalf("deployments in %s/%s not all Available: %v", c.Name(), namespace, err)
	}
}

func available(d *appsv1.Deployment) bool {
	if d.Status.ObservedGeneration < d.Generation {
		return false
	}
	for _, c := range d.Status.Conditions {
		if c.Type == appsv1.DeploymentAvailable && c.Status == "True" {
			return d.Status.UpdatedReplicas == *d.Spec.Replicas && d.Status.AvailableReplicas == *d.Spec.Replicas
		}
	}
	return false
}

func counts(s *reconciler.SetReport) map[reconciler.Action]int { return s.Changes.Counts() }
