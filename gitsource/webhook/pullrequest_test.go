package webhook

import (
	"fmt"
	"net/http"
	"reflect"
	"testing"
)

const (
	forkURL = "https://git.example.com/alice/config.git"
	prSHA   = "0d1d2d3d4d5d6d7d8d9dadbdcdddedfd0d1d2d3d"
)

// hubPRBody is a GitHub or Gitea pull_request payload.
func hubPRBody(action, base, baseRepo string) []byte {
	return fmt.Appendf(nil, `{"action":%q,"number":42,"pull_request":{"number":42,"state":"open",`+
		`"head":{"ref":"feature","sha":%q,"repo":{"clone_url":%q}},`+
		`"base":{"ref":%q,"sha":"aaaa","repo":{"clone_url":%q}}},`+
		`"repository":{"clone_url":%q,"html_url":"https://git.example.com/team/config"}}`,
		action, prSHA, forkURL, base, baseRepo, baseRepo)
}

// labMRBody is a GitLab Merge Request Hook payload.
func labMRBody(action, target, project string) []byte {
	return fmt.Appendf(nil, `{"object_kind":"merge_request","event_type":"merge_request",`+
		`"project":{"git_http_url":%q},"object_attributes":{"iid":42,"id":9001,"action":%q,`+
		`"source_branch":"feature","target_branch":%q,"last_commit":{"id":%q},`+
		`"source":{"git_http_url":%q},"target":{"git_http_url":%q}}}`,
		project, action, target, prSHA, forkURL, project)
}

func TestPullRequests(t *testing.T) {
	pr := func(action string) *PullRequest {
		return &PullRequest{Number: 42, Action: action, HeadSHA: prSHA, HeadRef: "feature", BaseRef: "main", CloneURL: forkURL}
	}
	tests := []struct {
		name   string
		p      Provider
		body   []byte
		status int
		want   Event
	}{
		{name: "github opened", p: GitHub, body: hubPRBody("opened", "main", repoURL), status: http.StatusAccepted,
			want: Event{Provider: GitHub, Kind: KindPullRequest, DeliveryID: "d", Repo: repoURL, PR: pr("opened"), Relevant: true}},
		{name: "github synchronize", p: GitHub, body: hubPRBody("synchronize", "main", repoURL), status: http.StatusAccepted,
			want: Event{Provider: GitHub, Kind: KindPullRequest, DeliveryID: "d", Repo: repoURL, PR: pr("synchronize"), Relevant: true}},
		{name: "gitea synchronized", p: Gitea, body: hubPRBody("synchronized", "main", repoURL), status: http.StatusAccepted,
			want: Event{Provider: Gitea, Kind: KindPullRequest, DeliveryID: "d", Repo: repoURL, PR: pr("synchronized"), Relevant: true}},
		{name: "gitlab open", p: GitLab, body: labMRBody("open", "main", repoURL), status: http.StatusAccepted,
			want: Event{Provider: GitLab, Kind: KindPullRequest, DeliveryID: "d", Repo: repoURL, PR: pr("open"), Relevant: true}},
		{name: "github against another branch", p: GitHub, body: hubPRBody("opened", "release", repoURL), status: http.StatusOK,
			want: Event{Provider: GitHub, Kind: KindPullRequest, DeliveryID: "d", Repo: repoURL,
				PR: &PullRequest{Number: 42, Action: "opened", HeadSHA: prSHA, HeadRef: "feature", BaseRef: "release", CloneURL: forkURL}}},
		{name: "gitlab against another project", p: GitLab, body: labMRBody("update", "main", otherURL), status: http.StatusOK,
			want: Event{Provider: GitLab, Kind: KindPullRequest, DeliveryID: "d", Repo: otherURL, PR: pr("update")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder(testConfig())
			w := rec.send(t, delivery{provider: tt.p, method: http.MethodPost, event: prEvent[tt.p], id: "d", body: tt.body, secret: testSecret})
			if w.Code != tt.status {
				t.Fatalf("status = %d, want %d (%q)", w.Code, tt.status, w.Body)
			}
			got := rec.last(t).Event
			if got == nil || !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("event:\n got %+v %+v\nwant %+v %+v", got, prOf(got), tt.want, tt.want.PR)
			}
			if want := btoi(tt.status == http.StatusAccepted); len(rec.events) != want {
				t.Errorf("onEvent called %d times, want %d", len(rec.events), want)
			}
		})
	}
}

func TestPullRequestWithoutHeadRepository(t *testing.T) {
	body := []byte(`{"action":"closed","number":7,"pull_request":{"head":{"ref":"gone","sha":"abc","repo":null},` +
		`"base":{"ref":"main"}},"repository":{"clone_url":"https://git.example.com/team/config.git"}}`)
	rec := newRecorder(testConfig())
	rec.send(t, delivery{provider: GitHub, method: http.MethodPost, event: "pull_request", body: body, secret: testSecret})
	if len(rec.events) != 1 {
		t.Fatalf("got %d events, want 1 (%+v)", len(rec.events), rec.last(t))
	}
	if pr := rec.events[0].PR; pr.Number != 7 || pr.CloneURL != repoURL {
		t.Errorf("PR = %+v, want number 7 fetched from the base repository", pr)
	}
}

func TestPullRequestMissingFields(t *testing.T) {
	tests := []struct {
		p    Provider
		body string
	}{
		{GitHub, `{"action":"opened","number":1}`},
		{GitHub, `{"action":"opened","pull_request":{"head":{"ref":"f","sha":"s"},"base":{"ref":"main"}},"repository":{"clone_url":"u"}}`},
		{GitHub, `{"number":-3,"pull_request":{"head":{"ref":"f","sha":"s"},"base":{"ref":"main"}},"repository":{"clone_url":"u"}}`},
		{Gitea, `{"number":1,"pull_request":{"head":{"ref":"f"},"base":{"ref":"main"}},"repository":{"clone_url":"u"}}`},
		{Gitea, `{"number":1,"pull_request":{"head":{"ref":"f","sha":"s"},"base":{"ref":"main"}}}`},
		{GitLab, `{"object_attributes":{"iid":1,"source_branch":"f","target_branch":"main"},"project":{"git_http_url":"u"}}`},
		{GitLab, `{"object_attributes":{"iid":1,"last_commit":{"id":"s"},"source_branch":"f"},"project":{"git_http_url":"u"}}`},
		{GitLab, `{"project":{"git_http_url":"u"}}`},
	}
	for _, tt := range tests {
		rec := newRecorder(testConfig())
		w := rec.send(t, delivery{provider: tt.p, method: http.MethodPost, event: prEvent[tt.p], body: []byte(tt.body), secret: testSecret})
		if w.Code != http.StatusBadRequest {
			t.Errorf("%s %s: status %d, want 400", tt.p, tt.body, w.Code)
		}
	}
}

func prOf(e *Event) *PullRequest {
	if e == nil {
		return nil
	}
	return e.PR
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
