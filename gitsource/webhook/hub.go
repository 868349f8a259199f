package webhook

import (
	"encoding/json"
	"errors"
)

// GitHub and Gitea share the payload shapes read here.

type hubRepo struct {
	CloneURL string `json:"clone_url"`
	HTMLURL  string `json:"html_url"`
	SSHURL   string `json:"ssh_url"`
	GitURL   string `json:"git_url"`
}

// urls returns the repository's URL forms, clone URL first; none for nil.
func (r *hubRepo) urls() []string {
	if r == nil {
		return nil
	}
	return nonEmpty(r.CloneURL, r.HTMLURL, r.SSHURL, r.GitURL)
}

type hubPush struct {
	Ref        string   `json:"ref"`
	After      string   `json:"after"`
	Repository *hubRepo `json:"repository"`
}

type hubBranch struct {
	Ref  string   `json:"ref"`
	SHA  string   `json:"sha"`
	Repo *hubRepo `json:"repo"`
}

type hubPullRequest struct {
	Action      string `json:"action"`
	Number      int    `json:"number"`
	PullRequest *struct {
		Number int       `json:"number"`
		Head   hubBranch `json:"head"`
		Base   hubBranch `json:"base"`
	} `json:"pull_request"`
	Repository *hubRepo `json:"repository"`
}

// parseHub reads a GitHub or Gitea push or pull_request payload.
func parseHub(k Kind, payload []byte) (parsed, error) {
	if k == KindPullRequest {
		return parseHubPullRequest(payload)
	}
	var p hubPush
	if err := json.Unmarshal(payload, &p); err != nil {
		return parsed{}, err
	}
	urls := p.Repository.urls()
	switch {
	case p.Ref == "":
		return parsed{}, errMissing("ref")
	case len(urls) == 0:
		return parsed{}, errMissing("repository URL")
	}
	return parsed{
		event:    Event{Repo: urls[0], Branch: branchOf(p.Ref), After: p.After},
		ref:      p.Ref,
		repoURLs: urls,
	}, nil
}

func parseHubPullRequest(payload []byte) (parsed, error) {
	var p hubPullRequest
	if err := json.Unmarshal(payload, &p); err != nil {
		return parsed{}, err
	}
	pr := p.PullRequest
	if pr == nil {
		return parsed{}, errMissing("pull_request")
	}
	number := pr.Number
	if number == 0 {
		number = p.Number
	}
	urls := append(p.Repository.urls(), pr.Base.Repo.urls()...)
	switch {
	case number <= 0:
		return parsed{}, errors.New("pull request number is not positive")
	case pr.Head.SHA == "":
		return parsed{}, errMissing("pull_request.head.sha")
	case pr.Head.Ref == "":
		return parsed{}, errMissing("pull_request.head.ref")
	case pr.Base.Ref == "":
		return parsed{}, errMissing("pull_request.base.ref")
	case len(urls) == 0:
		return parsed{}, errMissing("repository URL")
	}
	clone := urls[0]
	if head := pr.Head.Repo.urls(); len(head) > 0 {
		clone = head[0]
	}
	return parsed{
		event: Event{Repo: urls[0], PR: &PullRequest{
			Number: number, Action: p.Action, HeadSHA: pr.Head.SHA,
			HeadRef: pr.Head.Ref, BaseRef: pr.Base.Ref, CloneURL: clone,
		}},
		repoURLs: urls,
	}, nil
}
