package webhook

import (
	"errors"
	"net/http"
)

// Provider names a webhook dialect. Its value is also the last element of the
// path the Handler serves it on, see Provider.Path.
type Provider string

// The supported providers.
const (
	GitHub  Provider = "github"
	Gitea   Provider = "gitea"
	GitLab  Provider = "gitlab"
	Generic Provider = "generic"
)

// PathPrefix is the path below which the Handler serves every provider; mount
// the Handler there, for example mux.Handle(webhook.PathPrefix, h).
const PathPrefix = "/webhooks/"

// Path is the request path that receives p's deliveries, e.g. /webhooks/github.
func (p Provider) Path() string { return PathPrefix + string(p) }

// DefaultMaxBody is the body limit used when Config.MaxBody is not positive.
const DefaultMaxBody int64 = 1 << 20

// dedupSize is how many delivery ids the Handler remembers.
const dedupSize = 1024

// Config configures a Handler.
type Config struct {
	// Secret is the HMAC key (GitHub, Gitea, generic) or the token (GitLab).
	// It is required unless Insecure is set; without it every delivery is
	// refused with 401.
	Secret []byte
	// Insecure accepts deliveries that carry no signature (--insecure-webhooks).
	// A signature that is present is still checked when Secret is set.
	Insecure bool
	// MaxBody caps the request body in bytes; DefaultMaxBody when not positive.
	MaxBody int64
	// RepoURLs are the forms of the followed repository's URL (https, ssh,
	// scp-like, with or without .git). Deliveries for other repositories are
	// acknowledged and ignored. Empty means every repository is followed.
	RepoURLs []string
	// Branch is the followed branch. Pushes to other branches and pull
	// requests against them are acknowledged and ignored. Empty means every
	// branch is followed.
	Branch string
	// OnResult, when set, is called once per request with its outcome; it is
	// the place to log why a delivery was refused or ignored. It must not
	// block.
	OnResult func(Result)
}

// ErrNoSecret reports a configuration with neither a secret nor Insecure.
var ErrNoSecret = errors.New("webhook secret is not set and insecure webhooks are not allowed")

// Validate reports configuration errors the daemon should refuse to start with.
func (c Config) Validate() error {
	if len(c.Secret) == 0 && !c.Insecure {
		return ErrNoSecret
	}
	return nil
}

func (c Config) maxBody() int64 {
	if c.MaxBody <= 0 {
		return DefaultMaxBody
	}
	return c.MaxBody
}

// deliveryID returns the first non-empty value among the named headers.
func deliveryID(h http.Header, names []string) string {
	for _, n := range names {
		if v := h.Get(n); v != "" {
			return v
		}
	}
	return ""
}
