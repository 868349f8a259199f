package webhook

import (
	"fmt"
	"strings"
)

const branchPrefix = "refs/heads/"

// branchOf returns the branch a ref names, or "" when it names no branch.
func branchOf(ref string) string {
	b, ok := strings.CutPrefix(ref, branchPrefix)
	if !ok {
		return ""
	}
	return b
}

// relevance decides whether a parsed push or pull request concerns the
// followed repository and branch; when it does not, it says why.
func (h *Handler) relevance(k Kind, p parsed) (bool, string) {
	if len(p.repoURLs) > 0 && !h.repos.matchAny(p.repoURLs) {
		return false, fmt.Sprintf("repository %q is not followed", p.event.Repo)
	}
	switch {
	case k == KindPullRequest:
		if base := strings.TrimPrefix(p.event.PR.BaseRef, branchPrefix); h.branch != "" && base != h.branch {
			return false, fmt.Sprintf("pull request base %q is not followed", base)
		}
	case p.ref == "":
		// A generic delivery without a ref: fetch now.
	case p.event.Branch == "":
		return false, fmt.Sprintf("ref %q is not a branch", p.ref)
	case h.branch != "" && p.event.Branch != h.branch:
		return false, fmt.Sprintf("branch %q is not followed", p.event.Branch)
	}
	return true, ""
}
