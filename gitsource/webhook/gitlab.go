package webhook

import (
	"encoding/json"
)

// labRepo holds the URL fields GitLab puts in project, repository and a
// merge request's source and target.
type labRepo struct {
	GitHTTPURL string `json:"git_http_url"`
	GitSSHURL  string `json:"git_ssh_url"`
	HTTPURL    string `json:"http_url"`
	SSHURL     string `json:"ssh_url"`
	WebURL     string `json:"web_url"`
	URL        string `json:"url"`
	Homepage   string `json:"homepage"`
}

// urls returns the repository's URL forms, HTTP clone URL first; none for nil.
func (r *labRepo) urls() []string {
	if r == nil {
		return nil
	}
	return nonEmpty(r.GitHTTPURL, r.HTTPURL, r.GitSSHURL, r.SSHURL, r.WebURL, r.URL, r.Homepage)
}

type labPush struct {
	Ref         string   `json:"ref"`
	After       string   `json:"after"`
	CheckoutSHA string   `json:"checkout_sha"`
	Project     *labRepo `json:"project"`
	Repository  *labRepo `json:"repository"`
}

type labMergeRequest struct {
	Project          *labRepo `json:"project"`
	Repository       *labRepo `json:"repository"`
	ObjectAttributes *struct {
		IID          int      `json:"iid"`
		Action       string   `json:"action"`
		SourceBranch string   `json:"source_branch"`
		TargetBranch string   `json:"target_branch"`
		Source       *labRepo `json:"source"`
		Target       *labRepo `json:"target"`
		LastCommit   *struct {
			ID string `json:"id"`
		} `json:"last_commit"`
	} `json:"object_attributes"`
}

// parseLab reads a GitLab Push Hook or Merge Request Hook payload.
func parseLab(k Kind, payload []byte) (parsed, error) {
	if k == KindPullRequest {
		return parseLabMergeRequest(payload)
	}
	var p labPush
	if err := json.Unmarshal(payload, &p); err != nil {
		return parsed{}, err
	}
	urls := append(p.Project.urls(), p.Repository.urls()...)
	switch {
	case p.Ref == "":
		return parsed{}, errMissing("ref")
	case len(urls) == 0:
		return parsed{}, errMissing("project URL")
	}
	after := p.After
	if after == "" {
		after = p.CheckoutSHA
	}
	return parsed{
		event:    Event{Repo: urls[0], Branch: branchOf(p.Ref), After: after},
		ref:      p.Ref,
		repoURLs: urls,
	}, nil
}

func parseLabMergeRequest(payload []byte) (parsed, error) {
	var p labMergeRequest
	if err := json.Unmarshal(payload, &p); err != nil {
		return parsed{}, err
	}
	mr := p.ObjectAttributes
	if mr == nil {
		return parsed{}, errMissing("object_attributes")
	}
	urls := append(append(p.Project.urls(), mr.Target.urls()...), p.Repository.urls()...)
	switch {
	case mr.IID <= 0:
		return parsed{}, errMissing("object_attributes.iid")
	case mr.LastCommit == nil || mr.LastCommit.ID == "":
		return parsed{}, errMissing("object_attributes.last_commit.id")
	case mr.SourceBranch == "":
		return parsed{}, errMissing("object_attributes.source_branch")
	case mr.TargetBranch == "":
		return parsed{}, errMissing("object_attributes.target_branch")
	case len(urls) == 0:
		return parsed{}, errMissing("project URL")
	}
	clone := urls[0]
	if src := mr.Source.urls(); len(src) > 0 {
		clone = src[0]
	}
	return parsed{
		event: Event{Repo: urls[0], PR: &PullRequest{
			Number: mr.IID, Action: mr.Action, HeadSHA: mr.LastCommit.ID,
			HeadRef: mr.SourceBranch, BaseRef: mr.TargetBranch, CloneURL: clone,
		}},
		repoURLs: urls,
	}, nil
}
