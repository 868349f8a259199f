// Package gitserver serves real Git repositories over smart HTTP for tests:
// `git http-backend` behind net/http/cgi on a free 127.0.0.1 port.
//
// Start gives a server rooted in a temporary folder; NewRepo adds a bare
// repository to it (receive-pack enabled) and a working clone the test
// commits to with the git CLI. The working clone's origin is the bare
// repository's path on disk, so its pushes do not reach the server and the
// request counters (Requests, RequestsByPath) see only the code under test.
//
// Failures to simulate: Stop and Start (an outage and the recovery on the
// same port) and RequireBasicAuth (wrong credentials get 401).
package gitserver

import (
	"crypto/subtle"
	"net"
	"net/http"
	"net/http/cgi"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Server is a smart-HTTP Git server for tests. Its methods are safe for
// concurrent use.
type Server struct {
	root    string
	addr    string
	backend http.Handler

	mu       sync.Mutex
	srv      *http.Server
	user     string
	password string
	total    int
	byPath   map[string]int
}

// Start serves an empty root folder on a free 127.0.0.1 port until the test
// ends. It fails the test when git or git-http-backend is missing.
func Start(t testing.TB) *Server {
	t.Helper()
	gitPath, err := exec.LookPath("git")
	if err != nil {
		t.Fatalf("gitserver: the git CLI is required: %v", err)
	}
	root := t.TempDir()
	s := &Server{
		root:   root,
		byPath: map[string]int{},
		backend: &cgi.Handler{
			Path: gitPath,
			Args: []string{"http-backend"},
			Env: []string{
				"GIT_PROJECT_ROOT=" + root,
				"GIT_HTTP_EXPORT_ALL=1",
				"GIT_CONFIG_GLOBAL=/dev/null",
				"GIT_CONFIG_NOSYSTEM=1",
			},
		},
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("gitserver: listening: %v", err)
	}
	s.addr = ln.Addr().String()
	s.serve(ln)
	t.Cleanup(s.Stop)
	return s
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return s.addr }

// URL returns the clone URL of the repository named name.
func (s *Server) URL(name string) string { return "http://" + s.addr + "/" + repoDir(name) }

// Dir returns the path of the bare repository named name.
func (s *Server) Dir(name string) string { return filepath.Join(s.root, repoDir(name)) }

func repoDir(name string) string {
	if strings.HasSuffix(name, ".git") {
		return name
	}
	return name + ".git"
}

// RequireBasicAuth makes every later request carry these credentials; an
// empty user turns the requirement off.
func (s *Server) RequireBasicAuth(user, password string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.user, s.password = user, password
}

// Stop closes the listener and every open connection: clients get
// "connection refused" until Start. Stopping a stopped server does nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	srv := s.srv
	s.srv = nil
	s.mu.Unlock()
	if srv != nil {
		_ = srv.Close()
	}
}

// Start serves again on the same address after Stop. Starting a running
// server does nothing.
func (s *Server) Start() error {
	s.mu.Lock()
	running := s.srv != nil
	s.mu.Unlock()
	if running {
		return nil
	}
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return err
	}
	s.serve(ln)
	return nil
}

func (s *Server) serve(ln net.Listener) {
	srv := &http.Server{Handler: http.HandlerFunc(s.handle)}
	s.mu.Lock()
	s.srv = srv
	s.mu.Unlock()
	// Serve returns when Stop closes the server; nothing else ends it.
	go func() { _ = srv.Serve(ln) }()
}

// Requests returns how many HTTP requests the server has received.
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total
}

// RequestsByPath returns the request counts keyed by URL path, e.g.
// "/config.git/info/refs" or "/config.git/git-upload-pack".
func (s *Server) RequestsByPath() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.byPath))
	for p, n := range s.byPath {
		out[p] = n
	}
	return out
}

// ResetCounters sets the request counters back to zero.
func (s *Server) ResetCounters() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.total = 0
	s.byPath = map[string]int{}
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.total++
	s.byPath[r.URL.Path]++
	user, password := s.user, s.password
	s.mu.Unlock()
	if user != "" {
		u, p, ok := r.BasicAuth()
		if !ok || subtle.ConstantTimeCompare([]byte(u), []byte(user)) != 1 ||
			subtle.ConstantTimeCompare([]byte(p), []byte(password)) != 1 {
			w.Header().Set("WWW-Authenticate", `Basic realm="gitserver"`)
			http.Error(w, "authentication required", http.StatusUnauthorized)
			return
		}
	}
	s.backend.ServeHTTP(w, r)
}
