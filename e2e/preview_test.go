package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/manifold-gitops/manifold/diff"
	"github.com/manifold-gitops/manifold/e2e/gitserver"
	"github.com/manifold-gitops/manifold/e2e/harness"
	"github.com/manifold-gitops/manifold/gitsource"
	"github.com/manifold-gitops/manifold/reconciler"
	"github.com/manifold-gitops/manifold/render"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// requestLog records every request but GET and HEAD, with its query.
type requestLog struct {
	mu     sync.Mutex
	writes []string
}

func (l *requestLog) wrap(cluster string, rt http.RoundTripper) http.RoundTripper {
	return roundTripperFunc(func(req *http.Request) (*http.Response, error) {
		if req.Method != http.MethodGet && req.Method != http.MethodHead {
			l.mu.Lock()
			l.writes = append(l.writes, cluster+" "+req.Method+" "+req.URL.RequestURI())
			l.mu.Unlock()
		}
		return rt.RoundTrip(req)
	})
}

func (l *requestLog) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.writes...)
}

// liveRepo declares SPG-01 and SPG-02 and one subscription, web, with a
// namespace, a ConfigMap, a Deployment and a Secret on both.
func liveRepo(t *testing.T) *gitRepo {
	r := &gitRepo{t: t, dir: t.TempDir()}
	r.git("init", "-q", "-b", "main")
	r.write("clusters.yaml", twoClusters)
	r.write("subscription.yaml", `apiVersion: manifold.dev/v1alpha1
kind: Subscription
metadata: {name: web}
spec:
  subscribers: [{clusterAffinity: {matchExpressions: [{key: manifold.dev/cluster, operator: Exists}]}}]
  source: {path: app}
`)
	r.write("app/namespace.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: web}\n")
	r.write("app/settings.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: web}\ndata: {color: blue}\n")
	r.write("app/secret.yaml", "apiVersion: v1\nkind: Secret\nmetadata: {name: creds, namespace: web}\nstringData: {password: git-password-1}\n")
	r.write("app/deployment.yaml", `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: "nginx:1.27"}]}
`)
	r.commit("web app")
	return r
}

// TestLiveDiff syncs a repository, changes a cluster by hand, then
// previews the unchanged head against the live clusters: the drift shows
// as configured objects, secrets stay masked, the only non-GET requests
// are dry runs and nothing changes; `manifold diff --live` shows the same
// and reports a stopped cluster without failing.
func TestLiveDiff(t *testing.T) {
	env := harness.ForTest(t,
		harness.ClusterSpec{Name: "SPG-01", Mode: harness.Light},
		harness.ClusterSpec{Name: "SPG-02", Mode: harness.Light})
	repo := liveRepo(t)
	s := newSyncer(t, env, repo, nil)
	if rep := s.sync(); rep.Failed() {
		t.Fatalf("first sync failed: %+v", rep)
	}
	ctx := context.Background()
	spg01 := env.Cluster("SPG-01").Clientset()
	scale, err := spg01.AppsV1().Deployments("web").GetScale(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	scale.Spec.Replicas = 5
	if _, err := spg01.AppsV1().Deployments("web").UpdateScale(ctx, "web", scale, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	secret, err := spg01.CoreV1().Secrets("web").Get(ctx, "creds", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	secret.Data["password"] = []byte("hand-password-2")
	if _, err := spg01.CoreV1().Secrets("web").Update(ctx, secret, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	// A commit that adds a namespace with an object in it.
	repo.write("app/extra.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: extra}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: extra}\ndata: {k: v}\n")
	repo.commit("extra namespace")

	t.Run("Preview writes nothing", func(t *testing.T) {
		before := managedVersions(t, env)
		log := &requestLog{}
		creds := t.TempDir()
		if err := env.WriteCredentials(creds); err != nil {
			t.Fatal(err)
		}
		rec := reconciler.New(reconciler.Options{Connect: reconciler.ConnectOptions{
			CredentialsDir: creds, Timeout: 10 * time.Second, WrapTransport: log.wrap}})
		head, err := gitsource.ReadRevision(ctx, repo.dir, "HEAD", gitsource.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		res := render.NewRenderer(render.Limits{}).Render(ctx, head)
		pr := rec.Preview(ctx, res, reconciler.Approvals{})
		writes := log.all()
		if len(writes) == 0 {
			t.Fatal("no dry run was sent")
		}
		for _, w := range writes {
			if !strings.Contains(w, " PATCH ") || !strings.Contains(w, "dryRun=All") {
				t.Errorf("a request that is not a dry-run apply: %s", w)
			}
		}
		if after := managedVersions(t, env); !equalMaps(before, after) {
			t.Errorf("the preview changed objects:\nbefore %v\nafter  %v", before, after)
		}
		if _, err := spg01.CoreV1().Namespaces().Get(ctx, "extra", metav1.GetOptions{}); err == nil {
			t.Error("the preview created Namespace/extra")
		}
		var steps []string
		for _, cp := range pr.Clusters {
			if cp.Err != nil {
				t.Fatalf("%s: %v", cp.Name, cp.Err)
			}
			for _, sp := range cp.Sets {
				if sp.Err != nil {
					t.Fatalf("%s %s: %v", cp.Name, sp.Subscription, sp.Err)
				}
				for _, st := range sp.Plan.Steps {
					line := cp.Name + " " + string(st.Action) + " " + st.Key.String()
					if r, ok := sp.DryRuns[st.Key]; ok {
						switch {
						case r.Err != nil:
							line += " failed: " + r.Err.Error()
						case r.Unchecked != "":
							line += " unchecked"
						case r.Object != nil:
							line += " checked"
						}
					}
					steps = append(steps, line)
				}
			}
		}
		got := strings.Join(steps, "\n")
		for _, want := range []string{
			"SPG-01 configured Deployment/web/web checked",
			"SPG-01 configured Secret/web/creds checked",
			"SPG-01 unchanged ConfigMap/web/settings",
			"SPG-02 unchanged Deployment/web/web",
			"SPG-01 created Namespace/extra checked",
			"SPG-01 created ConfigMap/extra/x unchecked",
		} {
			if !strings.Contains(got, want) {
				t.Errorf("steps lack %q:\n%s", want, got)
			}
		}

		var out bytes.Buffer
		rep := diff.Compute(diff.Input{Head: res, Live: pr})
		if err := rep.WriteJSON(&out); err != nil {
			t.Fatal(err)
		}
		for _, secretText := range []string{"git-password-1", "hand-password-2", "Z2l0LXBhc3N3b3JkLTE", "aGFuZC1wYXNzd29yZC0y"} {
			if strings.Contains(out.String(), secretText) {
				t.Errorf("the report shows a secret value %q:\n%s", secretText, out.String())
			}
		}
		if !strings.Contains(out.String(), `-  password: '***'`) || !strings.Contains(out.String(), `+  password: <changed>`) {
			t.Errorf("the Secret's diff is not masked as expected:\n%s", out.String())
		}
	})

	t.Run("manifold diff --live", func(t *testing.T) {
		creds := t.TempDir()
		if err := env.WriteCredentials(creds); err != nil {
			t.Fatal(err)
		}
		if err := env.Cluster("SPG-02").StopAPIServer(ctx); err != nil {
			t.Fatal(err)
		}
		defer func() {
			if err := env.Cluster("SPG-02").StartAPIServer(ctx); err != nil {
				t.Error(err)
			}
		}()
		args := []string{"diff", "--live", "--repo", repo.dir, "--base", "HEAD~1", "--head", "HEAD", "--credentials", creds, "--cluster-timeout", "5s"}
		out, code := runManifold(t, append(args, "-o", "json")...)
		if code != 0 {
			t.Fatalf("diff --live: exit %d\n%s", code, out)
		}
		var rep diff.Report
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		if !rep.Live || len(rep.Clusters) != 2 {
			t.Fatalf("report: %s", out)
		}
		spg01, spg02 := rep.Clusters[0], rep.Clusters[1]
		if spg01.Unreachable || !spg02.Unreachable || !strings.Contains(spg02.Note, "unreachable") {
			t.Errorf("reachability: SPG-01 %v, SPG-02 %v %q", spg01.Unreachable, spg02.Unreachable, spg02.Note)
		}
		var deployment *diff.Object
		for _, o := range spg01.Subscriptions[0].Objects {
			if o.Subject == "Deployment/web/web" {
				deployment = o
			}
		}
		if deployment == nil || deployment.Action != reconciler.Configured || !strings.Contains(deployment.Reason, "drift at spec.replicas") ||
			len(deployment.Fields) != 1 || deployment.Fields[0].Path != "spec.replicas" ||
			!strings.Contains(deployment.Diff, "-  replicas: 5\n+  replicas: 2") {
			t.Errorf("the drifted Deployment: %+v", deployment)
		}

		text, code := runManifold(t, args...)
		t.Logf("manifold diff --live:\n%s", text)
		for _, want := range []string{
			"manifold diff: live clusters (base ",
			"SPG-01 web: created 2, configured 2",
			"  configured Deployment/web/web (from app/deployment.yaml:1; drift at spec.replicas)",
			"    changed spec.replicas: from app/deployment.yaml:1",
			"  created ConfigMap/extra/x (from app/extra.yaml:5; its namespace is created by this sync; not checked by the dry run)",
			"SPG-02: cluster SPG-02 is unreachable",
			"compared with the base revision",
			"SPG-02 web: created 2",
		} {
			if !strings.Contains(text, want) {
				t.Errorf("text output lacks %q:\n%s", want, text)
			}
		}
		if code != 0 {
			t.Errorf("text: exit %d", code)
		}
	})
}

// deliverGitHub posts a signed GitHub delivery and returns the status code.
func deliverGitHub(t *testing.T, addr, event, id string, body []byte) int {
	t.Helper()
	return githubDelivery(t, addr, event, id, body, true)
}

// getPreview reads /previews/<sha> in format and returns the status and body.
func getPreview(t *testing.T, addr, sha, format string) (int, string) {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/previews/" + sha + "?format=" + format)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

// TestPullRequestPreview runs `manifold serve` against a Git server over
// smart HTTP: a signed pull_request delivery makes it fetch the pull
// request's head from refs/pull/1/head, preview it against the live
// clusters, serve the preview at /previews/<sha> and push it as a note
// under refs/notes/manifold-preview; nothing is applied.
func TestPullRequestPreview(t *testing.T) {
	env := harness.ForTest(t,
		harness.ClusterSpec{Name: "SPG-01", Mode: harness.Light},
		harness.ClusterSpec{Name: "SPG-02", Mode: harness.Light})
	creds, clusters := credentials(t, env)
	git := gitserver.Start(t)
	url, work := git.NewRepo(t, "config")
	main := gitserver.CommitAndPush(t, work, "web app", webFiles(string(clusters), "blue"))
	srv := startServe(t, []string{"MANIFOLD_WEBHOOK_SECRET=" + webhookSecret},
		"--repo", url, "--branch", "main", "--credentials", creds, "--state-dir", t.TempDir(), "--interval", "1h")
	srv.waitReady()
	colorEverywhere(t, env, "blue", 10*time.Second)
	before := managedVersions(t, env)

	// A branch giving SPG-02 its own color, and the pull request ref a
	// forge would create for it.
	gitserver.Git(t, work, "checkout", "-q", "-b", "green-spg-02")
	head := gitserver.Commit(t, work, "SPG-02 turns green", map[string]string{"localizations/spg-02.yaml": `apiVersion: apps.clusternet.io/v1alpha1
kind: Localization
metadata: {name: spg-02-color, namespace: SPG-02}
spec:
  feed: {apiVersion: v1, kind: ConfigMap, name: settings, namespace: web}
  overrides:
    - {name: color, type: MergePatch, value: '{"data":{"color":"green"}}'}
`})
	gitserver.Git(t, work, "push", "-q", "origin", "green-spg-02")
	gitserver.Git(t, git.Dir("config"), "update-ref", "refs/pull/1/head", head)

	if code, _ := getPreview(t, srv.addr, head, "markdown"); code != http.StatusNotFound {
		t.Errorf("a preview before the delivery: status %d, want 404", code)
	}
	body := []byte(fmt.Sprintf(`{"action":"opened","number":1,"pull_request":{"number":1,`+
		`"head":{"ref":"green-spg-02","sha":%q,"repo":{"clone_url":%q}},"base":{"ref":"main","sha":%q,"repo":{"clone_url":%q}}},`+
		`"repository":{"clone_url":%q}}`, head, url, main, url, url))
	if code := deliverGitHub(t, srv.addr, "pull_request", "pr-1-opened", body); code != http.StatusAccepted {
		t.Fatalf("pull_request delivery: status %d, want 202", code)
	}

	var markdown string
	eventually(t, 30*time.Second, "the preview at /previews/"+head, func() bool {
		var code int
		code, markdown = getPreview(t, srv.addr, head, "")
		return code == http.StatusOK
	})
	t.Logf("preview of pull request #1:\n%s", markdown)
	for _, want := range []string{"live clusters (base `" + main[:12] + "` where unreachable) → head `" + head[:12] + "`",
		"| SPG-02 | web | 0 | 1 | 0 | 0 | 0 |", "SPG-01: no change", "`ConfigMap/web/settings`", "`Localization/SPG-02/spg-02-color`"} {
		if !strings.Contains(markdown, want) {
			t.Errorf("markdown preview lacks %q:\n%s", want, markdown)
		}
	}
	code, text := getPreview(t, srv.addr, head, "json")
	var rep diff.Report
	if err := json.Unmarshal([]byte(text), &rep); code != http.StatusOK || err != nil {
		t.Fatalf("json preview: %d %v\n%s", code, err, text)
	}
	if !rep.Live || rep.Head.Revision != head || len(rep.Clusters) != 2 || rep.Clusters[0].Changed || !rep.Clusters[1].Changed {
		t.Errorf("json preview:\n%s", text)
	}
	if code, _ := getPreview(t, srv.addr, head, "yaml"); code != http.StatusBadRequest {
		t.Errorf("format yaml: status %d, want 400", code)
	}

	var note string
	eventually(t, 20*time.Second, "the preview note on the remote", func() bool {
		dir := t.TempDir()
		gitserver.Git(t, dir, "init", "-q")
		if _, err := gitserver.RunGit(dir, "fetch", "-q", url, "refs/notes/manifold-preview:refs/notes/manifold-preview", "+refs/heads/green-spg-02:refs/remotes/origin/green-spg-02"); err != nil {
			return false
		}
		note, _ = gitserver.RunGit(dir, "notes", "--ref=manifold-preview", "show", head)
		return note != ""
	})
	if !strings.Contains(note, "Preview of pull request #1 by manifold.") || !strings.Contains(note, "| SPG-02 | web | 0 | 1 | 0 | 0 | 0 |") {
		t.Errorf("preview note:\n%s", note)
	}

	if after := managedVersions(t, env); !equalMaps(before, after) {
		t.Errorf("the preview changed the clusters:\nbefore %v\nafter  %v", before, after)
	}
	if c := colorOf(env.Cluster("SPG-02")); c != "blue" {
		t.Errorf("SPG-02 runs color %s, want blue: the pull request was applied", c)
	}
}
