package gitserver

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Branch is the branch NewRepo creates.
const Branch = "main"

// NewRepo creates the bare repository name.git (receive-pack enabled, HEAD
// on Branch) and a working clone of it in a temporary folder. It returns the
// repository's HTTP URL and the clone's path. The clone has no commit yet;
// its origin is the bare repository's path, so pushes from it skip HTTP.
func (s *Server) NewRepo(t testing.TB, name string) (url, workdir string) {
	t.Helper()
	bare := s.Dir(name)
	if err := os.MkdirAll(filepath.Dir(bare), 0o755); err != nil {
		t.Fatalf("gitserver: repository %s: %v", name, err)
	}
	Git(t, s.root, "init", "--quiet", "--bare", "--initial-branch="+Branch, bare)
	Git(t, bare, "config", "http.receivepack", "true")
	workdir = t.TempDir()
	Git(t, workdir, "init", "--quiet", "--initial-branch="+Branch)
	Git(t, workdir, "remote", "add", "origin", bare)
	return s.URL(name), workdir
}

// Env is the environment the git CLI runs with in tests: a fixed author and
// committer, and no global or system configuration.
func Env() []string {
	return append(os.Environ(),
		"GIT_AUTHOR_NAME=manifold-test", "GIT_AUTHOR_EMAIL=test@manifold.invalid",
		"GIT_COMMITTER_NAME=manifold-test", "GIT_COMMITTER_EMAIL=test@manifold.invalid",
		"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0")
}

// Git runs the git CLI in dir with Env and returns its trimmed standard
// output; a failure fails the test with git's output.
func Git(t testing.TB, dir string, args ...string) string {
	t.Helper()
	out, err := RunGit(dir, args...)
	if err != nil {
		t.Fatalf("git %s (in %s): %v", strings.Join(args, " "), dir, err)
	}
	return out
}

// RunGit runs the git CLI in dir with Env and returns its trimmed standard
// output, or an error holding its standard error.
func RunGit(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = Env()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", &gitError{err: err, stderr: strings.TrimSpace(stderr.String())}
	}
	return strings.TrimSpace(string(out)), nil
}

type gitError struct {
	err    error
	stderr string
}

func (e *gitError) Error() string { return e.err.Error() + ": " + e.stderr }
func (e *gitError) Unwrap() error { return e.err }

// Commit writes files (slash path → content; an empty content deletes the
// file) into workdir, commits them all with message and returns the new
// commit's SHA. It does not push.
func Commit(t testing.TB, workdir, message string, files map[string]string) string {
	t.Helper()
	for p, content := range files {
		full := filepath.Join(workdir, filepath.FromSlash(p))
		if content == "" {
			if err := os.Remove(full); err != nil && !os.IsNotExist(err) {
				t.Fatalf("gitserver: removing %s: %v", p, err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatalf("gitserver: writing %s: %v", p, err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatalf("gitserver: writing %s: %v", p, err)
		}
	}
	Git(t, workdir, "add", "--all")
	Git(t, workdir, "commit", "--quiet", "--allow-empty", "-m", message)
	return Git(t, workdir, "rev-parse", "HEAD")
}

// CommitAndPush is Commit followed by a push of Branch to origin.
func CommitAndPush(t testing.TB, workdir, message string, files map[string]string) string {
	t.Helper()
	sha := Commit(t, workdir, message, files)
	Git(t, workdir, "push", "--quiet", "origin", Branch)
	return sha
}
