package gitsource

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// Open opens the Git repository holding dir (a working tree, a folder inside
// one, or a bare repository). It returns the repository and dir's path
// relative to the repository's top, "." when dir is the top.
func Open(dir string) (*git.Repository, string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, "", err
	}
	repo, err := git.PlainOpenWithOptions(abs, &git.PlainOpenOptions{DetectDotGit: true})
	if err != nil {
		return nil, "", fmt.Errorf("opening Git repository at %s: %w", dir, err)
	}
	sub := "."
	if wt, err := repo.Worktree(); err == nil {
		top, err := filepath.EvalSymlinks(wt.Filesystem.Root())
		if err != nil {
			return nil, "", err
		}
		here, err := filepath.EvalSymlinks(abs)
		if err != nil {
			return nil, "", err
		}
		rel, err := filepath.Rel(top, here)
		if err != nil || strings.HasPrefix(rel, "..") {
			return nil, "", fmt.Errorf("%s is not inside the Git working tree %s", dir, top)
		}
		sub = filepath.ToSlash(rel)
	}
	return repo, sub, nil
}

// ReadRevision opens the repository holding dir and reads revision rev (a
// commit SHA, branch, tag or any revision go-git resolves) of dir's subtree.
func ReadRevision(ctx context.Context, dir, rev string, limits Limits) (*Snapshot, error) {
	repo, sub, err := Open(dir)
	if err != nil {
		return nil, err
	}
	hash, err := repo.ResolveRevision(plumbing.Revision(rev))
	if err != nil {
		return nil, fmt.Errorf("revision %q of %s: %w", rev, dir, err)
	}
	return ReadCommit(ctx, repo, *hash, sub, limits)
}

// ReadCommit reads the subtree sub ("." for all) of a commit, without a checkout.
func ReadCommit(ctx context.Context, repo *git.Repository, commit plumbing.Hash, sub string, limits Limits) (*Snapshot, error) {
	limits = limits.withDefaults()
	c, err := repo.CommitObject(commit)
	if err != nil {
		return nil, fmt.Errorf("commit %s: %w", commit, err)
	}
	tree, err := c.Tree()
	if err != nil {
		return nil, fmt.Errorf("tree of commit %s: %w", commit, err)
	}
	if sub = clean(sub); sub != "." {
		tree, err = tree.Tree(sub)
		if err != nil {
			return nil, fmt.Errorf("folder %s in commit %s: %w", sub, commit, err)
		}
	}
	s := newSnapshot()
	s.Revision = commit.String()
	s.Message = c.Message
	links := map[string]string{}
	b := &budget{limits: limits}
	walker := object.NewTreeWalker(tree, true, nil)
	defer walker.Close()
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		name, entry, err := walker.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("walking commit %s: %w", commit, err)
		}
		switch entry.Mode {
		case filemode.Dir:
			s.dirs[name] = true
			continue
		case filemode.Submodule:
			continue
		}
		blob, err := repo.BlobObject(entry.Hash)
		if err != nil {
			return nil, fmt.Errorf("%s in commit %s: %w", name, commit, err)
		}
		if entry.Mode == filemode.Symlink {
			target, err := readBlob(blob, 4096)
			if err != nil {
				return nil, fmt.Errorf("%s in commit %s: %w", name, commit, err)
			}
			links[name] = string(target)
			continue
		}
		readable, err := b.admit(name, blob.Size)
		if err != nil {
			return nil, err
		}
		if !readable {
			s.add(name, &file{err: tooLarge(blob.Size, limits)})
			continue
		}
		data, err := readBlob(blob, blob.Size)
		if err != nil {
			return nil, fmt.Errorf("%s in commit %s: %w", name, commit, err)
		}
		s.add(name, &file{data: data, hash: entry.Hash})
	}
	s.resolveSymlinks(links)
	s.seal()
	return s, nil
}

func readBlob(b *object.Blob, max int64) ([]byte, error) {
	r, err := b.Reader()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(io.LimitReader(r, max))
}

// IsGitRepository reports whether dir is inside a Git repository.
func IsGitRepository(dir string) bool {
	_, err := os.Stat(dir)
	if err != nil {
		return false
	}
	_, _, err = Open(dir)
	return err == nil
}
