package gitsource

import (
	"fmt"
	"io"
	"sort"
	"time"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// findNote looks name up in a notes tree, flat or fanned out.
func findNote(repo *git.Repository, tree *object.Tree, name string) (plumbing.Hash, bool) {
	for {
		for _, e := range tree.Entries {
			if e.Name == name && e.Mode.IsFile() {
				return e.Hash, true
			}
		}
		if len(name) <= 2 {
			return plumbing.ZeroHash, false
		}
		sub, err := tree.Tree(name[:2])
		if err != nil {
			return plumbing.ZeroHash, false
		}
		tree, name = sub, name[2:]
	}
}

// readNotes maps each annotated commit to its note blob, for notes commit
// head (zero: no notes).
func readNotes(repo *git.Repository, head plumbing.Hash) (map[plumbing.Hash]plumbing.Hash, error) {
	notes := map[plumbing.Hash]plumbing.Hash{}
	if head.IsZero() {
		return notes, nil
	}
	c, err := repo.CommitObject(head)
	if err != nil {
		return nil, fmt.Errorf("notes commit %s: %w", head, err)
	}
	tree, err := c.Tree()
	if err != nil {
		return nil, fmt.Errorf("tree of notes commit %s: %w", head, err)
	}
	if err := collectNotes(tree, "", notes); err != nil {
		return nil, fmt.Errorf("notes commit %s: %w", head, err)
	}
	return notes, nil
}

func collectNotes(tree *object.Tree, prefix string, notes map[plumbing.Hash]plumbing.Hash) error {
	for _, e := range tree.Entries {
		name := prefix + e.Name
		switch {
		case e.Mode.IsFile() && len(name) == 40 && plumbing.IsHash(name):
			notes[plumbing.NewHash(name)] = e.Hash
		case e.Mode == filemode.Dir && len(e.Name) == 2 && len(name) < 40 && isHex(e.Name):
			sub, err := tree.Tree(e.Name)
			if err != nil {
				return fmt.Errorf("fanout folder %s: %w", name, err)
			}
			if err := collectNotes(sub, name, notes); err != nil {
				return err
			}
		}
	}
	return nil
}

// storeNotesCommit writes a flat notes tree and a commit holding it.
func storeNotesCommit(st storer.EncodedObjectStorer, notes map[plumbing.Hash]plumbing.Hash, parents []plumbing.Hash, message string) (plumbing.Hash, error) {
	tree := &object.Tree{Entries: make([]object.TreeEntry, 0, len(notes))}
	for target, blob := range notes {
		tree.Entries = append(tree.Entries, object.TreeEntry{Name: target.String(), Mode: filemode.Regular, Hash: blob})
	}
	sort.Slice(tree.Entries, func(i, j int) bool { return tree.Entries[i].Name < tree.Entries[j].Name })
	treeHash, err := storeObject(st, tree)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("notes tree: %w", err)
	}
	sig := notesAuthor
	sig.When = time.Now()
	c := &object.Commit{Author: sig, Committer: sig, Message: message, TreeHash: treeHash, ParentHashes: parents}
	h, err := storeObject(st, c)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("notes commit: %w", err)
	}
	return h, nil
}

func isHex(s string) bool {
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func storeObject(st storer.EncodedObjectStorer, o interface {
	Encode(plumbing.EncodedObject) error
}) (plumbing.Hash, error) {
	obj := st.NewEncodedObject()
	if err := o.Encode(obj); err != nil {
		return plumbing.ZeroHash, err
	}
	return st.SetEncodedObject(obj)
}

func storeBlob(st storer.EncodedObjectStorer, data []byte) (plumbing.Hash, error) {
	obj := st.NewEncodedObject()
	obj.SetType(plumbing.BlobObject)
	w, err := obj.Writer()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if _, err := w.Write(data); err != nil {
		return plumbing.ZeroHash, err
	}
	if err := w.Close(); err != nil {
		return plumbing.ZeroHash, err
	}
	return st.SetEncodedObject(obj)
}

func blobBytes(st storer.EncodedObjectStorer, h plumbing.Hash) ([]byte, error) {
	blob, err := object.GetBlob(st, h)
	if err != nil {
		return nil, err
	}
	r, err := blob.Reader()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}
