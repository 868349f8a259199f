package gitsource

import (
	"context"
	"fmt"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/storage/memory"
)

// ReadRemote clones url into memory and reads revision rev ("" for the
// remote's HEAD). It suits one-shot commands; the daemon keeps a persistent
// repository instead (OpenSource). Credentials in url never appear in errors.
func ReadRemote(ctx context.Context, url, rev string, limits Limits) (*Snapshot, error) {
	snap, err := readRemote(ctx, url, rev, limits)
	if err != nil {
		display := "the config repository"
		var secret string
		if ep, perr := transport.NewEndpoint(url); perr == nil {
			secret = ep.Password
			if ep.Protocol == "http" || ep.Protocol == "https" {
				ep.User = ""
			}
			display = displayEndpoint(ep)
		}
		redact := redactor(url, display, secret)
		if msg := redact.Replace(err.Error()); msg != err.Error() {
			return nil, &redactedError{msg: msg, cause: err}
		}
	}
	return snap, err
}

func readRemote(ctx context.Context, url, rev string, limits Limits) (*Snapshot, error) {
	repo, err := git.CloneContext(ctx, memory.NewStorage(), nil, &git.CloneOptions{URL: url, Tags: git.AllTags})
	if err != nil {
		return nil, fmt.Errorf("cloning %s: %w", url, err)
	}
	if rev == "" {
		rev = "HEAD"
	}
	hash, err := repo.ResolveRevision(plumbing.Revision(rev))
	if err != nil {
		if h, err2 := repo.ResolveRevision(plumbing.Revision("origin/" + rev)); err2 == nil {
			hash = h
		} else {
			return nil, fmt.Errorf("revision %q of %s: %w", rev, url, err)
		}
	}
	return ReadCommit(ctx, repo, *hash, ".", limits)
}
