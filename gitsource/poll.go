package gitsource

import (
	"context"
	"errors"
	"fmt"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
)

// NonFastForwardError is returned by Poll when the branch head does not
// descend from the last revision returned (history was rewritten) and
// SourceOptions.AllowNonFastForward is off.
type NonFastForwardError struct {
	// URL (without credentials) and Branch name the followed branch.
	URL, Branch string
	// Last is the revision Poll returned before; Head the refused one.
	Last, Head string
}

func (e *NonFastForwardError) Error() string {
	return fmt.Sprintf("branch %s of %s moved from %s to %s, which does not descend from it: refusing rewritten history (allow non-fast-forward to accept it)",
		e.Branch, e.URL, e.Last, e.Head)
}

// Poll looks up the branch head (for a remote: one ref advertisement) and
// returns its snapshot. When the head is the revision the previous Poll
// returned, it returns that snapshot with changed false and does nothing
// more. Otherwise it fetches the branch (only that branch, and only when the
// commit is not already in the state repository), checks that the new head
// descends from the last revision, reads its tree, and returns it with
// changed true. The first Poll of a Source always reports changed.
//
// On error (the remote is down, the history was rewritten, a limit was hit)
// the snapshot is nil, and Last still returns the last good revision.
func (s *Source) Poll(ctx context.Context) (*Snapshot, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	snap, changed, err := s.poll(ctx)
	return snap, changed, s.scrub(err)
}

func (s *Source) poll(ctx context.Context) (*Snapshot, bool, error) {
	head, err := s.head(ctx)
	if err != nil {
		return nil, false, err
	}
	last := s.last.Load()
	if s.polled && last != nil && last.Revision == head.String() {
		return last, false, nil
	}
	if head, err = s.ensureCommit(ctx, head); err != nil {
		return nil, false, err
	}
	if err := s.checkFastForward(last, head); err != nil {
		return nil, false, err
	}
	snap := last
	if snap == nil || snap.Revision != head.String() {
		if snap, err = s.read(ctx, head); err != nil {
			return nil, false, err
		}
	}
	if s.remote != nil {
		if err := s.repo.Storer.SetReference(plumbing.NewHashReference(s.accepted, head)); err != nil {
			return nil, false, fmt.Errorf("recording revision %s of %s: %w", head, s.url, err)
		}
	}
	s.last.Store(snap)
	s.polled = true
	return snap, true, nil
}

// head returns the commit the branch points to.
func (s *Source) head(ctx context.Context) (plumbing.Hash, error) {
	s.stats.refListings.Add(1)
	if s.remote == nil {
		ref, err := s.repo.Reference(s.branch, true)
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("branch %s of %s: %w", s.branch.Short(), s.url, err)
		}
		return ref.Hash(), nil
	}
	refs, err := s.remote.ListContext(ctx, &git.ListOptions{Auth: s.auth})
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("listing branches of %s: %w", s.url, err)
	}
	for _, ref := range refs {
		if ref.Name() == s.branch && ref.Type() == plumbing.HashReference {
			return ref.Hash(), nil
		}
	}
	return plumbing.ZeroHash, fmt.Errorf("branch %s not found in %s", s.branch.Short(), s.url)
}

// ensureCommit fetches the branch unless commit head is already stored,
// and returns the head to use: the fetched one if the branch moved again.
func (s *Source) ensureCommit(ctx context.Context, head plumbing.Hash) (plumbing.Hash, error) {
	_, err := s.repo.CommitObject(head)
	if err == nil {
		return head, nil
	}
	if s.remote == nil {
		return plumbing.ZeroHash, fmt.Errorf("commit %s of %s: %w", head, s.url, err)
	}
	s.stats.fetches.Add(1)
	spec := config.RefSpec(fmt.Sprintf("+%s:%s", s.branch, s.tracking))
	err = s.remote.FetchContext(ctx, &git.FetchOptions{
		RefSpecs: []config.RefSpec{spec},
		Auth:     s.auth,
		Tags:     git.NoTags,
	})
	if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
		return plumbing.ZeroHash, fmt.Errorf("fetching branch %s of %s: %w", s.branch.Short(), s.url, err)
	}
	ref, err := s.repo.Reference(s.tracking, true)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("fetched branch %s of %s: %w", s.branch.Short(), s.url, err)
	}
	return ref.Hash(), nil
}

// checkFastForward refuses a head that does not descend from last.
func (s *Source) checkFastForward(last *Snapshot, head plumbing.Hash) error {
	if last == nil || s.opts.AllowNonFastForward || last.Revision == head.String() {
		return nil
	}
	from := plumbing.NewHash(last.Revision)
	prev, err := s.repo.CommitObject(from)
	if err != nil {
		return fmt.Errorf("last revision %s of %s: %w", from, s.url, err)
	}
	next, err := s.repo.CommitObject(head)
	if err != nil {
		return fmt.Errorf("commit %s of %s: %w", head, s.url, err)
	}
	ok, err := prev.IsAncestor(next)
	if err != nil {
		return fmt.Errorf("history of %s between %s and %s: %w", s.url, from, head, err)
	}
	if !ok {
		return &NonFastForwardError{URL: s.url, Branch: s.branch.Short(), Last: from.String(), Head: head.String()}
	}
	return nil
}

// read reads a commit's whole tree.
func (s *Source) read(ctx context.Context, commit plumbing.Hash) (*Snapshot, error) {
	s.stats.treeReads.Add(1)
	snap, err := ReadCommit(ctx, s.repo, commit, ".", s.opts.Limits)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.url, err)
	}
	return snap, nil
}
