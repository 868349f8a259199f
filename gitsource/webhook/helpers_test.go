package webhook

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

var (
	testSecret = []byte("s3cr3t-for-tests")
	// followed is the repository the tests' handlers follow, in two forms
	// that differ from how payloads spell it.
	followed = []string{"ssh://git@git.example.com:2222/Team/Config", "git@git.example.com:team/config.git"}
)

const (
	repoURL  = "https://git.example.com/team/config.git"
	otherURL = "https://git.example.com/team/other.git"
	headSHA  = "6f1ed002ab5595859014ebf0951522d9a3c3a6a5"
)

func testConfig() Config {
	return Config{Secret: testSecret, RepoURLs: followed, Branch: "main"}
}

// delivery is a request to send to a Handler.
type delivery struct {
	provider Provider
	method   string
	event    string // event header value; ignored for generic
	id       string
	body     []byte
	secret   []byte // signs the body with it; nil sends no credential
	header   http.Header
}

// pushEvent is each provider's event header value for a push.
var pushEvent = map[Provider]string{GitHub: "push", Gitea: "push", GitLab: "Push Hook", Generic: ""}

// prEvent is each provider's event header value for a pull request.
var prEvent = map[Provider]string{GitHub: "pull_request", Gitea: "pull_request", GitLab: "Merge Request Hook"}

// pushBody is a minimal push payload in p's shape.
func pushBody(p Provider, repo, ref, after string) []byte {
	switch p {
	case GitLab:
		return fmt.Appendf(nil, `{"object_kind":"push","ref":%q,"after":%q,"checkout_sha":%q,`+
			`"project":{"git_http_url":%q,"git_ssh_url":"git@git.example.com:team/x.git"}}`, ref, after, after, repo)
	case Generic:
		return fmt.Appendf(nil, `{"repository":%q,"ref":%q,"after":%q}`, repo, ref, after)
	default:
		return fmt.Appendf(nil, `{"ref":%q,"before":"0000000000000000000000000000000000000000","after":%q,`+
			`"repository":{"full_name":"team/config","clone_url":%q,"ssh_url":"git@git.example.com:team/x.git"},`+
			`"commits":[{"id":%q,"message":"bump"}]}`, ref, after, repo, after)
	}
}

// pushDelivery is a signed push of ref to repo.
func pushDelivery(p Provider, repo, ref string) delivery {
	return delivery{
		provider: p, method: http.MethodPost, event: pushEvent[p], id: "delivery-1",
		body: pushBody(p, repo, ref, headSHA), secret: testSecret,
	}
}

// sign returns the credential header p expects for body under secret.
func sign(p Provider, secret, body []byte) (name, value string) {
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	sum := hex.EncodeToString(mac.Sum(nil))
	switch p {
	case GitHub:
		return "X-Hub-Signature-256", "sha256=" + sum
	case Gitea:
		return "X-Gitea-Signature", sum
	case GitLab:
		return "X-Gitlab-Token", string(secret)
	default:
		return "X-Manifold-Signature-256", "sha256=" + sum
	}
}

func (d delivery) request() *http.Request {
	r := httptest.NewRequest(d.method, d.provider.Path(), bytes.NewReader(d.body))
	r.Header.Set("Content-Type", "application/json")
	for k, vs := range d.header {
		r.Header[k] = vs
	}
	if d.secret != nil {
		r.Header.Set(sign(d.provider, d.secret, d.body))
	}
	events := map[Provider]string{GitHub: "X-GitHub-Event", Gitea: "X-Gitea-Event", GitLab: "X-Gitlab-Event"}
	if h := events[d.provider]; h != "" && d.event != "" {
		r.Header.Set(h, d.event)
	}
	ids := map[Provider]string{GitHub: "X-GitHub-Delivery", Gitea: "X-Gitea-Delivery",
		GitLab: "X-Gitlab-Event-UUID", Generic: "X-Manifold-Delivery"}
	if d.id != "" {
		r.Header.Set(ids[d.provider], d.id)
	}
	return r
}

// recorder is a Handler with its events and results captured.
type recorder struct {
	*Handler
	events  []Event
	results []Result
}

func newRecorder(cfg Config) *recorder {
	rec := &recorder{}
	cfg.OnResult = func(r Result) { rec.results = append(rec.results, r) }
	rec.Handler = NewHandler(cfg, func(e Event) { rec.events = append(rec.events, e) })
	return rec
}

// send delivers d and returns the response.
func (rec *recorder) send(t *testing.T, d delivery) *httptest.ResponseRecorder {
	t.Helper()
	w := httptest.NewRecorder()
	rec.ServeHTTP(w, d.request())
	return w
}

// last returns the latest Result.
func (rec *recorder) last(t *testing.T) Result {
	t.Helper()
	if len(rec.results) == 0 {
		t.Fatal("no Result reported")
	}
	return rec.results[len(rec.results)-1]
}

// httpRecorder serves r with rec and returns the response.
func httpRecorder(rec *recorder, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	rec.ServeHTTP(w, r)
	return w
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func (c *countingReader) Close() error { return nil }
