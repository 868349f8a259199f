package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// demoInfo mirrors the JSON the demo writes with -info.
type demoInfo struct {
	Repo        string `json:"repo"`
	Credentials string `json:"credentials"`
	Listen      string `json:"listen"`
	Log         string `json:"log"`
}

// TestDemo drives `make demo` non-interactively: the demo program starts
// two clusters, a local Git repository and manifold serve; a commit to the
// repository reaches both clusters within seconds through fsnotify; the
// status note is readable with manifold status; Ctrl-C stops everything.
func TestDemo(t *testing.T) {
	bin := filepath.Dir(manifoldBinary(t))
	demo := filepath.Join(bin, "manifold-demo")
	if out, err := exec.Command("go", "build", "-o", demo, "./demo").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	binDir := os.Getenv("MANIFOLD_BIN_DIR")
	if binDir == "" {
		binDir = filepath.Join("..", "bin")
	}
	// The demo runs bin/manifold next to the control-plane binaries.
	for _, name := range []string{"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok"} {
		if _, err := os.Stat(filepath.Join(binDir, name)); err != nil {
			t.Fatalf("%s missing in %s: run make control-plane", name, binDir)
		}
		if err := os.Symlink(mustAbs(t, filepath.Join(binDir, name)), filepath.Join(bin, name)); err != nil && !os.IsExist(err) {
			t.Fatal(err)
		}
	}
	state := t.TempDir()
	infoFile := filepath.Join(state, "info.json")
	cmd := exec.Command(demo, "-state", filepath.Join(state, "demo"), "-bin-dir", bin,
		"-example", filepath.Join("..", "examples", "qcbm"), "-listen", freeAddr(t), "-info", infoFile)
	var output strings.Builder
	cmd.Stdout, cmd.Stderr = &output, &output
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("demo output:\n%s", output.String())
			if data, err := os.ReadFile(filepath.Join(state, "demo", "manifold.log")); err == nil {
				t.Logf("manifold log:\n%s", data)
			}
		}
	})

	var info demoInfo
	eventually(t, 3*time.Minute, "the demo ready", func() bool {
		data, err := os.ReadFile(infoFile)
		return err == nil && json.Unmarshal(data, &info) == nil
	})
	clients := map[string]kubernetes.Interface{}
	for _, c := range []string{"spg-01", "spg-02"} {
		cfg, err := clientcmd.BuildConfigFromFlags("", filepath.Join(info.Credentials, c+".kubeconfig"))
		if err != nil {
			t.Fatal(err)
		}
		clients[c] = kubernetes.NewForConfigOrDie(cfg)
	}
	ctx := context.Background()
	replicas := func(c string) int32 {
		d, err := clients[c].AppsV1().Deployments("qcbm").Get(ctx, "user-service", metav1.GetOptions{})
		if err != nil {
			return -1
		}
		return *d.Spec.Replicas
	}
	eventually(t, 30*time.Second, "QCBM on both clusters", func() bool { return replicas("spg-01") == 1 && replicas("spg-02") == 1 })

	repo := &gitRepo{t: t, dir: info.Repo}
	repo.edit("app/deployments.yaml", "replicas: 1", "replicas: 3")
	start := time.Now()
	sha := repo.commit("Scale user-service")
	eventually(t, 10*time.Second, "the commit applied through fsnotify", func() bool {
		return replicas("spg-01") == 3 && replicas("spg-02") == 3
	})
	t.Logf("commit to applied on both clusters: %s", time.Since(start).Round(time.Millisecond))

	eventually(t, 20*time.Second, "the status note on the commit", func() bool {
		out, code := runManifold(t, "status", "--repo", info.Repo, "--revision", sha)
		return code == 0 && strings.Contains(out, "revision "+sha+": Synced") && strings.Contains(out, "configured Deployment/qcbm/user-service (changed in Git)")
	})
	if log := repo.git("log", "--notes=manifold", "-1"); !strings.Contains(log, "Notes (manifold)") {
		t.Errorf("git log --notes=manifold shows no note:\n%s", log)
	}
	resp, err := http.Get("http://" + info.Listen + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(metrics), `manifold_triggers_total{source="fsnotify"}`) {
		t.Errorf("metrics do not count fsnotify triggers")
	}

	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		stopped = true
		if err != nil {
			t.Errorf("demo exited with %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the demo did not stop within 60s of Ctrl-C")
	}
	if out, _ := exec.Command("pgrep", "-f", state).CombinedOutput(); strings.TrimSpace(string(out)) != "" {
		t.Errorf("processes outlived the demo: %s", out)
	}
}

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	abs, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}
