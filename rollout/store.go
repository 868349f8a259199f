package rollout

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Store keeps the rollout states of one repository in a JSON file, so a
// restarted daemon resumes every rollout where it was. Each Save replaces
// the file atomically (a temporary file renamed over it).
//
// In-cluster mode will keep the same document in a ConfigMap of the
// management cluster instead.
type Store struct {
	path       string
	repository string
}

// storeFile is the file's content.
type storeFile struct {
	// Repository is the config repository the states belong to; states of
	// another repository are not loaded.
	Repository    string           `json:"repository"`
	Subscriptions map[string]State `json:"subscriptions"`
}

// NewStore returns a store writing path for the repository (its URL).
func NewStore(path, repository string) *Store {
	return &Store{path: path, repository: repository}
}

// Path is the file the store writes.
func (s *Store) Path() string { return s.path }

// Load returns the stored states by subscription: none when the file does
// not exist or belongs to another repository. An unreadable or malformed
// file is an error, never an empty state: forgetting a halted rollout would
// deliver its revision everywhere.
func (s *Store) Load() (map[string]State, error) {
	data, err := os.ReadFile(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]State{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("rollout state %s: %w", s.path, err)
	}
	var f storeFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("rollout state %s: %w", s.path, err)
	}
	if f.Repository != s.repository || f.Subscriptions == nil {
		return map[string]State{}, nil
	}
	return f.Subscriptions, nil
}

// Save writes states, replacing the file atomically.
func (s *Store) Save(states map[string]State) error {
	data, err := json.MarshalIndent(storeFile{Repository: s.repository, Subscriptions: states}, "", "  ")
	if err != nil {
		return fmt.Errorf("rollout state: %w", err)
	}
	dir := filepath.Dir(s.path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("rollout state %s: %w", s.path, err)
	}
	tmp, err := os.CreateTemp(dir, ".rollouts-*.tmp")
	if err != nil {
		return fmt.Errorf("rollout state %s: %w", s.path, err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename there is nothing to remove
	_, err = tmp.Write(append(data, '\n'))
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), s.path)
	}
	if err != nil {
		return fmt.Errorf("rollout state %s: %w", s.path, err)
	}
	return nil
}
