package webhook_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/manifold-gitops/manifold/gitsource/webhook"
)

// The daemon mounts one Handler for every provider and lets onEvent nudge
// its fetch loop without blocking: a full channel already holds a nudge.
func Example() {
	fetch := make(chan webhook.Event, 1)
	h := webhook.NewHandler(webhook.Config{
		Secret:   []byte("shared-secret"),
		RepoURLs: []string{"git@git.example.com:team/config.git"},
		Branch:   "main",
	}, func(e webhook.Event) {
		select {
		case fetch <- e:
		default:
		}
	})
	mux := http.NewServeMux()
	mux.Handle(webhook.PathPrefix, h)

	body := `{"repository": "https://git.example.com/team/config", "ref": "refs/heads/main"}`
	mac := hmac.New(sha256.New, []byte("shared-secret"))
	mac.Write([]byte(body))
	r := httptest.NewRequest(http.MethodPost, webhook.Generic.Path(), strings.NewReader(body))
	r.Header.Set("X-Manifold-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, r)

	e := <-fetch
	fmt.Println(w.Code, e.Kind, e.Branch, e.Relevant)
	// Output: 202 push main true
}
