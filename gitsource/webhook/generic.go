package webhook

import (
	"bytes"
	"encoding/json"
	"strings"
)

// genericPush is the body of a generic delivery. Every field is optional.
type genericPush struct {
	// Repository is the repository's URL; when set, deliveries for other
	// repositories are ignored.
	Repository string `json:"repository"`
	// Ref is "refs/heads/<branch>" or a bare branch name; when set, pushes to
	// other branches are ignored.
	Ref string `json:"ref"`
	// After is the branch's new head commit.
	After string `json:"after"`
}

// parseGeneric reads a generic delivery. An empty body means "fetch now".
func parseGeneric(_ Kind, payload []byte) (parsed, error) {
	if len(bytes.TrimSpace(payload)) == 0 {
		return parsed{}, nil
	}
	var p genericPush
	if err := json.Unmarshal(payload, &p); err != nil {
		return parsed{}, err
	}
	ref := p.Ref
	if ref != "" && !strings.HasPrefix(ref, "refs/") {
		ref = branchPrefix + ref
	}
	return parsed{
		event:    Event{Repo: p.Repository, Branch: branchOf(ref), After: p.After},
		ref:      ref,
		repoURLs: nonEmpty(p.Repository),
	}, nil
}
