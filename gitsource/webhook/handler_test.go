package webhook

import (
	"net/http"
	"reflect"
	"strings"
	"testing"
)

var providers = []Provider{GitHub, Gitea, GitLab, Generic}

func TestPushDeliveries(t *testing.T) {
	tests := []struct {
		name    string
		cfg     func(*Config)
		mutate  func(*delivery)
		status  int
		outcome Outcome
		// events is how many times onEvent must have been called.
		events int
	}{
		{name: "signed push to the followed branch", status: http.StatusAccepted, outcome: Accepted, events: 1},
		{name: "unsigned", mutate: func(d *delivery) { d.secret = nil },
			status: http.StatusUnauthorized, outcome: Unauthorized},
		{name: "wrong secret", mutate: func(d *delivery) { d.secret = []byte("not-the-secret") },
			status: http.StatusUnauthorized, outcome: Unauthorized},
		{name: "no secret configured", cfg: func(c *Config) { c.Secret = nil },
			status: http.StatusUnauthorized, outcome: Unauthorized},
		{name: "other branch", mutate: func(d *delivery) { *d = pushDelivery(d.provider, repoURL, "refs/heads/dev") },
			status: http.StatusOK, outcome: Ignored},
		{name: "tag", mutate: func(d *delivery) { *d = pushDelivery(d.provider, repoURL, "refs/tags/v1.0.0") },
			status: http.StatusOK, outcome: Ignored},
		{name: "other repository", mutate: func(d *delivery) { *d = pushDelivery(d.provider, otherURL, "refs/heads/main") },
			status: http.StatusOK, outcome: Ignored},
		{name: "any branch followed", cfg: func(c *Config) { c.Branch = "" },
			mutate: func(d *delivery) { *d = pushDelivery(d.provider, repoURL, "refs/heads/dev") },
			status: http.StatusAccepted, outcome: Accepted, events: 1},
		{name: "any repository followed", cfg: func(c *Config) { c.RepoURLs = nil },
			mutate: func(d *delivery) { *d = pushDelivery(d.provider, otherURL, "refs/heads/main") },
			status: http.StatusAccepted, outcome: Accepted, events: 1},
		{name: "body over the limit", cfg: func(c *Config) { c.MaxBody = 64 },
			status: http.StatusRequestEntityTooLarge, outcome: TooLarge},
		{name: "malformed JSON", mutate: func(d *delivery) { d.body = []byte(`{"ref": "refs/heads/main",`) },
			status: http.StatusBadRequest, outcome: Malformed},
		{name: "JSON of the wrong type", mutate: func(d *delivery) { d.body = []byte(`{"ref": 7}`) },
			status: http.StatusBadRequest, outcome: Malformed},
		{name: "GET", mutate: func(d *delivery) { d.method = http.MethodGet },
			status: http.StatusMethodNotAllowed, outcome: Rejected},
		{name: "insecure accepts unsigned", cfg: func(c *Config) { c.Secret, c.Insecure = nil, true },
			mutate: func(d *delivery) { d.secret = nil }, status: http.StatusAccepted, outcome: Accepted, events: 1},
		{name: "insecure with a secret accepts unsigned", cfg: func(c *Config) { c.Insecure = true },
			mutate: func(d *delivery) { d.secret = nil }, status: http.StatusAccepted, outcome: Accepted, events: 1},
		{name: "insecure with a secret still checks a signature", cfg: func(c *Config) { c.Insecure = true },
			mutate: func(d *delivery) { d.secret = []byte("not-the-secret") },
			status: http.StatusUnauthorized, outcome: Unauthorized},
	}
	for _, p := range providers {
		for _, tt := range tests {
			t.Run(string(p)+"/"+tt.name, func(t *testing.T) {
				cfg := testConfig()
				if tt.cfg != nil {
					tt.cfg(&cfg)
				}
				d := pushDelivery(p, repoURL, "refs/heads/main")
				if tt.mutate != nil {
					tt.mutate(&d)
				}
				rec := newRecorder(cfg)
				w := rec.send(t, d)
				if w.Code != tt.status {
					t.Errorf("status = %d, want %d (body %q)", w.Code, tt.status, w.Body)
				}
				if got := rec.last(t).Outcome; got != tt.outcome {
					t.Errorf("outcome = %v, want %v", got, tt.outcome)
				}
				if len(rec.events) != tt.events {
					t.Errorf("onEvent called %d times, want %d", len(rec.events), tt.events)
				}
				if got := rec.Stats()[tt.outcome]; got != 1 {
					t.Errorf("Stats()[%v] = %d, want 1", tt.outcome, got)
				}
			})
		}
	}
}

func TestPushEventFields(t *testing.T) {
	for _, p := range providers {
		t.Run(string(p), func(t *testing.T) {
			rec := newRecorder(testConfig())
			rec.send(t, pushDelivery(p, repoURL, "refs/heads/main"))
			want := []Event{{
				Provider: p, Kind: KindPush, DeliveryID: "delivery-1",
				Repo: repoURL, Branch: "main", After: headSHA, Relevant: true,
			}}
			if !reflect.DeepEqual(rec.events, want) {
				t.Errorf("events:\n got %+v\nwant %+v", rec.events, want)
			}
		})
	}
}

func TestIgnoredEventsAreReportedNotDelivered(t *testing.T) {
	rec := newRecorder(testConfig())
	w := rec.send(t, pushDelivery(GitHub, repoURL, "refs/heads/dev"))
	res := rec.last(t)
	if res.Event == nil || res.Event.Relevant || res.Event.Branch != "dev" {
		t.Fatalf("Result.Event = %+v, want the dev push with Relevant false", res.Event)
	}
	if want := `ignored: branch "dev" is not followed`; !strings.Contains(w.Body.String(), want) {
		t.Errorf("body = %q, want it to say %q", w.Body, want)
	}
}

func TestDuplicateDelivery(t *testing.T) {
	for _, p := range providers {
		t.Run(string(p), func(t *testing.T) {
			rec := newRecorder(testConfig())
			d := pushDelivery(p, repoURL, "refs/heads/main")
			if w := rec.send(t, d); w.Code != http.StatusAccepted {
				t.Fatalf("first delivery: status %d", w.Code)
			}
			w := rec.send(t, d)
			if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "duplicate delivery ignored") {
				t.Errorf("second delivery: %d %q, want 200 duplicate delivery ignored", w.Code, w.Body)
			}
			if len(rec.events) != 1 {
				t.Errorf("onEvent called %d times, want 1", len(rec.events))
			}
			d.id = "delivery-2"
			if w := rec.send(t, d); w.Code != http.StatusAccepted {
				t.Errorf("new delivery id: status %d, want 202", w.Code)
			}
			if got := rec.Stats(); got[Accepted] != 2 || got[Duplicate] != 1 {
				t.Errorf("Stats() = %v, want 2 accepted and 1 duplicate", got)
			}
		})
	}
}

func TestDuplicateNeedsAuthentication(t *testing.T) {
	rec := newRecorder(testConfig())
	d := pushDelivery(GitHub, repoURL, "refs/heads/main")
	forged := d
	forged.secret = []byte("attacker")
	rec.send(t, forged)
	if w := rec.send(t, d); w.Code != http.StatusAccepted {
		t.Errorf("genuine delivery after a forged one with its id: status %d, want 202", w.Code)
	}
}

func TestGitLabIdempotencyKey(t *testing.T) {
	rec := newRecorder(testConfig())
	d := pushDelivery(GitLab, repoURL, "refs/heads/main")
	d.id = ""
	d.header = http.Header{"Idempotency-Key": {"retry-key"}}
	rec.send(t, d)
	if w := rec.send(t, d); w.Code != http.StatusOK || len(rec.events) != 1 {
		t.Errorf("retry with the same Idempotency-Key: %d and %d events, want 200 and 1", w.Code, len(rec.events))
	}
	if got := rec.events[0].DeliveryID; got != "retry-key" {
		t.Errorf("DeliveryID = %q, want retry-key", got)
	}
}

func TestBodyOverLimitWithoutContentLength(t *testing.T) {
	cfg := testConfig()
	cfg.MaxBody = 64
	rec := newRecorder(cfg)
	r := pushDelivery(GitHub, repoURL, "refs/heads/main").request()
	r.ContentLength = -1 // chunked: the limit is found while reading
	w := httpRecorder(rec, r)
	if w.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("status = %d, want 413", w.Code)
	}
}

// TestSecretsNeverEscape sends failing deliveries and checks that neither the
// secret nor a presented signature appears in a response, Reason or Err.
func TestRouting(t *testing.T) {
	rec := newRecorder(testConfig())
	d := pushDelivery(GitHub, repoURL, "refs/heads/main")
	r := d.request()
	r.URL.Path = "/webhooks/bitbucket"
	if w := httpRecorder(rec, r); w.Code != http.StatusNotFound {
		t.Errorf("unknown provider: status %d, want 404", w.Code)
	}
	r = d.request()
	r.URL.Path = "/webhooks/github/"
	if w := httpRecorder(rec, r); w.Code != http.StatusAccepted {
		t.Errorf("trailing slash: status %d, want 202", w.Code)
	}
	d.method = http.MethodPut
	w := rec.send(t, d)
	if w.Code != http.StatusMethodNotAllowed || w.Header().Get("Allow") != http.MethodPost {
		t.Errorf("PUT: %d with Allow %q, want 405 with Allow POST", w.Code, w.Header().Get("Allow"))
	}
	if got := rec.Stats()[Rejected]; got != 2 {
		t.Errorf("Stats()[Rejected] = %d, want 2", got)
	}
}

func TestStatsHasEveryOutcome(t *testing.T) {
	s := NewHandler(testConfig(), nil).Stats()
	for o := range numOutcomes {
		if n, ok := s[o]; !ok || n != 0 {
			t.Errorf("Stats()[%v] = %d, %t; want 0, true", o, n, ok)
		}
		if o.String() == "unknown" {
			t.Errorf("Outcome %d has no name", o)
		}
	}
}
