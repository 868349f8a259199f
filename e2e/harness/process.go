package harness

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// stopGrace is how long a stopped process gets between SIGTERM and SIGKILL.
const stopGrace = 5 * time.Second

// process is one child the harness started: a binary from the bin dir, in its
// own process group, with stdout and stderr in a log file.
type process struct {
	name    string // e.g. "kube-apiserver SPG-01", used in errors
	logPath string
	cmd     *exec.Cmd
	done    chan struct{} // closed when the process has exited
	waitErr error         // valid after done is closed
}

// startProcess starts binary with args. The child gets its own process group,
// so that stopping it also stops anything it forked, and is killed by the
// kernel if the test process dies first (Pdeathsig), so nothing outlives a
// crashed test. env entries are appended to the harness's own environment.
func startProcess(name, binary, logPath string, args, env []string) (*process, error) {
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer logFile.Close() // the child holds its own descriptor
	fmt.Fprintf(logFile, "=== %s: %s %q\n", time.Now().Format(time.RFC3339), binary, args)

	cmd := exec.Command(binary, args...)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.Dir = filepath.Dir(logPath)
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: start %s: %w", name, binary, err)
	}
	p := &process{name: name, logPath: logPath, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// exited reports whether the process has ended, with its exit error.
func (p *process) exited() (bool, error) {
	select {
	case <-p.done:
		return true, p.exitError()
	default:
		return false, nil
	}
}

func (p *process) exitError() error {
	if p.waitErr == nil {
		return fmt.Errorf("%s exited (log: %s)", p.name, p.logPath)
	}
	return fmt.Errorf("%s exited: %w (log: %s)", p.name, p.waitErr, p.logPath)
}

// stop sends SIGTERM to the process group, then SIGKILL after stopGrace, and
// waits until the process has been reaped. Stopping a stopped process is a no-op.
func (p *process) stop() {
	pgid := -p.cmd.Process.Pid
	if err := syscall.Kill(pgid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		_ = p.cmd.Process.Kill()
	}
	select {
	case <-p.done:
	case <-time.After(stopGrace):
		_ = syscall.Kill(pgid, syscall.SIGKILL)
		<-p.done
	}
}
