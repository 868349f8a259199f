package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/manifold-gitops/manifold/gitsource"
	"github.com/manifold-gitops/manifold/render"
	"github.com/spf13/cobra"
)

// repoFlags are the flags naming the config repository and revision.
type repoFlags struct {
	repo     string
	revision string
}

func (f *repoFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.repo, "repo", ".", "config repository: a local path (working tree or Git repository) or a Git URL")
	cmd.Flags().StringVar(&f.revision, "revision", "", "Git revision to read (commit, branch, tag); empty reads a local working tree as it is on disk")
}

// snapshot reads the repository: the working tree as on disk when no
// revision is given for a local path, otherwise the revision from Git.
func (f *repoFlags) snapshot(ctx context.Context) (*gitsource.Snapshot, error) {
	if isURL(f.repo) {
		return gitsource.ReadRemote(ctx, f.repo, f.revision, gitsource.Limits{})
	}
	if f.revision == "" {
		return gitsource.ReadWorktree(f.repo, gitsource.Limits{})
	}
	return gitsource.ReadRevision(ctx, f.repo, f.revision, gitsource.Limits{})
}

// render reads the repository and renders it.
func (f *repoFlags) render(ctx context.Context) (*gitsource.Snapshot, *render.Result, error) {
	snap, err := f.snapshot(ctx)
	if err != nil {
		return nil, nil, err
	}
	return snap, render.NewRenderer(render.Limits{}).Render(ctx, snap), nil
}

func isURL(s string) bool {
	return strings.Contains(s, "://") || strings.HasPrefix(s, "git@")
}

// describe names what was read, for summaries.
func describe(snap *gitsource.Snapshot, repo string) string {
	if snap.Revision == "" {
		return fmt.Sprintf("%s (working tree)", repo)
	}
	return fmt.Sprintf("%s at %s", repo, snap.Revision[:12])
}
