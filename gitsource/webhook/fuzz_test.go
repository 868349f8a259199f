package webhook

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
)

// fuzzDeliveries feeds arbitrary bodies and headers, validly signed so that
// parsing is reached, through ServeHTTP. It checks that the Handler answers
// with a status of the contract, that onEvent runs exactly for 202, and that
// the secret never shows in a response.
func fuzzDeliveries(f *testing.F, p Provider) {
	f.Add(pushBody(p, repoURL, "refs/heads/main", headSHA), pushEvent[p], "application/json", "id-1")
	f.Add(pushBody(p, otherURL, "refs/heads/dev", ""), pushEvent[p], "application/json", "")
	f.Add([]byte(`{"ref":null,"repository":{"clone_url":7}}`), pushEvent[p], "application/json", "id-2")
	f.Add([]byte(`{`), pushEvent[p], "", "id-3")
	f.Add([]byte(""), pushEvent[p], "", "")
	f.Add([]byte("payload="+url.QueryEscape(string(pushBody(p, repoURL, "refs/heads/main", headSHA)))),
		pushEvent[p], "application/x-www-form-urlencoded", "id-4")
	f.Add(bytes.Repeat([]byte("["), 5000), pushEvent[p], "application/json", "id-5")
	if e, ok := prEvent[p]; ok {
		f.Add(hubPRBody("opened", "main", repoURL), e, "application/json", "id-6")
		f.Add(labMRBody("open", "main", repoURL), e, "application/json", "id-7")
	}
	if p == GitHub {
		f.Add([]byte(`{"zen":"Keep it simple."}`), "ping", "application/json", "id-8")
	}
	allowed := map[int]bool{200: true, 202: true, 400: true, 401: true, 413: true}
	f.Fuzz(func(t *testing.T, body []byte, event, contentType, id string) {
		var events []Event
		h := NewHandler(Config{Secret: testSecret, RepoURLs: followed, Branch: "main", MaxBody: 4096},
			func(e Event) { events = append(events, e) })
		r := httptest.NewRequest(http.MethodPost, p.Path(), bytes.NewReader(body))
		setHeader(r.Header, "Content-Type", contentType)
		setHeader(r.Header, "X-GitHub-Event", event)
		setHeader(r.Header, "X-Gitea-Event", event)
		setHeader(r.Header, "X-Gitlab-Event", event)
		setHeader(r.Header, "X-GitHub-Delivery", id)
		setHeader(r.Header, "X-Gitea-Delivery", id)
		setHeader(r.Header, "Idempotency-Key", id)
		setHeader(r.Header, "X-Manifold-Delivery", id)
		r.Header.Set(sign(p, testSecret, body))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)

		if !allowed[w.Code] {
			t.Fatalf("status %d (%q) is outside the contract", w.Code, w.Body)
		}
		if want := btoi(w.Code == http.StatusAccepted); len(events) != want {
			t.Fatalf("status %d with %d events, want %d", w.Code, len(events), want)
		}
		if len(events) == 1 {
			e := events[0]
			if !e.Relevant || e.Provider != p || (e.Kind == KindPullRequest) != (e.PR != nil) {
				t.Fatalf("accepted event is inconsistent: %+v", e)
			}
		}
		if bytes.Contains(w.Body.Bytes(), testSecret) {
			t.Fatalf("response %q reveals the secret", w.Body)
		}
	})
}

// setHeader sets a header only when the fuzzer's value is one net/http
// would send; others cannot reach a server.
func setHeader(h http.Header, name, value string) {
	for i := 0; i < len(value); i++ {
		if c := value[i]; c < 0x20 && c != '\t' || c == 0x7f {
			return
		}
	}
	if value != "" {
		h.Set(name, value)
	}
}

func FuzzGitHub(f *testing.F)  { fuzzDeliveries(f, GitHub) }
func FuzzGitea(f *testing.F)   { fuzzDeliveries(f, Gitea) }
func FuzzGitLab(f *testing.F)  { fuzzDeliveries(f, GitLab) }
func FuzzGeneric(f *testing.F) { fuzzDeliveries(f, Generic) }
