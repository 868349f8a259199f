package bench

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/manifold-gitops/manifold/e2e/gitserver"
	"github.com/manifold-gitops/manifold/e2e/harness"
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"
)

var webhookCommits = flag.Int("bench.commits", 20, "BenchmarkWebhookToApplied: commits measured")

const (
	webhookSecret = "bench-webhook-secret"
	// commitAnnotation, set in the pod template of Deployment
	// qcbm/user-service, changes with every commit and forces a rollout.
	commitAnnotation = "bench.manifold.dev/commit"
	qcbmDeployments  = "app/deployments.yaml"
)

// BenchmarkWebhookToApplied runs `manifold serve` on the QCBM example and
// two full clusters, and measures, for each commit that changes the pod
// template of one Deployment, the time from sending the signed push webhook
// until both clusters show the new template (applied) and until the
// Deployment is rolled out and Available again on both. The commit is
// pushed before the clock starts; each delivery waits for the previous
// revision to be noted Healthy, so the daemon is idle when it arrives.
func BenchmarkWebhookToApplied(b *testing.B) {
	b.ReportMetric(load1(), "load1")
	env := harness.ForTest(b,
		harness.ClusterSpec{Name: "SPG-01", Mode: harness.Full},
		harness.ClusterSpec{Name: "SPG-02", Mode: harness.Full})
	creds := b.TempDir()
	if err := env.WriteCredentials(creds); err != nil {
		b.Fatal(err)
	}
	git := gitserver.Start(b)
	url, work := git.NewRepo(b, "qcbm")
	files := exampleFiles(b, filepath.Join("..", "examples", "qcbm"))
	deployments := files[qcbmDeployments]
	first := gitserver.CommitAndPush(b, work, "QCBM", files)

	srv := startServe(b, url, creds)
	watch := newRolloutWatch(b, env.Clusters())
	srv.waitHealthy(b, first, 3*time.Minute)

	const warmup = 1
	var applied, available []time.Duration
	var measured []string
	for i := range warmup + *webhookCommits {
		value := fmt.Sprintf("c%03d", i)
		files := map[string]string{qcbmDeployments: withTemplateAnnotation(b, deployments, value)}
		sha := gitserver.CommitAndPush(b, work, "user-service "+value, files)
		watch.expect(value)
		start := time.Now()
		srv.pushWebhook(b, url, sha)
		a, av := watch.wait(b, start, 2*time.Minute)
		srv.waitHealthy(b, sha, time.Minute)
		if i >= warmup {
			applied, available = append(applied, a), append(available, av)
			measured = append(measured, sha)
		}
	}
	cycles := srv.cycleDurations(b, measured)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(percentile(applied, 50)), "ms-applied-p50")
	b.ReportMetric(ms(percentile(applied, 99)), "ms-applied-p99")
	b.ReportMetric(ms(percentile(available, 50)), "ms-available-p50")
	b.ReportMetric(ms(percentile(available, 99)), "ms-available-p99")
	b.ReportMetric(ms(percentile(cycles, 50)), "ms-cycle-p50")
	b.ReportMetric(float64(len(applied)), "commits")
}

// percentile is the nearest-rank percentile p of ds.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := int(math.Ceil(p / 100 * float64(len(s))))
	return s[max(rank, 1)-1]
}

// exampleFiles reads a folder into a map of slash paths to contents.
func exampleFiles(b *testing.B, dir string) map[string]string {
	b.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		files[filepath.ToSlash(rel)] = string(data)
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return files
}

// withTemplateAnnotation sets commitAnnotation in the pod template of the
// first Deployment of the file, user-service.
func withTemplateAnnotation(b *testing.B, deployments, value string) string {
	b.Helper()
	const anchor = "  template:\n    metadata:\n"
	if !strings.Contains(deployments, anchor) {
		b.Fatalf("%s has no pod template metadata to annotate", qcbmDeployments)
	}
	return strings.Replace(deployments, anchor, fmt.Sprintf("%s      annotations: {%s: %q}\n", anchor, commitAnnotation, value), 1)
}

// rolloutWatch watches Deployment qcbm/user-service on every cluster and
// records when each first shows the expected template and when it is rolled
// out and Available with it.
type rolloutWatch struct {
	clusters int
	mu       sync.Mutex
	want     string
	seen     map[string]time.Time // cluster → template applied
	ready    map[string]time.Time // cluster → rolled out and Available
	changed  chan struct{}
}

func newRolloutWatch(b *testing.B, clusters []*harness.Cluster) *rolloutWatch {
	b.Helper()
	w := &rolloutWatch{clusters: len(clusters), changed: make(chan struct{}, 1)}
	w.expect("")
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)
	for _, c := range clusters {
		f := informers.NewSharedInformerFactoryWithOptions(c.Clientset(), 0, informers.WithNamespace("qcbm"))
		inf := f.Apps().V1().Deployments().Informer()
		name := c.Name()
		_, _ = inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
			AddFunc:    func(obj any) { w.observe(name, obj) },
			UpdateFunc: func(_, obj any) { w.observe(name, obj) },
		})
		f.Start(ctx.Done())
	}
	return w
}

// expect resets the records for a new template annotation value.
func (w *rolloutWatch) expect(value string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.want, w.seen, w.ready = value, map[string]time.Time{}, map[string]time.Time{}
}

func (w *rolloutWatch) observe(cluster string, obj any) {
	now := time.Now()
	d, ok := obj.(*appsv1.Deployment)
	if !ok || d.Name != "user-service" {
		return
	}
	w.mu.Lock()
	if w.want == "" || d.Spec.Template.Annotations[commitAnnotation] != w.want {
		w.mu.Unlock()
		return
	}
	if _, ok := w.seen[cluster]; !ok {
		w.seen[cluster] = now
	}
	if _, ok := w.ready[cluster]; !ok && rolledOut(d) {
		w.ready[cluster] = now
	}
	w.mu.Unlock()
	select {
	case w.changed <- struct{}{}:
	default:
	}
}

// rolledOut is `kubectl rollout status`: the controller saw this
// generation, every replica runs the new template and is available.
func rolledOut(d *appsv1.Deployment) bool {
	want := int32(1)
	if d.Spec.Replicas != nil {
		want = *d.Spec.Replicas
	}
	s := d.Status
	return s.ObservedGeneration >= d.Generation && s.UpdatedReplicas == want && s.Replicas == want && s.AvailableReplicas == want
}

// wait returns how long after start the last cluster showed the template
// and the last one was rolled out.
func (w *rolloutWatch) wait(b *testing.B, start time.Time, timeout time.Duration) (applied, available time.Duration) {
	b.Helper()
	deadline := time.After(timeout)
	for {
		w.mu.Lock()
		if len(w.ready) == w.clusters {
			for _, t := range w.seen {
				applied = max(applied, t.Sub(start))
			}
			for _, t := range w.ready {
				available = max(available, t.Sub(start))
			}
			w.mu.Unlock()
			return applied, available
		}
		w.mu.Unlock()
		select {
		case <-w.changed:
		case <-deadline:
			b.Fatalf("template %s not rolled out on every cluster within %s", w.want, timeout)
		}
	}
}

// serveProcess is `manifold serve` running as its own process.
type serveProcess struct {
	addr string
	log  string
}

// startServe builds manifold and runs `manifold serve` on repo url with a
// webhook secret, polling once an hour so that only webhooks start cycles.
func startServe(b *testing.B, url, creds string) *serveProcess {
	b.Helper()
	dir := b.TempDir()
	bin := filepath.Join(dir, "manifold")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/manifold-gitops/manifold/cmd/manifold").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	s := &serveProcess{addr: ln.Addr().String(), log: filepath.Join(dir, "serve.log")}
	ln.Close()
	logFile, err := os.Create(s.log)
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", "--listen", s.addr, "--repo", url, "--branch", "main",
		"--credentials", creds, "--state-dir", filepath.Join(dir, "state"), "--interval", "1h")
	cmd.Env = append(os.Environ(), "MANIFOLD_WEBHOOK_SECRET="+webhookSecret)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); logFile.Close(); close(done) }()
	b.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if b.Failed() {
			data, _ := os.ReadFile(s.log)
			b.Logf("manifold serve log:\n%s", data)
		}
	})
	return s
}

var syncedLine = regexp.MustCompile(`msg=synced revision=([0-9a-f]+) .*took=(\S+)`)

// cycleDurations reads from the log how long the daemon's first cycle of
// each revision took (poll, fetch, render, sync), as it measured it.
func (s *serveProcess) cycleDurations(b *testing.B, revisions []string) []time.Duration {
	b.Helper()
	data, err := os.ReadFile(s.log)
	if err != nil {
		b.Fatal(err)
	}
	took := map[string]time.Duration{}
	for _, m := range syncedLine.FindAllStringSubmatch(string(data), -1) {
		if _, ok := took[m[1]]; !ok {
			if d, err := time.ParseDuration(m[2]); err == nil {
				took[m[1]] = d
			}
		}
	}
	var out []time.Duration
	for _, r := range revisions {
		if d, ok := took[r]; ok {
			out = append(out, d)
		}
	}
	return out
}

// pushWebhook sends a signed GitHub push delivery for commit sha.
func (s *serveProcess) pushWebhook(b *testing.B, repoURL, sha string) {
	b.Helper()
	body := fmt.Appendf(nil, `{"ref":"refs/heads/main","after":%q,"repository":{"clone_url":%q}}`, sha, repoURL)
	req, err := http.NewRequest(http.MethodPost, "http://"+s.addr+"/webhooks/github", bytes.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	mac := hmac.New(sha256.New, []byte(webhookSecret))
	mac.Write(body)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", "push")
	req.Header.Set("X-GitHub-Delivery", "bench-"+sha)
	req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		b.Fatalf("webhook delivery: status %d, want 202", resp.StatusCode)
	}
}

// waitHealthy waits until /status shows revision sha synced and healthy on
// every cluster, then a moment more for the note to be pushed.
func (s *serveProcess) waitHealthy(b *testing.B, sha string, timeout time.Duration) {
	b.Helper()
	deadline := time.Now().Add(timeout)
	var last string
	for time.Now().Before(deadline) {
		if st, err := s.status(); err == nil {
			if st.healthy(sha) {
				time.Sleep(300 * time.Millisecond)
				return
			}
			last = fmt.Sprintf("%+v", st.Sync)
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.Fatalf("revision %s not healthy within %s; last status %s", sha, timeout, last)
}

type serveStatus struct {
	Sync *struct {
		Revision string `json:"revision"`
		Outcome  string `json:"outcome"`
		Clusters []struct {
			Name   string `json:"name"`
			Health string `json:"health"`
		} `json:"clusters"`
	} `json:"sync"`
}

func (st *serveStatus) healthy(sha string) bool {
	if st.Sync == nil || st.Sync.Revision != sha || len(st.Sync.Clusters) == 0 {
		return false
	}
	for _, c := range st.Sync.Clusters {
		if c.Health != "Healthy" {
			return false
		}
	}
	return true
}

func (s *serveProcess) status() (*serveStatus, error) {
	resp, err := http.Get("http://" + s.addr + "/status")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var st serveStatus
	return &st, json.NewDecoder(resp.Body).Decode(&st)
}
