package gitsource

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/transport"
)

// SourceOptions configure OpenSource.
type SourceOptions struct {
	// URL is the config repository: an http(s) or ssh URL (scp-like
	// git@host:org/repo.git too), or a local repository as a path or a
	// file:// URL. An http(s) URL may carry user:password@; the credentials
	// are then used as Auth (when Auth has no password) and never stored.
	URL string
	// Branch to follow; "main" when empty.
	Branch string
	// StateDir holds one bare repository per URL, created by the first
	// OpenSource and reused by every later one. Required for remote URLs.
	StateDir string
	// Auth are the credentials for a remote URL.
	Auth Auth
	// AllowNonFastForward accepts a branch head that does not descend from
	// the last revision Poll returned (a force push). Off by default.
	AllowNonFastForward bool
	// Limits bound the snapshots read; DefaultLimits when zero.
	Limits Limits
}

// Source follows one branch of a config repository. A remote repository is
// fetched into a persistent bare repository under StateDir; a local one is
// read in place, without a copy (PushNotes and FetchNotes then do nothing:
// notes are written straight into it). A Source is safe for concurrent use;
// its Git operations run one at a time. Two processes must not share a
// StateDir folder.
type Source struct {
	url      string // without credentials: what errors show
	branch   plumbing.ReferenceName
	tracking plumbing.ReferenceName // refs/remotes/origin/<branch>
	accepted plumbing.ReferenceName // the last revision Poll returned, kept across restarts
	opts     SourceOptions
	auth     transport.AuthMethod
	redact   *strings.Replacer
	repo     *git.Repository
	remote   *git.Remote // nil for a local repository

	mu     sync.Mutex // serialises Git operations
	polled bool
	last   atomic.Pointer[Snapshot]
	stats  counters
}

// Stats counts a Source's Git work since OpenSource.
type Stats struct {
	// RefListings is how many times the branch head was looked up (for a
	// remote: one ref advertisement, one round trip).
	RefListings int64
	// Fetches is how many fetches of the branch were made.
	Fetches int64
	// TreeReads is how many commits were read into snapshots.
	TreeReads int64
	// NotePushes and NoteFetches count pushes and fetches of the notes ref.
	NotePushes  int64
	NoteFetches int64
}

type counters struct {
	refListings, fetches, treeReads, notePushes, noteFetches atomic.Int64
}

// Stats returns the counters.
func (s *Source) Stats() Stats {
	return Stats{
		RefListings: s.stats.refListings.Load(),
		Fetches:     s.stats.fetches.Load(),
		TreeReads:   s.stats.treeReads.Load(),
		NotePushes:  s.stats.notePushes.Load(),
		NoteFetches: s.stats.noteFetches.Load(),
	}
}

// URL is the repository URL without credentials.
func (s *Source) URL() string { return s.url }

// Last returns the last revision Poll returned, nil when there is none. After
// a restart it is the revision the previous Source accepted, read from
// StateDir without any network access.
func (s *Source) Last() *Snapshot { return s.last.Load() }

// OpenSource opens (creating it the first time) the bare repository for
// o.URL under o.StateDir, or the local repository o.URL. It makes no network
// request.
func OpenSource(ctx context.Context, o SourceOptions) (*Source, error) {
	if o.Branch == "" {
		o.Branch = "main"
	}
	s := &Source{
		opts:     o,
		branch:   plumbing.NewBranchReferenceName(o.Branch),
		tracking: plumbing.NewRemoteReferenceName("origin", o.Branch),
		accepted: plumbing.ReferenceName("refs/manifold/accepted/" + o.Branch),
	}
	ep, err := transport.NewEndpoint(o.URL)
	if err != nil {
		// Not shown: an unparsable URL may still hold credentials.
		return nil, errors.New("config repository URL is invalid")
	}
	if err := s.branch.Validate(); err != nil {
		return nil, fmt.Errorf("branch %q of %s: %w", o.Branch, displayEndpoint(ep), err)
	}
	auth := o.Auth
	urlSecret := ep.Password
	if ep.Protocol == "http" || ep.Protocol == "https" {
		if ep.User != "" && auth.Password == "" {
			auth.Username, auth.Password = ep.User, ep.Password
		}
		ep.User, ep.Password = "", ""
	}
	s.url = displayEndpoint(ep)
	if ep.Protocol == "file" {
		s.url = ep.Path
	}
	s.redact = redactor(o.URL, s.url, auth.Password, urlSecret)
	if err := s.open(ctx, ep, auth); err != nil {
		return nil, s.scrub(err)
	}
	return s, nil
}

func (s *Source) open(ctx context.Context, ep *transport.Endpoint, auth Auth) error {
	if ep.Protocol == "file" {
		repo, sub, err := Open(ep.Path)
		if err != nil {
			return err
		}
		if sub != "." {
			return fmt.Errorf("local config repository %s: give the repository's top folder, not a folder inside it", ep.Path)
		}
		s.repo = repo
		return nil
	}
	method, err := auth.method(ep)
	if err != nil {
		return err
	}
	s.auth = method
	if s.opts.StateDir == "" {
		return fmt.Errorf("config repository %s: a state folder is required for a remote repository", s.url)
	}
	dir := filepath.Join(s.opts.StateDir, stateFolder(s.url))
	repo, err := git.PlainOpen(dir)
	if errors.Is(err, git.ErrRepositoryNotExists) {
		if err = os.MkdirAll(dir, 0o700); err == nil {
			repo, err = git.PlainInit(dir, true)
		}
	}
	if err != nil {
		return fmt.Errorf("state repository %s for %s: %w", dir, s.url, err)
	}
	rc := &config.RemoteConfig{Name: "origin", URLs: []string{s.url}}
	if _, err := repo.Remote("origin"); errors.Is(err, git.ErrRemoteNotFound) {
		// Recorded for people inspecting the folder; holds no credentials.
		if _, err := repo.CreateRemote(rc); err != nil {
			return fmt.Errorf("state repository %s for %s: %w", dir, s.url, err)
		}
	}
	s.repo = repo
	s.remote = git.NewRemote(repo.Storer, rc)
	return s.loadAccepted(ctx)
}

// loadAccepted makes Last the revision accepted before a restart. A revision
// that cannot be read is left for Poll to report.
func (s *Source) loadAccepted(ctx context.Context) error {
	ref, err := s.repo.Reference(s.accepted, true)
	if errors.Is(err, plumbing.ErrReferenceNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("last accepted revision of %s: %w", s.url, err)
	}
	if snap, err := s.read(ctx, ref.Hash()); err == nil {
		s.last.Store(snap)
	}
	return nil
}

// stateFolder names the folder of a URL: readable, and unique by a hash.
func stateFolder(url string) string {
	sum := sha256.Sum256([]byte(url))
	name := url
	if i := strings.Index(name, "://"); i >= 0 {
		name = name[i+3:]
	}
	name = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' {
			return r
		}
		return '_'
	}, strings.Trim(name, "/"))
	if len(name) > 64 {
		name = name[:64]
	}
	return name + "-" + hex.EncodeToString(sum[:6])
}

// scrub removes credentials from err's message; errors.Is still sees
// through to the cause.
func (s *Source) scrub(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	clean := s.redact.Replace(msg)
	if clean == msg {
		return err
	}
	return &redactedError{msg: clean, cause: err}
}

// redactedError hides its cause's message. It has no Unwrap, so the
// unredacted text cannot be reached; Is delegates to the cause.
type redactedError struct {
	msg   string
	cause error
}

func (e *redactedError) Error() string { return e.msg }

func (e *redactedError) Is(target error) bool { return errors.Is(e.cause, target) }
