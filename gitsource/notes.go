package gitsource

import (
	"context"
	"errors"
	"fmt"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// NotesRef is the ref holding manifold's status notes, readable with
// `git log --notes=manifold` and `git notes --ref=manifold show <commit>`.
//
// Format: as git keeps notes, a chain of commits whose tree maps the
// annotated commit's SHA to a blob holding the note text. manifold writes
// flat trees (the entry name is the whole 40-hex SHA) and reads git's fanout
// layout too ("ab/cdef…", any depth); entries that are not notes are dropped
// when manifold rewrites the tree. Each write is a new commit whose parent is
// the previous notes head; a merge (see PushNotes) has both heads as
// parents and holds the notes of both sides. It is three-way, against the
// merge base of the two heads: a note that only one side wrote or changed
// since the base is taken from that side (WriteNote replaces a note, so a
// text its writer had already seen is not brought back); a note both sides
// wrote differently holds their text first, then a line "---", then ours, so
// nothing is lost. With YAML notes that is a stream of documents, ours last.
const NotesRef plumbing.ReferenceName = "refs/notes/manifold"

// noteSeparator separates the texts of one commit's note after a merge.
const noteSeparator = "---\n"

// notesAuthor signs notes commits.
var notesAuthor = object.Signature{Name: "manifold", Email: "manifold@manifold.invalid"}

// Note returns the note on commit (a SHA or a revision) from the local
// notes ref; false when there is none. Call FetchNotes first to see notes
// other writers pushed.
func (s *Source) Note(ctx context.Context, commit string) ([]byte, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	text, ok, err := readNote(ctx, s.repo, NotesRef, commit)
	if err != nil {
		return nil, false, s.scrub(fmt.Errorf("%s: %w", s.url, err))
	}
	return text, ok, nil
}

// ReadNote returns the note on commit (a SHA or a revision) from
// refs/notes/manifold of the repository holding repoPath; false when there
// is none. It reads the local ref only: fetch the notes first to see what a
// daemon pushed (`git fetch origin refs/notes/manifold:refs/notes/manifold`).
func ReadNote(ctx context.Context, repoPath, commit string) ([]byte, bool, error) {
	repo, _, err := Open(repoPath)
	if err != nil {
		return nil, false, err
	}
	text, ok, err := readNote(ctx, repo, NotesRef, commit)
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", repoPath, err)
	}
	return text, ok, nil
}

// WriteNote sets the note on commit (a SHA or a revision) to text in the
// local notes ref, as a new notes commit. Writing the text the note already
// holds does nothing. PushNotes publishes it.
func (s *Source) WriteNote(ctx context.Context, commit string, text []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := writeNote(ctx, s.repo, NotesRef, commit, text); err != nil {
		return s.scrub(fmt.Errorf("%s: %w", s.url, err))
	}
	return nil
}

func readNote(ctx context.Context, repo *git.Repository, notesRef plumbing.ReferenceName, commit string) ([]byte, bool, error) {
	target, err := resolveCommit(repo, commit)
	if err != nil {
		return nil, false, err
	}
	head, err := refHash(repo.Storer, notesRef)
	if err != nil || head.IsZero() {
		return nil, false, err
	}
	if err := ctx.Err(); err != nil {
		return nil, false, err
	}
	c, err := repo.CommitObject(head)
	if err != nil {
		return nil, false, fmt.Errorf("notes commit %s: %w", head, err)
	}
	tree, err := c.Tree()
	if err != nil {
		return nil, false, fmt.Errorf("tree of notes commit %s: %w", head, err)
	}
	blob, ok := findNote(repo, tree, target.String())
	if !ok {
		return nil, false, nil
	}
	text, err := blobBytes(repo.Storer, blob)
	if err != nil {
		return nil, false, fmt.Errorf("note on %s: %w", target, err)
	}
	return text, true, nil
}

func writeNote(ctx context.Context, repo *git.Repository, notesRef plumbing.ReferenceName, commit string, text []byte) error {
	target, err := resolveCommit(repo, commit)
	if err != nil {
		return err
	}
	head, err := refHash(repo.Storer, notesRef)
	if err != nil {
		return err
	}
	notes, err := readNotes(repo, head)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if notes[target] == plumbing.ComputeHash(plumbing.BlobObject, text) {
		return nil
	}
	blob, err := storeBlob(repo.Storer, text)
	if err != nil {
		return fmt.Errorf("note on %s: %w", target, err)
	}
	notes[target] = blob
	var parents []plumbing.Hash
	if !head.IsZero() {
		parents = []plumbing.Hash{head}
	}
	next, err := storeNotesCommit(repo.Storer, notes, parents, "Notes added by manifold\n")
	if err != nil {
		return fmt.Errorf("note on %s: %w", target, err)
	}
	return moveRef(repo.Storer, notesRef, head, next)
}

// resolveCommit turns a full SHA or any revision go-git resolves into a hash.
func resolveCommit(repo *git.Repository, rev string) (plumbing.Hash, error) {
	if len(rev) == 40 && plumbing.IsHash(rev) {
		return plumbing.NewHash(rev), nil
	}
	h, err := repo.ResolveRevision(plumbing.Revision(rev))
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("revision %q: %w", rev, err)
	}
	return *h, nil
}

// refHash returns the hash a ref points to, zero when it does not exist.
func refHash(st storer.ReferenceStorer, name plumbing.ReferenceName) (plumbing.Hash, error) {
	ref, err := st.Reference(name)
	if errors.Is(err, plumbing.ErrReferenceNotFound) {
		return plumbing.ZeroHash, nil
	}
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("ref %s: %w", name, err)
	}
	return ref.Hash(), nil
}

// moveRef points name at next if it still points at old (zero: absent), so
// a concurrent writer's update is never lost silently.
func moveRef(st storer.ReferenceStorer, name plumbing.ReferenceName, old, next plumbing.Hash) error {
	var oldRef *plumbing.Reference
	if !old.IsZero() {
		oldRef = plumbing.NewHashReference(name, old)
	}
	if err := st.CheckAndSetReference(plumbing.NewHashReference(name, next), oldRef); err != nil {
		return fmt.Errorf("updating %s from %s to %s: %w", name, old, next, err)
	}
	return nil
}
