package gitserver

import (
	"net"
	"path/filepath"
	"strings"
	"testing"
)

func TestCloneAndPushOverHTTP(t *testing.T) {
	srv := Start(t)
	url, work := srv.NewRepo(t, "config")
	sha := CommitAndPush(t, work, "first", map[string]string{"a.yaml": "a: 1\n"})

	clone := filepath.Join(t.TempDir(), "clone")
	Git(t, t.TempDir(), "clone", "--quiet", url, clone)
	if got := Git(t, clone, "rev-parse", "HEAD"); got != sha {
		t.Fatalf("cloned HEAD = %s, want %s", got, sha)
	}
	// receive-pack over HTTP works too.
	next := Commit(t, clone, "second", map[string]string{"b.yaml": "b: 2\n"})
	Git(t, clone, "push", "--quiet", "origin", Branch)
	if got := Git(t, srv.Dir("config"), "rev-parse", Branch); got != next {
		t.Fatalf("bare %s = %s, want %s", Branch, got, next)
	}
	by := srv.RequestsByPath()
	if by["/config.git/info/refs"] < 2 || by["/config.git/git-upload-pack"] < 1 || by["/config.git/git-receive-pack"] != 1 {
		t.Errorf("RequestsByPath = %v", by)
	}
	if srv.Requests() < 4 {
		t.Errorf("Requests = %d, want at least 4", srv.Requests())
	}
	// A protocol v0 ref listing is one request (v2 adds a POST for ls-refs).
	srv.ResetCounters()
	Git(t, clone, "-c", "protocol.version=0", "ls-remote", "origin")
	if n := srv.Requests(); n != 1 {
		t.Errorf("ls-remote made %d requests, want 1", n)
	}
}

func TestBasicAuth(t *testing.T) {
	srv := Start(t)
	url, work := srv.NewRepo(t, "private")
	CommitAndPush(t, work, "first", map[string]string{"a.yaml": "a: 1\n"})
	srv.RequireBasicAuth("alice", "s3cret")

	if _, err := RunGit(t.TempDir(), "ls-remote", url); err == nil {
		t.Fatal("ls-remote without credentials succeeded")
	}
	withCreds := strings.Replace(url, "http://", "http://alice:wrong@", 1)
	if _, err := RunGit(t.TempDir(), "ls-remote", withCreds); err == nil {
		t.Fatal("ls-remote with a wrong password succeeded")
	}
	withCreds = strings.Replace(url, "http://", "http://alice:s3cret@", 1)
	if out := Git(t, t.TempDir(), "ls-remote", withCreds); !strings.Contains(out, "refs/heads/main") {
		t.Fatalf("ls-remote = %q", out)
	}
}

func TestStopStartSamePort(t *testing.T) {
	srv := Start(t)
	url, work := srv.NewRepo(t, "config")
	CommitAndPush(t, work, "first", map[string]string{"a.yaml": "a: 1\n"})

	srv.Stop()
	if _, err := net.Dial("tcp", srv.Addr()); err == nil {
		t.Fatal("dial succeeded while stopped")
	}
	if _, err := RunGit(t.TempDir(), "ls-remote", url); err == nil {
		t.Fatal("ls-remote succeeded while stopped")
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	Git(t, t.TempDir(), "ls-remote", url)
}
