package e2e

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/manifold-gitops/manifold/e2e/gitserver"
	"github.com/manifold-gitops/manifold/e2e/harness"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const webhookSecret = "e2e-webhook-secret"

func webFiles(clusters, color string) map[string]string {
	return map[string]string{
		"clusters.yaml": clusters,
		"subscription.yaml": `apiVersion: manifold.dev/v1alpha1
kind: Subscription
metadata: {name: web}
spec:
  subscribers: [{clusterAffinity: {matchExpressions: [{key: manifold.dev/cluster, operator: Exists}]}}]
  source: {path: app}
`,
		"app/namespace.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: web}\n",
		"app/settings.yaml":  "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: web}\ndata: {color: " + color + "}\n",
	}
}

func colorOf(c *harness.Cluster) string {
	cm, err := c.Clientset().CoreV1().ConfigMaps("web").Get(context.Background(), "settings", metav1.GetOptions{})
	if err != nil {
		return ""
	}
	return cm.Data["color"]
}

func colorEverywhere(t *testing.T, env *harness.Env, color string, within time.Duration) {
	t.Helper()
	eventually(t, within, "color "+color+" on every cluster", func() bool {
		for _, c := range env.Clusters() {
			if colorOf(c) != color {
				return false
			}
		}
		return true
	})
}

// pushWebhook sends a GitHub push delivery, signed when sign is set.
func pushWebhook(t *testing.T, addr, repoURL, after string, sign bool) int {
	t.Helper()
	body := []byte(fmt.Sprintf(`{"ref":"refs/heads/main","after":%q,"repository":{"clone_url":%q}}`, after, repoURL))
	return githubDelivery(t, addr, "push", "delivery-"+after, body, sign)
}

// githubDelivery posts a GitHub delivery, signed with webhookSecret when
// sign is set, and returns the status code.
func githubDelivery(t *testing.T, addr, event, id string, body []byte, sign bool) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, "http://"+addr+"/webhooks/github", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", event)
	req.Header.Set("X-GitHub-Delivery", id)
	if sign {
		mac := hmac.New(sha256.New, []byte(webhookSecret))
		mac.Write(body)
		req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// remoteNote clones the remote's notes and returns the note on commit.
func remoteNote(t *testing.T, repoURL, commit string) string {
	t.Helper()
	dir := t.TempDir()
	gitserver.Git(t, dir, "init", "-q")
	if _, err := gitserver.RunGit(dir, "fetch", "-q", repoURL, "refs/notes/manifold:refs/notes/manifold", "+refs/heads/main:refs/remotes/origin/main"); err != nil {
		return ""
	}
	out, err := gitserver.RunGit(dir, "notes", "--ref=manifold", "show", commit)
	if err != nil {
		return ""
	}
	return out
}

// TestDaemon runs `manifold serve` against a Git server over smart HTTP and
// two clusters: polling, status notes, restarts without writes, webhooks,
// concurrent notes writers and a Git outage.
func TestDaemon(t *testing.T) {
	env := harness.ForTest(t,
		harness.ClusterSpec{Name: "SPG-01", Mode: harness.Light},
		harness.ClusterSpec{Name: "SPG-02", Mode: harness.Light})
	creds, clusters := credentials(t, env)
	git := gitserver.Start(t)
	url, work := git.NewRepo(t, "config")
	gitserver.CommitAndPush(t, work, "web app", webFiles(string(clusters), "blue"))
	state := t.TempDir()
	args := func(interval string) []string {
		return []string{"--repo", url, "--branch", "main", "--credentials", creds, "--state-dir", state, "--interval", interval}
	}
	srvEnv := []string{"MANIFOLD_WEBHOOK_SECRET=" + webhookSecret}
	top := t // servers outlive the subtest that starts them
	srv := startServe(top, srvEnv, args("1s")...)
	srv.waitReady()
	colorEverywhere(t, env, "blue", 10*time.Second)

	var green string
	t.Run("1 a pushed commit reaches both clusters by polling", func(t *testing.T) {
		green = gitserver.CommitAndPush(t, work, "green", map[string]string{"app/settings.yaml": webFiles("", "green")["app/settings.yaml"]})
		colorEverywhere(t, env, "green", 20*time.Second)
	})

	t.Run("3 the note for the synced commit is on the remote", func(t *testing.T) {
		var note string
		eventually(t, 20*time.Second, "a note on the remote", func() bool {
			note = remoteNote(t, url, green)
			return strings.Contains(note, "health: Healthy")
		})
		for _, want := range []string{"revision: " + green, "outcome: Synced", "name: SPG-01", "name: SPG-02", "configured: 1", "unchanged: 1", "configured ConfigMap/web/settings (changed in Git)"} {
			if !strings.Contains(note, want) {
				t.Errorf("note lacks %q:\n%s", want, note)
			}
		}
	})

	t.Run("4 a restart makes no writes for an applied revision", func(t *testing.T) {
		before := managedVersions(t, env)
		srv.stop()
		srv = startServe(top, srvEnv, args("1h")...)
		srv.waitReady()
		time.Sleep(2 * time.Second)
		if after := managedVersions(t, env); !equalMaps(before, after) {
			t.Errorf("objects were written after the restart:\nbefore %v\nafter  %v", before, after)
		}
	})

	t.Run("2 a signed webhook syncs at once, an unsigned one does nothing", func(t *testing.T) {
		red := gitserver.CommitAndPush(t, work, "red", map[string]string{"app/settings.yaml": webFiles("", "red")["app/settings.yaml"]})
		if code := pushWebhook(t, srv.addr, url, red, false); code != http.StatusUnauthorized {
			t.Errorf("unsigned delivery: status %d, want 401", code)
		}
		time.Sleep(2 * time.Second)
		if c := colorOf(env.Cluster("SPG-01")); c != "green" {
			t.Fatalf("an unsigned webhook (or a poll) synced: color %s", c)
		}
		start := time.Now()
		if code := pushWebhook(t, srv.addr, url, red, true); code != http.StatusAccepted {
			t.Fatalf("signed delivery: status %d, want 202", code)
		}
		colorEverywhere(t, env, "red", 5*time.Second)
		t.Logf("webhook to applied on both clusters: %s", time.Since(start).Round(time.Millisecond))
	})

	t.Run("6 a concurrent notes writer: both notes survive", func(t *testing.T) {
		other := t.TempDir()
		gitserver.Git(t, other, "clone", "-q", url, ".")
		gitserver.Git(t, other, "fetch", "-q", "origin", "refs/notes/manifold:refs/notes/manifold")
		first := gitserver.Git(t, other, "rev-list", "--max-parents=0", "HEAD")
		gitserver.Git(t, other, "notes", "--ref=manifold", "add", "-f", "-m", "reviewed by the other writer", first)
		gitserver.Git(t, other, "push", "-q", "origin", "refs/notes/manifold")
		yellow := gitserver.CommitAndPush(t, work, "yellow", map[string]string{"app/settings.yaml": webFiles("", "yellow")["app/settings.yaml"]})
		pushWebhook(t, srv.addr, url, yellow, true)
		colorEverywhere(t, env, "yellow", 10*time.Second)
		eventually(t, 20*time.Second, "the daemon's note on the yellow commit", func() bool {
			return strings.Contains(remoteNote(t, url, yellow), "outcome: Synced")
		})
		if note := remoteNote(t, url, first); !strings.Contains(note, "reviewed by the other writer") {
			t.Errorf("the other writer's note was lost: %q", note)
		}
	})

	t.Run("5 the Git server goes down: state is kept, the error reported, then the next commit applies", func(t *testing.T) {
		git.Stop()
		pushWebhook(t, srv.addr, url, "outage", true)
		eventually(t, 10*time.Second, "the Git error in /status", func() bool {
			e, _ := srv.status()["gitError"].(string)
			return e != ""
		})
		if e, _ := srv.status()["gitError"].(string); strings.Contains(e, webhookSecret) {
			t.Errorf("secret in the status error: %s", e)
		}
		if c := colorOf(env.Cluster("SPG-02")); c != "yellow" {
			t.Errorf("cluster state changed during the outage: %s", c)
		}
		if err := git.Start(); err != nil {
			t.Fatal(err)
		}
		purple := gitserver.CommitAndPush(t, work, "purple", map[string]string{"app/settings.yaml": webFiles("", "purple")["app/settings.yaml"]})
		pushWebhook(t, srv.addr, url, purple, true)
		colorEverywhere(t, env, "purple", 10*time.Second)
		eventually(t, 10*time.Second, "the Git error cleared", func() bool {
			_, failing := srv.status()["gitError"]
			return !failing
		})
	})
}

// managedVersions returns the resourceVersions of the web app and the
// inventories on every cluster.
func managedVersions(t *testing.T, env *harness.Env) map[string]string {
	t.Helper()
	out := map[string]string{}
	ctx := context.Background()
	for _, c := range env.Clusters() {
		for _, ns := range []string{"web", "manifold-system"} {
			list, err := c.Clientset().CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{})
			if err != nil && !apierrors.IsNotFound(err) {
				t.Fatal(err)
			}
			for _, cm := range list.Items {
				out[c.Name()+"/"+ns+"/"+cm.Name] = cm.ResourceVersion
			}
		}
		nsObj, err := c.Clientset().CoreV1().Namespaces().Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		out[c.Name()+"/Namespace/web"] = nsObj.ResourceVersion
	}
	return out
}
