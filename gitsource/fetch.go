package gitsource

import (
	"context"
	"errors"
	"fmt"
	"strings"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
)

// fetchedPrefix is where FetchRef keeps the refs it fetched.
const fetchedPrefix = "refs/manifold/fetched/"

// FetchRef fetches one ref of the followed repository other than the
// branch, such as a pull request's head (refs/pull/7/head on GitHub and
// Gitea, refs/merge-requests/7/head on GitLab) or another branch
// (refs/heads/feature), and returns the commit it points to. The ref is
// kept locally under refs/manifold/fetched/, so Snapshot can read the
// commit afterwards; only the objects the state repository lacks are
// transferred. For a local repository the ref is read in place. It never
// changes what Poll follows or has accepted.
func (s *Source) FetchRef(ctx context.Context, ref string) (string, error) {
	name := plumbing.ReferenceName(ref)
	if !strings.HasPrefix(ref, "refs/") || strings.HasPrefix(ref, "refs/manifold/") {
		return "", fmt.Errorf("ref %q: a full ref name such as refs/pull/1/head is expected", ref)
	}
	if err := name.Validate(); err != nil {
		return "", fmt.Errorf("ref %q: %w", ref, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sha, err := s.fetchRef(ctx, name)
	return sha, s.scrub(err)
}

func (s *Source) fetchRef(ctx context.Context, name plumbing.ReferenceName) (string, error) {
	local := name
	if s.remote != nil {
		local = plumbing.ReferenceName(fetchedPrefix + strings.TrimPrefix(name.String(), "refs/"))
		s.stats.fetches.Add(1)
		spec := config.RefSpec(fmt.Sprintf("+%s:%s", name, local))
		err := s.remote.FetchContext(ctx, &git.FetchOptions{RefSpecs: []config.RefSpec{spec}, Auth: s.auth, Tags: git.NoTags})
		switch {
		case errors.Is(err, git.NoMatchingRefSpecError{}):
			return "", fmt.Errorf("ref %s not found in %s", name, s.url)
		case err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate):
			return "", fmt.Errorf("fetching %s of %s: %w", name, s.url, err)
		}
	}
	ref, err := s.repo.Reference(local, true)
	if err != nil {
		return "", fmt.Errorf("ref %s of %s: %w", name, s.url, err)
	}
	if _, err := s.repo.CommitObject(ref.Hash()); err != nil {
		return "", fmt.Errorf("ref %s of %s: commit %s: %w", name, s.url, ref.Hash(), err)
	}
	return ref.Hash().String(), nil
}

// HasCommit reports whether the commit (a full SHA) is in the local
// repository, so Snapshot can read it.
func (s *Source) HasCommit(sha string) bool {
	if len(sha) != 40 || !plumbing.IsHash(sha) {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, err := s.repo.CommitObject(plumbing.NewHash(sha))
	return err == nil
}
