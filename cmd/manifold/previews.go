package main

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/manifold-gitops/manifold/daemon"
	"github.com/manifold-gitops/manifold/diff"
)

// previewsPath is where pull-request previews are served:
// GET /previews/<head commit SHA>[?format=markdown|text|json].
const previewsPath = "/previews/"

// previewHandler serves the previews of pull-request heads: markdown by
// default, ?format=text or json. A preview still running answers 202, an
// unknown commit 404, a failed preview 500 with the error.
func previewHandler(p *daemon.Previewer) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		sha := strings.TrimPrefix(r.URL.Path, previewsPath)
		if len(sha) != 40 || !plumbing.IsHash(sha) {
			http.Error(w, "a full commit SHA is expected: /previews/<sha>", http.StatusBadRequest)
			return
		}
		format := diff.Format(r.URL.Query().Get("format"))
		contentType := map[diff.Format]string{
			"": "text/markdown; charset=utf-8", diff.Markdown: "text/markdown; charset=utf-8",
			diff.Text: "text/plain; charset=utf-8", diff.JSON: "application/json",
		}[format]
		if contentType == "" {
			http.Error(w, "format: use markdown, text or json", http.StatusBadRequest)
			return
		}
		if format == "" {
			format = diff.Markdown
		}
		prev, state := p.Lookup(sha)
		switch {
		case state == daemon.PreviewPending:
			http.Error(w, "the preview of "+sha+" is being computed", http.StatusAccepted)
			return
		case state == daemon.PreviewUnknown:
			http.Error(w, "no preview of "+sha, http.StatusNotFound)
			return
		case prev.Err != nil:
			http.Error(w, fmt.Sprintf("the preview of %s failed: %v", sha, prev.Err), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("X-Content-Type-Options", "nosniff")
		_ = prev.Report.Write(w, format, diff.WriteOptions{})
	})
}
