package gitsource

import (
	"context"
	"encoding/hex"
	"fmt"

	"github.com/go-git/go-git/v5/plumbing"
)

// Snapshot reads an earlier revision of the followed repository (a full
// commit SHA) from the local repository, without any network access: a
// revision Poll returned once is always there, since history is only ever
// fetched, never dropped. Rollouts use it to render the revision that the
// clusters not yet promoted keep running.
func (s *Source) Snapshot(ctx context.Context, revision string) (*Snapshot, error) {
	if last := s.last.Load(); last != nil && last.Revision == revision {
		return last, nil
	}
	if b, err := hex.DecodeString(revision); err != nil || len(b) != 20 {
		return nil, fmt.Errorf("revision %q of %s: a full commit SHA is expected", revision, s.url)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	snap, err := s.read(ctx, plumbing.NewHash(revision))
	return snap, s.scrub(err)
}
