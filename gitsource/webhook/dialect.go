package webhook

import (
	"errors"
	"fmt"
	"mime"
	"net/url"
)

// dialect is what differs between providers: how deliveries are signed,
// named and shaped.
type dialect struct {
	auth auth
	// eventHeader names the event kind; empty when the provider has one kind.
	eventHeader string
	// deliveryHeaders carry the delivery id, most specific first.
	deliveryHeaders []string
	// form: the provider may send the JSON as the payload field of a form.
	form bool
	// kind maps the eventHeader value to a Kind.
	kind func(event string) Kind
	// parse reads a push or pull request payload.
	parse func(k Kind, payload []byte) (parsed, error)
}

// parsed is a payload read by a dialect, before relevance is decided.
type parsed struct {
	event Event
	// ref is the pushed ref as given; empty when the payload named none.
	ref string
	// repoURLs are the forms of the URL of the repository the event concerns
	// (the base repository of a pull request); empty when none was named.
	repoURLs []string
}

var dialects = map[Provider]dialect{
	GitHub: {
		auth:            auth{header: "X-Hub-Signature-256", prefix: "sha256="},
		eventHeader:     "X-GitHub-Event",
		deliveryHeaders: []string{"X-GitHub-Delivery"},
		form:            true,
		kind:            kindOf(map[string]Kind{"push": KindPush, "pull_request": KindPullRequest, "ping": KindPing}),
		parse:           parseHub,
	},
	Gitea: {
		auth:            auth{header: "X-Gitea-Signature"},
		eventHeader:     "X-Gitea-Event",
		deliveryHeaders: []string{"X-Gitea-Delivery"},
		form:            true,
		kind:            kindOf(map[string]Kind{"push": KindPush, "pull_request": KindPullRequest}),
		parse:           parseHub,
	},
	GitLab: {
		auth:        auth{header: "X-Gitlab-Token", token: true},
		eventHeader: "X-Gitlab-Event",
		// Idempotency-Key stays the same across GitLab's retries of one
		// delivery, which is what de-duplication is for.
		deliveryHeaders: []string{"Idempotency-Key", "X-Gitlab-Event-UUID"},
		kind:            kindOf(map[string]Kind{"Push Hook": KindPush, "Merge Request Hook": KindPullRequest}),
		parse:           parseLab,
	},
	Generic: {
		auth:            auth{header: "X-Manifold-Signature-256", prefix: "sha256="},
		deliveryHeaders: []string{"X-Manifold-Delivery"},
		kind:            func(string) Kind { return KindPush },
		parse:           parseGeneric,
	},
}

// kindOf maps event header values to kinds; unknown values are Other.
func kindOf(kinds map[string]Kind) func(string) Kind {
	return func(event string) Kind { return kinds[event] }
}

// errMissing reports a required payload field that is absent or empty.
func errMissing(field string) error { return fmt.Errorf("missing %s", field) }

// jsonPayload returns the JSON document of a body, which form-encoded
// deliveries carry in their payload field.
func jsonPayload(contentType string, body []byte) ([]byte, error) {
	media, _, err := mime.ParseMediaType(contentType)
	if err != nil || media != "application/x-www-form-urlencoded" {
		return body, nil
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, fmt.Errorf("form body: %w", err)
	}
	if !form.Has("payload") {
		return nil, errors.New("form body has no payload field")
	}
	return []byte(form.Get("payload")), nil
}

// nonEmpty returns the non-empty strings among ss.
func nonEmpty(ss ...string) []string {
	out := ss[:0:0]
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}
