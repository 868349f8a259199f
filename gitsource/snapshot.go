package gitsource

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
)

// Limits bound what a snapshot may hold.
type Limits struct {
	// MaxFileBytes is the largest file that can be read; a larger file is
	// listed but reading it is an error.
	MaxFileBytes int64
	// MaxFiles is the most files a repository may hold.
	MaxFiles int
	// MaxTotalBytes bounds the sum of all readable files.
	MaxTotalBytes int64
}

// DefaultLimits are the limits used when none are given.
var DefaultLimits = Limits{MaxFileBytes: 1 << 20, MaxFiles: 20000, MaxTotalBytes: 256 << 20}

func (l Limits) withDefaults() Limits {
	if l.MaxFileBytes <= 0 {
		l.MaxFileBytes = DefaultLimits.MaxFileBytes
	}
	if l.MaxFiles <= 0 {
		l.MaxFiles = DefaultLimits.MaxFiles
	}
	if l.MaxTotalBytes <= 0 {
		l.MaxTotalBytes = DefaultLimits.MaxTotalBytes
	}
	return l
}

// ErrNotFound is returned for paths the snapshot does not hold.
var ErrNotFound = fs.ErrNotExist

// file is one file of a snapshot. A file that cannot be read (too large, a
// symlink leaving the repository) keeps the reason in err.
type file struct {
	data []byte
	hash plumbing.Hash
	err  error
}

// Snapshot is the files of a config repository at one revision. Paths are
// slash-separated and relative to the repository root. A Snapshot is
// immutable and safe for concurrent use.
type Snapshot struct {
	// Revision is the commit the files were read from; empty for a working tree.
	Revision string
	// Message is the commit message; empty for a working tree.
	Message string

	files map[string]*file
	dirs  map[string]bool
	paths []string
}

func newSnapshot() *Snapshot {
	return &Snapshot{files: map[string]*file{}, dirs: map[string]bool{".": true}}
}

// add records a file and its parent folders.
func (s *Snapshot) add(p string, f *file) {
	s.files[p] = f
	for d := path.Dir(p); !s.dirs[d]; d = path.Dir(d) {
		s.dirs[d] = true
	}
}

// seal sorts the path list once all files are added.
func (s *Snapshot) seal() {
	s.paths = make([]string, 0, len(s.files))
	for p := range s.files {
		s.paths = append(s.paths, p)
	}
	sort.Strings(s.paths)
}

// Paths returns every file path, sorted.
func (s *Snapshot) Paths() []string { return s.paths }

// ReadFile returns a file's content. The slice must not be modified.
func (s *Snapshot) ReadFile(p string) ([]byte, error) {
	f, ok := s.files[clean(p)]
	if !ok {
		return nil, fmt.Errorf("%s: %w", p, ErrNotFound)
	}
	if f.err != nil {
		return nil, fmt.Errorf("%s: %w", p, f.err)
	}
	return f.data, nil
}

// FileHash returns the Git blob hash of a file's content, and false when the
// file does not exist or cannot be read.
func (s *Snapshot) FileHash(p string) (string, bool) {
	f, ok := s.files[clean(p)]
	if !ok || f.err != nil {
		return "", false
	}
	return f.hash.String(), true
}

// IsDir reports whether p is a folder of the snapshot ("." is the root).
func (s *Snapshot) IsDir(p string) bool { return s.dirs[clean(p)] }

// Exists reports whether p is a file or folder of the snapshot.
func (s *Snapshot) Exists(p string) bool {
	p = clean(p)
	_, ok := s.files[p]
	return ok || s.dirs[p]
}

// Under returns the sorted file paths below folder dir ("." for all).
func (s *Snapshot) Under(dir string) []string {
	dir = clean(dir)
	if dir == "." {
		return s.paths
	}
	prefix := dir + "/"
	i := sort.SearchStrings(s.paths, prefix)
	j := i
	for j < len(s.paths) && strings.HasPrefix(s.paths[j], prefix) {
		j++
	}
	return s.paths[i:j]
}

func clean(p string) string {
	p = path.Clean("/" + p)
	if p == "/" {
		return "."
	}
	return p[1:]
}

// errSymlinkEscapes is kept on a symlink whose target leaves the repository.
var errSymlinkEscapes = errors.New("symlink points outside the repository")

// resolveSymlinks replaces each symlink with the file it points to, when that
// file is inside the repository. links maps link path to raw target.
func (s *Snapshot) resolveSymlinks(links map[string]string) {
	for link := range links {
		f := &file{}
		target, err := followLink(link, links)
		switch {
		case err != nil:
			f.err = err
		case s.dirs[target]:
			f.err = fmt.Errorf("symlink to a folder is not supported")
		default:
			t, ok := s.files[target]
			if !ok {
				f.err = fmt.Errorf("symlink target does not exist in the repository")
			} else {
				*f = *t
			}
		}
		s.add(link, f)
	}
}

// followLink resolves a chain of links to a path inside the repository.
func followLink(link string, links map[string]string) (string, error) {
	cur := link
	for range 16 {
		target, ok := links[cur]
		if !ok {
			return cur, nil
		}
		if path.IsAbs(target) {
			return "", errSymlinkEscapes
		}
		joined := path.Join(path.Dir(cur), target)
		if joined == ".." || strings.HasPrefix(joined, "../") {
			return "", errSymlinkEscapes
		}
		cur = joined
	}
	return "", fmt.Errorf("too many levels of symlinks")
}

// checkLimits applies the per-file and total limits to a regular file.
type budget struct {
	limits Limits
	files  int
	total  int64
}

func (b *budget) admit(p string, size int64) (readable bool, err error) {
	b.files++
	if b.files > b.limits.MaxFiles {
		return false, fmt.Errorf("repository holds more than %d files (the limit)", b.limits.MaxFiles)
	}
	if size > b.limits.MaxFileBytes {
		return false, nil
	}
	b.total += size
	if b.total > b.limits.MaxTotalBytes {
		return false, fmt.Errorf("repository holds more than %d bytes of files (the limit) at %s", b.limits.MaxTotalBytes, p)
	}
	return true, nil
}

func tooLarge(size int64, l Limits) error {
	return fmt.Errorf("file is %d bytes, over the %d-byte limit", size, l.MaxFileBytes)
}

// FromFiles builds a snapshot from file contents keyed by slash path, for
// tests and tools that hold a repository in memory.
func FromFiles(revision string, files map[string]string) *Snapshot {
	s := newSnapshot()
	s.Revision = revision
	for p, content := range files {
		data := []byte(content)
		s.add(clean(p), &file{data: data, hash: plumbing.ComputeHash(plumbing.BlobObject, data)})
	}
	s.seal()
	return s
}
