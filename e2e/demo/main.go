// Command manifold-demo is `make demo`: it starts two local clusters, SPG-01
// and SPG-02, makes a Git repository from examples/qcbm, runs manifold serve
// on it, and tells you what to try. Ctrl-C stops everything.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/manifold-gitops/manifold/e2e/harness"
)

// Info describes a running demo; -info writes it as JSON once ready.
type Info struct {
	Repo        string `json:"repo"`
	Credentials string `json:"credentials"`
	Listen      string `json:"listen"`
	Log         string `json:"log"`
	PID         int    `json:"pid"`
}

func main() {
	state := flag.String("state", ".state/demo", "folder for the clusters, the Git repository and logs; emptied at start")
	binDir := flag.String("bin-dir", "bin", "folder holding manifold and the control-plane binaries")
	example := flag.String("example", "examples/qcbm", "config repository to start from")
	listen := flag.String("listen", "127.0.0.1:8080", "manifold's HTTP address")
	interval := flag.Duration("interval", 30*time.Second, "manifold's poll interval (commits are noticed at once anyway)")
	info := flag.String("info", "", "write the demo's paths as JSON to this file once it is ready")
	flag.Parse()
	if err := run(*state, *binDir, *example, *listen, *interval, *info); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(state, binDir, example, listen string, interval time.Duration, infoFile string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	state, err := filepath.Abs(state)
	if err != nil {
		return err
	}
	if binDir, err = filepath.Abs(binDir); err != nil {
		return err
	}
	if err := os.RemoveAll(state); err != nil {
		return err
	}
	creds, repo, logFile := filepath.Join(state, "credentials"), filepath.Join(state, "repo"), filepath.Join(state, "manifold.log")
	if err := os.MkdirAll(filepath.Join(state, "clusters"), 0o700); err != nil {
		return err
	}

	fmt.Println("demo: starting clusters SPG-01 and SPG-02 ...")
	env, err := harness.StartSandbox(ctx, harness.Options{BinDir: binDir, WorkDir: filepath.Join(state, "clusters"),
		Logf: func(string, ...any) {}}, creds)
	if err != nil {
		return err
	}
	defer env.Close()

	if err := makeRepo(example, repo); err != nil {
		return err
	}
	serve, err := startServe(binDir, repo, creds, filepath.Join(state, "serve"), listen, interval, logFile)
	if err != nil {
		return err
	}
	defer stopProcess(serve)

	fmt.Println("demo: manifold is syncing the QCBM app to both clusters ...")
	if err := waitReady(ctx, listen, 2*time.Minute); err != nil {
		return fmt.Errorf("%w (see %s)", err, logFile)
	}
	if infoFile != "" {
		data, _ := json.Marshal(Info{Repo: repo, Credentials: creds, Listen: listen, Log: logFile, PID: os.Getpid()})
		if err := os.WriteFile(infoFile, data, 0o644); err != nil {
			return err
		}
	}
	printTry(binDir, repo, creds, listen, logFile)
	select {
	case <-ctx.Done():
		fmt.Println("\ndemo: stopping manifold and the clusters ...")
	case <-serve.done:
		return fmt.Errorf("manifold serve exited: %v (see %s)", serve.err, logFile)
	}
	return nil
}

// makeRepo copies the example into a fresh Git repository and commits it.
func makeRepo(example, repo string) error {
	if err := os.CopyFS(repo, os.DirFS(example)); err != nil {
		return fmt.Errorf("copying %s: %w", example, err)
	}
	for _, args := range [][]string{{"init", "-q", "-b", "main"}, {"add", "-A"}, {"commit", "-q", "-m", "QCBM on SPG-01 and SPG-02"}} {
		if err := git(repo, args...); err != nil {
			return err
		}
	}
	return nil
}

func git(dir string, args ...string) error {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=manifold demo", "GIT_AUTHOR_EMAIL=demo@manifold.invalid",
		"GIT_COMMITTER_NAME=manifold demo", "GIT_COMMITTER_EMAIL=demo@manifold.invalid")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("git %v: %v: %s", args, err, out)
	}
	return nil
}

// process is a child process and how it ended.
type process struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

func startServe(binDir, repo, creds, stateDir, listen string, interval time.Duration, logFile string) (*process, error) {
	log, err := os.Create(logFile)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(filepath.Join(binDir, "manifold"), "serve", "--repo", repo, "--branch", "main",
		"--credentials", creds, "--state-dir", stateDir, "--listen", listen, "--interval", interval.String())
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		log.Close()
		return nil, fmt.Errorf("starting manifold serve: %w", err)
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		log.Close()
		close(p.done)
	}()
	return p, nil
}

func stopProcess(p *process) {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

// waitReady waits until manifold reports its first successful sync.
func waitReady(ctx context.Context, listen string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + listen + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
	return fmt.Errorf("manifold did not finish a sync within %s", timeout)
}

func printTry(binDir, repo, creds, listen, logFile string) {
	kubectl := filepath.Join(binDir, "kubectl")
	manifold := filepath.Join(binDir, "manifold")
	fmt.Printf(`
demo: ready. QCBM runs in SPG-01 and SPG-02, synced from the Git repository
  %[1]s

Look:
  %[2]s --kubeconfig %[3]s/spg-01.kubeconfig -n qcbm get deployments,services
  %[2]s --kubeconfig %[3]s/spg-02.kubeconfig -n qcbm get service api-gateway -o yaml | grep subnetid
  %[4]s status --repo %[1]s          # the status note manifold wrote on HEAD
  git -C %[1]s log --notes=manifold -1
  curl -s http://%[5]s/status         # also /metrics, /healthz, /readyz

Change something and commit; manifold applies it within a second:
  cd %[1]s
  sed -i 's/replicas: 1/replicas: 2/' app/deployments.yaml   # or edit localizations/spg-02-gateway.yaml
  git commit -qam "Scale QCBM"
  %[2]s --kubeconfig %[3]s/spg-02.kubeconfig -n qcbm get deployments

Scale a Deployment by hand and watch manifold put it back:
  %[2]s --kubeconfig %[3]s/spg-01.kubeconfig -n qcbm scale deployment user-service --replicas=5

manifold's log: %[6]s
Press Ctrl-C to stop everything.
`, repo, kubectl, creds, manifold, listen, logFile)
}
