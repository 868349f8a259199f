package gitsource

import (
	"context"
	"fmt"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
)

// PreviewNotesRef holds the previews of pull requests, one note per
// previewed head commit: `git notes --ref=manifold-preview show <commit>`.
const PreviewNotesRef plumbing.ReferenceName = "refs/notes/manifold-preview"

// NoteRef is Note for the notes ref notesRef (e.g. PreviewNotesRef).
func (s *Source) NoteRef(ctx context.Context, notesRef plumbing.ReferenceName, commit string) ([]byte, bool, error) {
	if err := checkNotesRef(notesRef); err != nil {
		return nil, false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	text, ok, err := readNote(ctx, s.repo, notesRef, commit)
	if err != nil {
		return nil, false, s.scrub(fmt.Errorf("%s: %w", s.url, err))
	}
	return text, ok, nil
}

// WriteNoteRef is WriteNote for the notes ref notesRef.
func (s *Source) WriteNoteRef(ctx context.Context, notesRef plumbing.ReferenceName, commit string, text []byte) error {
	if err := checkNotesRef(notesRef); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := writeNote(ctx, s.repo, notesRef, commit, text); err != nil {
		return s.scrub(fmt.Errorf("%s: %w", s.url, err))
	}
	return nil
}

// PushNotesRef is PushNotes for the notes ref notesRef: never forced,
// merging another writer's notes and retrying when refused.
func (s *Source) PushNotesRef(ctx context.Context, notesRef plumbing.ReferenceName) error {
	if err := checkNotesRef(notesRef); err != nil {
		return err
	}
	return s.pushNotes(ctx, notesRef)
}

// FetchNotesRef is FetchNotes for the notes ref notesRef.
func (s *Source) FetchNotesRef(ctx context.Context, notesRef plumbing.ReferenceName) error {
	if err := checkNotesRef(notesRef); err != nil {
		return err
	}
	if s.remote == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.scrub(s.fetchNotes(ctx, notesRef))
}

// checkNotesRef accepts valid refs under refs/notes/.
func checkNotesRef(notesRef plumbing.ReferenceName) error {
	if !strings.HasPrefix(notesRef.String(), "refs/notes/") {
		return fmt.Errorf("notes ref %q: a ref under refs/notes/ is expected", notesRef)
	}
	if err := notesRef.Validate(); err != nil {
		return fmt.Errorf("notes ref %q: %w", notesRef, err)
	}
	return nil
}

// remoteNotesRefOf is where the remote's head of a notes ref is kept as
// last fetched or pushed.
func remoteNotesRefOf(notesRef plumbing.ReferenceName) plumbing.ReferenceName {
	if notesRef == NotesRef {
		return remoteNotesRef
	}
	return plumbing.ReferenceName("refs/manifold/remote/" + strings.TrimPrefix(notesRef.String(), "refs/"))
}
