// Package webhook verifies and parses the webhook deliveries that tell
// manifold serve to fetch now or to preview a pull request.
//
// A delivery is only a nudge: desired state always comes from Git, never from
// the payload. The package therefore reads just enough of a payload to decide
// whether the delivery concerns the followed repository and branch, and hands
// the daemon a small Event. It owns signature checking, body size limits,
// de-duplication of redelivered events and the HTTP status of each outcome.
//
// # Providers
//
// A Handler serves every provider below PathPrefix, one path each:
//
//	/webhooks/github   X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>
//	                   X-GitHub-Event (push, pull_request, ping), X-GitHub-Delivery
//	/webhooks/gitea    X-Gitea-Signature: <hex HMAC-SHA256 of the body>
//	                   X-Gitea-Event (push, pull_request), X-Gitea-Delivery
//	/webhooks/gitlab   X-Gitlab-Token: <the secret>
//	                   X-Gitlab-Event (Push Hook, Merge Request Hook),
//	                   Idempotency-Key or else X-Gitlab-Event-UUID
//	/webhooks/generic  X-Manifold-Signature-256: sha256=<hex HMAC-SHA256 of the body>
//	                   X-Manifold-Delivery (optional)
//
// GitHub and Gitea may send JSON or a form with a payload field. Signatures
// and tokens are compared in constant time. Other event kinds are
// acknowledged and ignored.
//
// A generic body is empty, meaning "fetch now", or JSON whose fields are all
// optional:
//
//	{"repository": "https://git.example.com/team/config.git", "ref": "refs/heads/main", "after": "<sha>"}
//
// A bare ref such as "main" names a branch. When repository or ref is given,
// deliveries for other repositories or branches are ignored.
//
// # Responses
//
//	405 Method Not Allowed  anything but POST
//	404 Not Found           a path other than the four above
//	401 Unauthorized        missing or wrong signature or token, or no secret configured
//	413 Payload Too Large   a body above Config.MaxBody, refused before it is read whole
//	400 Bad Request         malformed JSON or a missing required field
//	200 OK                  ping, duplicate delivery id, or an event that is ignored
//	202 Accepted            a push to the followed branch, or a pull request against it
//
// A 401 says nothing more; the reason is in Result.Err, passed to
// Config.OnResult for logging. Neither ever holds the secret or a signature.
// Only accepted events reach the onEvent callback; ignored ones are visible,
// with the reason, through Config.OnResult, and every outcome is counted by
// Handler.Stats.
//
// The last 1024 delivery ids per Handler are remembered once a delivery has
// been authenticated and parsed, so a forged request cannot block the genuine
// delivery that carries its id.
package webhook
