package webhook

// Kind is what a delivery reports.
type Kind int

// The kinds of delivery.
const (
	// KindOther is any event manifold does not act on (tags, issues, comments...).
	KindOther Kind = iota
	// KindPush reports that a branch moved, or for the generic provider simply
	// asks for a fetch now.
	KindPush
	// KindPullRequest reports a pull request (GitLab: merge request) change.
	KindPullRequest
	// KindPing is a provider's connectivity check.
	KindPing
)

var kindNames = [...]string{KindOther: "other", KindPush: "push", KindPullRequest: "pull_request", KindPing: "ping"}

// String returns the kind's lower-case name, e.g. "pull_request".
func (k Kind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return "unknown"
	}
	return kindNames[k]
}

// Event is what a verified delivery says. It is a hint to fetch, never a
// source of desired state.
type Event struct {
	Provider   Provider
	Kind       Kind
	DeliveryID string
	// Repo is the repository URL the payload names (its clone URL when it
	// gives one); empty for a generic delivery without a repository.
	Repo string
	// Branch is the pushed branch without refs/heads/; empty when the push
	// was not to a branch or the generic delivery named no ref.
	Branch string
	// After is the pushed branch's new head commit when the payload gives it.
	After string
	// PR describes the pull request of a KindPullRequest event, nil otherwise.
	PR *PullRequest
	// Relevant is true for a push to the followed branch of the followed
	// repository, or a pull request against it.
	Relevant bool
}

// PullRequest is the part of a pull or merge request manifold can preview.
type PullRequest struct {
	Number int
	// Action is the provider's verb, e.g. "opened", "synchronize", "update".
	Action  string
	HeadSHA string
	HeadRef string
	BaseRef string
	// CloneURL is where HeadSHA can be fetched: the head repository (a
	// fork) when the payload names it, else the base repository.
	CloneURL string
}
