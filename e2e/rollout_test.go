package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/manifold-gitops/manifold/e2e/gitserver"
	"github.com/manifold-gitops/manifold/e2e/harness"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// rolloutSubscription is the web subscription with a canary wave on SPG-02.
func rolloutSubscription(soak, onFailure string) string {
	return `apiVersion: manifold.dev/v1alpha1
kind: Subscription
metadata: {name: web}
spec:
  subscribers: [{clusterAffinity: {matchExpressions: [{key: manifold.dev/cluster, operator: Exists}]}}]
  source: {path: app}
  rollout:
    waves:
      - {name: canary, clusters: [SPG-02], soak: ` + soak + `}
      - {name: rest}
    progressDeadline: 20s
    onFailure: ` + onFailure + `
`
}

func rolloutApp(image string) string {
	return `apiVersion: v1
kind: Namespace
metadata: {name: rollout}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: rollout}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "` + image + `"}]
`
}

const (
	imageV1 = "registry.example/web:v1"
	imageV2 = "registry.example/web:v2"
	imageV3 = "registry.example/web:v3"
)

// webImage returns the image of Deployment rollout/web on c ("" if absent)
// and whether that image is rolled out: every replica updated and
// available, no old one left.
func webImage(c *harness.Cluster) (string, bool) {
	d, err := c.Clientset().AppsV1().Deployments("rollout").Get(context.Background(), "web", metav1.GetOptions{})
	if err != nil || len(d.Spec.Template.Spec.Containers) == 0 {
		return "", false
	}
	want := *d.Spec.Replicas
	done := d.Status.ObservedGeneration >= d.Generation && d.Status.UpdatedReplicas == want &&
		d.Status.AvailableReplicas == want && d.Status.Replicas == want
	return d.Spec.Template.Spec.Containers[0].Image, done
}

// rolloutNote is the web rollout in the daemon's /status.
type rolloutNote struct {
	Subscription, Revision, Stable, Wave, State, Message string
	OnStable                                             []string
}

func webRollout(s *server) rolloutNote {
	s.t.Helper()
	var body struct {
		Sync struct{ Rollouts []rolloutNote }
	}
	b, _ := json.Marshal(s.status())
	if err := json.Unmarshal(b, &body); err != nil {
		s.t.Fatal(err)
	}
	for _, r := range body.Sync.Rollouts {
		if r.Subscription == "web" {
			return r
		}
	}
	return rolloutNote{}
}

func waitRollout(t *testing.T, s *server, revision, state string, within time.Duration) rolloutNote {
	t.Helper()
	var r rolloutNote
	eventually(t, within, "rollout of "+revision+" "+state, func() bool {
		r = webRollout(s)
		return r.Revision == revision && r.State == state
	})
	return r
}

// TestRolloutWaves runs `manifold serve` on two full clusters with a canary
// wave on SPG-02 (soak 3s, progress deadline 20s): an image change reaches
// SPG-01 only after SPG-02 has been healthy for the soak; a restart during
// the soak resumes the rollout; a broken image halts at the canary; with
// onFailure Rollback the canary returns to the previous image.
func TestRolloutWaves(t *testing.T) {
	env := harness.ForTest(t,
		harness.ClusterSpec{Name: "SPG-01", Mode: harness.Full},
		harness.ClusterSpec{Name: "SPG-02", Mode: harness.Full})
	spg01, spg02 := env.Cluster("SPG-01"), env.Cluster("SPG-02")
	creds, clusters := credentials(t, env)
	git := gitserver.Start(t)
	url, work := git.NewRepo(t, "config")
	v1 := gitserver.CommitAndPush(t, work, "web v1", map[string]string{
		"clusters.yaml":     string(clusters),
		"subscription.yaml": rolloutSubscription("3s", "Halt"),
		"app/web.yaml":      rolloutApp(imageV1),
	})
	state := t.TempDir()
	args := []string{"--repo", url, "--branch", "main", "--credentials", creds, "--state-dir", state, "--interval", "1s"}
	top := t // servers outlive the subtest that starts them
	srv := startServe(top, nil, args...)
	srv.waitReady()
	// The first revision has nothing to protect: it goes everywhere at once.
	waitRollout(t, srv, v1, "Completed", 20*time.Second)
	waitImage(t, spg01, imageV1)
	waitImage(t, spg02, imageV1)

	t.Run("1 canary: SPG-01 gets the new image only after SPG-02 has been healthy for the soak", func(t *testing.T) {
		v2 := gitserver.CommitAndPush(t, work, "web v2", map[string]string{"app/web.yaml": rolloutApp(imageV2)})
		var canaryReady, promoted time.Time
		sawSoaking := false
		eventually(t, 60*time.Second, "v2 on both clusters", func() bool {
			img01, _ := webImage(spg01)
			img02, done02 := webImage(spg02)
			now := time.Now()
			if img02 == imageV2 && done02 && canaryReady.IsZero() {
				canaryReady = now
			}
			if img01 == imageV2 && promoted.IsZero() {
				promoted = now
			}
			if promoted.IsZero() && img02 == imageV2 {
				if r := webRollout(srv); r.Revision == v2 && r.State == "Soaking" {
					sawSoaking = true
					if r.Wave != "canary" || r.Stable != v1 || strings.Join(r.OnStable, ",") != "SPG-01" {
						t.Errorf("soaking rollout = %+v, want wave canary, stable %s, SPG-01 on it", r, v1)
					}
				}
			}
			return !promoted.IsZero()
		})
		if canaryReady.IsZero() {
			t.Fatal("SPG-01 got v2 before SPG-02 had rolled it out")
		}
		t.Logf("SPG-02 rolled out v2, SPG-01 got it %s later (soak 3s)", promoted.Sub(canaryReady).Round(time.Millisecond))
		if gap := promoted.Sub(canaryReady); gap < 2500*time.Millisecond {
			t.Errorf("SPG-01 got v2 %s after SPG-02 was healthy, want at least the 3s soak", gap)
		}
		if !sawSoaking {
			t.Error("/status never showed the rollout Soaking")
		}
		waitRollout(t, srv, v2, "Completed", 30*time.Second)
		waitImage(t, spg01, imageV2)
		if m := metrics(t, srv); !strings.Contains(m, `manifold_rollout_state{state="Completed",subscription="web"} 1`) {
			t.Errorf("metrics lack the completed rollout:\n%s", grepLines(m, "manifold_rollout"))
		}
	})

	var v3 string
	t.Run("4 a restart during the soak resumes the rollout where it was", func(t *testing.T) {
		v3 = gitserver.CommitAndPush(t, work, "web v3, soak 8s", map[string]string{
			"app/web.yaml": rolloutApp(imageV3), "subscription.yaml": rolloutSubscription("8s", "Halt"),
		})
		waitRollout(t, srv, v3, "Soaking", 30*time.Second)
		srv.stop()
		var saved struct {
			Subscriptions map[string]struct {
				Target       string
				Wave         int
				State        string
				HealthySince time.Time
			}
		}
		data, err := os.ReadFile(filepath.Join(state, "rollouts.json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(data, &saved); err != nil {
			t.Fatal(err)
		}
		web := saved.Subscriptions["web"]
		if web.Target != v3 || web.Wave != 0 || web.State != "Soaking" || web.HealthySince.IsZero() {
			t.Fatalf("saved rollout state = %+v, want v3 soaking in wave 0", web)
		}
		soaked := web.HealthySince.Add(8 * time.Second)
		// Down for most of the soak: resumed, the rollout completes soon
		// after the restart; started over, it would soak 8s again.
		time.Sleep(time.Until(soaked.Add(-2 * time.Second)))
		restart := time.Now()
		srv = startServe(top, nil, args...)
		srv.waitReady()
		if img, _ := webImage(spg01); img != imageV2 && time.Now().Before(soaked) {
			t.Errorf("SPG-01 runs %s right after the restart, before the soak ended; want %s", img, imageV2)
		}
		waitImage(t, spg01, imageV3)
		promoted := time.Now()
		if promoted.Before(soaked) {
			t.Errorf("SPG-01 got v3 at %s, before the soak ended at %s", promoted, soaked)
		}
		t.Logf("restarted %s before the soak ended; SPG-01 got v3 %s after the restart", soaked.Sub(restart).Round(time.Millisecond), promoted.Sub(restart).Round(time.Millisecond))
		if took := promoted.Sub(restart); took > 6*time.Second {
			t.Errorf("SPG-01 got v3 %s after the restart: the soak started over", took)
		}
		waitRollout(t, srv, v3, "Completed", 30*time.Second)
	})

	t.Run("2 a broken image halts at the canary; SPG-01 is untouched", func(t *testing.T) {
		broken := gitserver.CommitAndPush(t, work, "web broken", map[string]string{
			"app/web.yaml": rolloutApp("registry.example/web" + harness.BrokenImageSuffix), "subscription.yaml": rolloutSubscription("3s", "Halt"),
		})
		eventually(t, 20*time.Second, "the broken image on SPG-02", func() bool {
			img, _ := webImage(spg02)
			return img == "registry.example/web"+harness.BrokenImageSuffix
		})
		r := waitRollout(t, srv, broken, "Halted", 45*time.Second)
		if r.Wave != "canary" || !strings.Contains(r.Message, "SPG-02") {
			t.Errorf("halted rollout = %+v, want wave canary naming SPG-02", r)
		}
		if img, _ := webImage(spg01); img != imageV3 {
			t.Errorf("SPG-01 runs %s, want %s untouched", img, imageV3)
		}
		eventually(t, 20*time.Second, "the Halted rollout in the note on the remote", func() bool {
			return strings.Contains(remoteNote(t, url, broken), "state: Halted")
		})
		if m := metrics(t, srv); !strings.Contains(m, `manifold_rollout_state{state="Halted",subscription="web"} 1`) ||
			!strings.Contains(m, `manifold_rollout_wave{subscription="web"} 0`) {
			t.Errorf("metrics lack the halted rollout:\n%s", grepLines(m, "manifold_rollout"))
		}
		time.Sleep(2 * time.Second) // halted stays halted
		if img, _ := webImage(spg01); img != imageV3 {
			t.Errorf("SPG-01 runs %s after the halt, want %s", img, imageV3)
		}
	})

	t.Run("3 with onFailure Rollback the canary returns to the previous image", func(t *testing.T) {
		next := "registry.example/web-next" + harness.BrokenImageSuffix
		rev := gitserver.CommitAndPush(t, work, "web-next, rollback on failure", map[string]string{
			"app/web.yaml": rolloutApp(next), "subscription.yaml": rolloutSubscription("3s", "Rollback"),
		})
		eventually(t, 20*time.Second, "the new broken image on SPG-02", func() bool {
			img, _ := webImage(spg02)
			return img == next
		})
		r := waitRollout(t, srv, rev, "RolledBack", 45*time.Second)
		if r.Stable != v3 || r.Wave != "canary" || strings.Join(r.OnStable, ",") != "SPG-01,SPG-02" {
			t.Errorf("rolled back rollout = %+v, want wave canary, both clusters on stable %s (the last completed)", r, v3)
		}
		waitImage(t, spg02, imageV3)
		if img, _ := webImage(spg01); img != imageV3 {
			t.Errorf("SPG-01 runs %s, want %s untouched", img, imageV3)
		}
	})
}

// waitImage waits until c has rolled out image.
func waitImage(t *testing.T, c *harness.Cluster, image string) {
	t.Helper()
	eventually(t, 60*time.Second, c.Name()+" running "+image, func() bool {
		img, done := webImage(c)
		return img == image && done
	})
}

func metrics(t *testing.T, s *server) string {
	t.Helper()
	resp, err := http.Get("http://" + s.addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func grepLines(text, substr string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
