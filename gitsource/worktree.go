package gitsource

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/go-git/go-git/v5/plumbing"
)

// ReadWorktree reads the files below root as they are on disk, uncommitted
// edits included. The .git folder is skipped; symlinks are followed only to
// files inside root.
func ReadWorktree(root string, limits Limits) (*Snapshot, error) {
	limits = limits.withDefaults()
	info, err := os.Stat(root)
	if err != nil {
		return nil, fmt.Errorf("repository %s: %w", root, err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("repository %s is not a folder", root)
	}
	s := newSnapshot()
	links := map[string]string{}
	b := &budget{limits: limits}
	err = filepath.WalkDir(root, func(osPath string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, osPath)
		if err != nil {
			return err
		}
		p := filepath.ToSlash(rel)
		if d.IsDir() {
			if d.Name() == ".git" && p != "." {
				return filepath.SkipDir
			}
			if p != "." {
				s.dirs[p] = true
			}
			return nil
		}
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(osPath)
			if err != nil {
				return err
			}
			links[p] = filepath.ToSlash(target)
			return nil
		case !d.Type().IsRegular():
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		readable, err := b.admit(p, info.Size())
		if err != nil {
			return err
		}
		if !readable {
			s.add(p, &file{err: tooLarge(info.Size(), limits)})
			return nil
		}
		data, err := os.ReadFile(osPath)
		if err != nil {
			return err
		}
		s.add(p, &file{data: data, hash: plumbing.ComputeHash(plumbing.BlobObject, data)})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading repository %s: %w", root, err)
	}
	s.resolveSymlinks(links)
	s.seal()
	return s, nil
}
