package gitsource

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// remoteNotesRef holds the remote's notes head as last fetched.
const remoteNotesRef plumbing.ReferenceName = "refs/manifold/remote-notes"

// pushNotesAttempts bounds PushNotes' push, fetch-and-merge, retry loop.
const pushNotesAttempts = 5

// FetchNotes fetches the remote's notes ref and brings it into the local
// one: taken as is when there are no local notes, fast-forwarded, or merged
// as PushNotes does. A remote without notes is not an error. For a local
// repository it does nothing.
func (s *Source) FetchNotes(ctx context.Context) error {
	if s.remote == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.scrub(s.fetchNotes(ctx, NotesRef))
}

// PushNotes pushes the local notes ref to the remote, never forcing it. When
// the push is refused because another writer pushed first, it fetches the
// remote notes, merges them with ours (a commit with both heads as parents
// whose tree holds the notes of both; a commit both sides noted differently
// keeps both texts, see NotesRef) and tries again, up to five pushes in all,
// with growing randomised waits during which the Source stays usable.
// Without local notes, or for a local repository, it does nothing.
func (s *Source) PushNotes(ctx context.Context) error {
	return s.pushNotes(ctx, NotesRef)
}

func (s *Source) pushNotes(ctx context.Context, notesRef plumbing.ReferenceName) error {
	if s.remote == nil {
		return nil
	}
	for attempt := 1; ; attempt++ {
		done, err := s.pushNotesOnce(ctx, notesRef, attempt)
		if done || attempt == pushNotesAttempts {
			return s.scrub(err)
		}
		// The lock is not held while waiting: Poll and notes reads go on.
		backoff := time.Duration(50<<attempt)*time.Millisecond + rand.N(50*time.Millisecond)
		select {
		case <-ctx.Done():
			return s.scrub(fmt.Errorf("%w; then %w", err, ctx.Err()))
		case <-time.After(backoff):
		}
	}
}

// pushNotesOnce makes one push; from the second attempt on it first fetches
// and merges the remote notes (most likely another writer pushed first). It
// reports done when there is nothing more to try: pushed, nothing to push,
// or the remote is unreachable (the fetch failed too).
func (s *Source) pushNotesOnce(ctx context.Context, notesRef plumbing.ReferenceName, attempt int) (done bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if attempt > 1 {
		if err := s.fetchNotes(ctx, notesRef); err != nil {
			return true, fmt.Errorf("pushing %s (attempt %d): %w", notesRef, attempt, err)
		}
	}
	ours, err := refHash(s.repo.Storer, notesRef)
	if err != nil || ours.IsZero() {
		return true, err
	}
	s.stats.notePushes.Add(1)
	spec := config.RefSpec(fmt.Sprintf("%s:%s", notesRef, notesRef))
	err = s.remote.PushContext(ctx, &git.PushOptions{RefSpecs: []config.RefSpec{spec}, Auth: s.auth})
	if err == nil || errors.Is(err, git.NoErrAlreadyUpToDate) {
		return true, s.repo.Storer.SetReference(plumbing.NewHashReference(remoteNotesRefOf(notesRef), ours))
	}
	return ctx.Err() != nil, fmt.Errorf("pushing %s to %s (attempt %d): %w", notesRef, s.url, attempt, err)
}

func (s *Source) fetchNotes(ctx context.Context, notesRef plumbing.ReferenceName) error {
	if s.remote == nil {
		return nil
	}
	s.stats.noteFetches.Add(1)
	remoteRef := remoteNotesRefOf(notesRef)
	spec := config.RefSpec(fmt.Sprintf("+%s:%s", notesRef, remoteRef))
	err := s.remote.FetchContext(ctx, &git.FetchOptions{RefSpecs: []config.RefSpec{spec}, Auth: s.auth, Tags: git.NoTags})
	switch {
	case errors.Is(err, git.NoMatchingRefSpecError{}):
		return nil // the remote has no notes yet
	case err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate):
		return fmt.Errorf("fetching %s from %s: %w", notesRef, s.url, err)
	}
	theirs, err := refHash(s.repo.Storer, remoteRef)
	if err != nil || theirs.IsZero() {
		return err
	}
	ours, err := refHash(s.repo.Storer, notesRef)
	if err != nil {
		return err
	}
	next, err := s.integrateNotes(ours, theirs)
	if err != nil || next == ours {
		return err
	}
	return moveRef(s.repo.Storer, notesRef, ours, next)
}

// integrateNotes returns the notes head that holds both ours and theirs:
// one of them when it already contains the other, else a merge commit.
func (s *Source) integrateNotes(ours, theirs plumbing.Hash) (plumbing.Hash, error) {
	if ours.IsZero() || ours == theirs {
		return theirs, nil
	}
	oc, err := s.repo.CommitObject(ours)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("local notes commit %s: %w", ours, err)
	}
	tc, err := s.repo.CommitObject(theirs)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("notes commit %s of %s: %w", theirs, s.url, err)
	}
	bases, err := oc.MergeBase(tc)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("merge base of notes commits %s and %s: %w", ours, theirs, err)
	}
	base := plumbing.ZeroHash
	if len(bases) > 0 {
		base = bases[0].Hash
	}
	switch base {
	case theirs:
		return ours, nil
	case ours:
		return theirs, nil
	}
	merged, err := s.mergeNotes(base, ours, theirs)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("merging notes commits %s and %s: %w", ours, theirs, err)
	}
	return merged, nil
}

// mergeNotes writes a merge of two notes commits. Per annotated commit, a
// side that changed nothing since base yields to the other; when both
// changed it, their text comes first, then ours.
func (s *Source) mergeNotes(base, ours, theirs plumbing.Hash) (plumbing.Hash, error) {
	b, err := readNotes(s.repo, base)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	o, err := readNotes(s.repo, ours)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	t, err := readNotes(s.repo, theirs)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	for target, tb := range t {
		ob := o[target]
		switch {
		case ob == tb, tb == b[target]:
			continue
		case ob.IsZero(), ob == b[target]:
			o[target] = tb
			continue
		}
		text, err := joinNotes(s.repo.Storer, tb, ob)
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("note on %s: %w", target, err)
		}
		if o[target], err = storeBlob(s.repo.Storer, text); err != nil {
			return plumbing.ZeroHash, fmt.Errorf("note on %s: %w", target, err)
		}
	}
	return storeNotesCommit(s.repo.Storer, o, []plumbing.Hash{ours, theirs}, "Notes merged by manifold\n")
}

// joinNotes returns their text, the separator line, then ours.
func joinNotes(st storer.EncodedObjectStorer, theirs, ours plumbing.Hash) ([]byte, error) {
	t, err := blobBytes(st, theirs)
	if err != nil {
		return nil, err
	}
	o, err := blobBytes(st, ours)
	if err != nil {
		return nil, err
	}
	out := append([]byte{}, t...)
	if len(out) > 0 && out[len(out)-1] != '\n' {
		out = append(out, '\n')
	}
	out = append(out, noteSeparator...)
	return append(out, o...), nil
}
