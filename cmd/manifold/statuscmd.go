package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/manifold-gitops/manifold/gitsource"
	"github.com/manifold-gitops/manifold/status"
	"github.com/spf13/cobra"
)

func newStatusCommand() *cobra.Command {
	var repo, revision, branch, output string
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the status note manifold wrote on a revision",
		Long: `Status reads the note manifold wrote under refs/notes/manifold on a revision (default:
the branch head) and prints, per cluster and subscription, the actions, health, held
prunes and errors. For a local clone, fetch the notes first:
  git fetch origin refs/notes/manifold:refs/notes/manifold`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			text, rev, err := readStatusNote(cmd.Context(), repo, revision, branch)
			if err != nil {
				return err
			}
			if text == nil {
				return fmt.Errorf("no status note on %s: manifold has not synced it (yet)", rev)
			}
			note, err := status.Parse(text)
			if err != nil {
				return err
			}
			if output == "json" {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(note)
			}
			status.Print(cmd.OutOrStdout(), note)
			if note.Outcome != status.OutcomeSynced {
				return errReported{"the revision did not sync cleanly"}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&repo, "repo", ".", "config repository: a local path or a Git URL")
	cmd.Flags().StringVar(&revision, "revision", "", "revision whose note to show (default: the branch head)")
	cmd.Flags().StringVar(&branch, "branch", "main", "branch whose head is shown when --revision is empty (URLs only; a local path uses HEAD)")
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output format: text or json")
	return cmd
}

// readStatusNote returns the note text of a revision (nil when none) and the
// revision it looked at.
func readStatusNote(ctx context.Context, repo, revision, branch string) ([]byte, string, error) {
	if !isURL(repo) {
		if revision == "" {
			revision = "HEAD"
		}
		text, ok, err := gitsource.ReadNote(ctx, repo, revision)
		if err != nil || !ok {
			return nil, revision, err
		}
		return text, revision, nil
	}
	dir, err := os.MkdirTemp("", "manifold-status-")
	if err != nil {
		return nil, "", err
	}
	defer os.RemoveAll(dir)
	src, err := gitsource.OpenSource(ctx, gitsource.SourceOptions{URL: repo, Branch: branch, StateDir: dir})
	if err != nil {
		return nil, "", err
	}
	snap, _, err := src.Poll(ctx)
	if err != nil {
		return nil, "", err
	}
	if err := src.FetchNotes(ctx); err != nil {
		return nil, "", err
	}
	if revision == "" {
		revision = snap.Revision
	}
	text, ok, err := src.Note(ctx, revision)
	if err != nil || !ok {
		return nil, revision, err
	}
	return text, revision, nil
}
