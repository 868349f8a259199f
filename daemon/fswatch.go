package daemon

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
)

// WatchFiles calls fn, debounced, whenever something changes in the given
// folders (not recursive). It returns once the watches are set up and stops
// when ctx ends.
func WatchFiles(ctx context.Context, dirs []string, debounce time.Duration, fn func()) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("fsnotify: %w", err)
	}
	for _, d := range dirs {
		if err := w.Add(d); err != nil {
			w.Close()
			return fmt.Errorf("watching %s: %w", d, err)
		}
	}
	go func() {
		defer w.Close()
		var timer *time.Timer
		var fire <-chan time.Time
		for {
			select {
			case <-ctx.Done():
				return
			case _, ok := <-w.Events:
				if !ok {
					return
				}
				if timer == nil {
					timer = time.NewTimer(debounce)
					fire = timer.C
				}
			case <-w.Errors:
			case <-fire:
				timer, fire = nil, nil
				fn()
			}
		}
	}()
	return nil
}

// GitRefDirs returns the folders whose changes mean a local repository's
// branches moved: the Git directory (HEAD, packed-refs) and every folder
// below refs/heads.
func GitRefDirs(repo string) ([]string, error) {
	gitDir := filepath.Join(repo, ".git")
	if st, err := os.Stat(gitDir); err != nil || !st.IsDir() {
		gitDir = repo // a bare repository
	}
	heads := filepath.Join(gitDir, "refs", "heads")
	if _, err := os.Stat(heads); err != nil {
		return nil, fmt.Errorf("%s is not a Git repository: %w", repo, err)
	}
	dirs := []string{gitDir}
	err := filepath.WalkDir(heads, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			dirs = append(dirs, p)
		}
		return err
	})
	return dirs, err
}
