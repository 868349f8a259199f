package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
)

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
)

// manifoldBinary builds cmd/manifold once per test run.
func manifoldBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "manifold-e2e-bin-")
		if err != nil {
			buildErr = err
			return
		}
		builtBin = filepath.Join(dir, "manifold")
		out, err := exec.Command("go", "build", "-o", builtBin, "../cmd/manifold").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtBin
}

// freeAddr returns a free 127.0.0.1 address.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// server is a running `manifold serve` process.
type server struct {
	t    *testing.T
	cmd  *exec.Cmd
	addr string
	log  string
	done chan struct{}
}

// startServe runs `manifold serve` with args plus --listen, until stopped
// or the test ends. Its log is printed when the test fails.
func startServe(t *testing.T, env []string, args ...string) *server {
	t.Helper()
	s := &server{t: t, addr: freeAddr(t), done: make(chan struct{})}
	logFile, err := os.CreateTemp(t.TempDir(), "serve-*.log")
	if err != nil {
		t.Fatal(err)
	}
	s.log = logFile.Name()
	s.cmd = exec.Command(manifoldBinary(t), append([]string{"serve", "--listen", s.addr}, args...)...)
	s.cmd.Env = append(os.Environ(), env...)
	s.cmd.Stdout, s.cmd.Stderr = logFile, logFile
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = s.cmd.Wait(); logFile.Close(); close(s.done) }()
	t.Cleanup(func() {
		s.stop()
		if t.Failed() {
			data, _ := os.ReadFile(s.log)
			t.Logf("manifold serve log:\n%s", data)
		}
	})
	return s
}

// stop sends SIGTERM and waits for the process to exit.
func (s *server) stop() {
	select {
	case <-s.done:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
		s.t.Error("manifold serve did not stop within 30s of SIGTERM")
	}
}

// waitReady waits until /readyz answers 200.
func (s *server) waitReady() {
	s.t.Helper()
	s.eventually(time.Minute, "manifold serve ready", func() bool {
		resp, err := http.Get("http://" + s.addr + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

// status reads /status.
func (s *server) status() map[string]any {
	s.t.Helper()
	resp, err := http.Get("http://" + s.addr + "/status")
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		s.t.Fatal(err)
	}
	return out
}

func (s *server) eventually(timeout time.Duration, what string, cond func() bool) {
	s.t.Helper()
	eventually(s.t, timeout, what, cond)
}

// eventually polls cond until it holds or fails the test after timeout.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	err := wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, timeout, true, func(context.Context) (bool, error) {
		return cond(), nil
	})
	if err != nil {
		t.Fatalf("%s: not within %s", what, timeout)
	}
}
