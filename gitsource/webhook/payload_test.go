package webhook

import (
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

func TestGenericFetchNow(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		status int
		want   Event
	}{
		{name: "empty body", body: "", status: http.StatusAccepted,
			want: Event{Provider: Generic, Kind: KindPush, Relevant: true}},
		{name: "bare branch name", body: `{"ref":"main"}`, status: http.StatusAccepted,
			want: Event{Provider: Generic, Kind: KindPush, Branch: "main", Relevant: true}},
		{name: "repository only", body: `{"repository":"git@git.example.com:team/config"}`, status: http.StatusAccepted,
			want: Event{Provider: Generic, Kind: KindPush, Repo: "git@git.example.com:team/config", Relevant: true}},
		{name: "other bare branch", body: `{"ref":"dev"}`, status: http.StatusOK,
			want: Event{Provider: Generic, Kind: KindPush, Branch: "dev"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder(testConfig())
			w := rec.send(t, delivery{provider: Generic, method: http.MethodPost, body: []byte(tt.body), secret: testSecret})
			if w.Code != tt.status {
				t.Fatalf("status = %d, want %d (%q)", w.Code, tt.status, w.Body)
			}
			if got := rec.last(t).Event; got == nil || !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("event:\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestFormEncodedGitHub(t *testing.T) {
	rec := newRecorder(testConfig())
	d := pushDelivery(GitHub, repoURL, "refs/heads/main")
	d.body = []byte("payload=" + url.QueryEscape(string(d.body)))
	d.header = http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	if w := rec.send(t, d); w.Code != http.StatusAccepted || len(rec.events) != 1 {
		t.Fatalf("status %d and %d events, want 202 and 1 (%q)", w.Code, len(rec.events), w.Body)
	}
	d.body, d.id = []byte("other=1"), "delivery-2"
	if w := rec.send(t, d); w.Code != http.StatusBadRequest {
		t.Errorf("form without payload: status %d, want 400", w.Code)
	}
}

func TestMissingEventHeader(t *testing.T) {
	rec := newRecorder(testConfig())
	d := pushDelivery(Gitea, repoURL, "refs/heads/main")
	d.event = ""
	if w := rec.send(t, d); w.Code != http.StatusBadRequest {
		t.Errorf("status = %d, want 400", w.Code)
	}
}

func TestMissingRequiredPushFields(t *testing.T) {
	bodies := map[Provider][]string{
		GitHub: {`{"after":"x","repository":{"clone_url":"https://h/r"}}`, `{"ref":"refs/heads/main"}`, `null`, ``},
		Gitea:  {`{"ref":"refs/heads/main","repository":{}}`, `[]`},
		GitLab: {`{"after":"x","project":{"git_http_url":"https://h/r"}}`, `{"ref":"refs/heads/main","project":null}`},
	}
	for p, list := range bodies {
		for _, body := range list {
			rec := newRecorder(testConfig())
			d := pushDelivery(p, repoURL, "refs/heads/main")
			d.body = []byte(body)
			if w := rec.send(t, d); w.Code != http.StatusBadRequest {
				t.Errorf("%s %s: status %d, want 400", p, body, w.Code)
			}
		}
	}
}

func TestEventsNotActedOn(t *testing.T) {
	tests := []struct {
		name  string
		d     delivery
		reply string
	}{
		{name: "github ping", d: delivery{provider: GitHub, event: "ping", body: []byte(`{"zen":"x","hook_id":1}`)}, reply: "pong"},
		{name: "github issues", d: delivery{provider: GitHub, event: "issues", body: []byte(`{}`)}, reply: `ignored: event "issues" is not handled`},
		{name: "gitea release", d: delivery{provider: Gitea, event: "release", body: []byte(`not even JSON`)}, reply: `ignored: event "release" is not handled`},
		{name: "gitlab tag push", d: delivery{provider: GitLab, event: "Tag Push Hook", body: []byte(`{}`)}, reply: `ignored: event "Tag Push Hook" is not handled`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder(testConfig())
			tt.d.method, tt.d.secret = http.MethodPost, testSecret
			w := rec.send(t, tt.d)
			if w.Code != http.StatusOK || strings.TrimSpace(w.Body.String()) != tt.reply {
				t.Errorf("response = %d %q, want 200 %q", w.Code, w.Body, tt.reply)
			}
			if len(rec.events) != 0 || rec.last(t).Outcome != Ignored {
				t.Errorf("%d events and outcome %v, want none and ignored", len(rec.events), rec.last(t).Outcome)
			}
		})
	}
}
