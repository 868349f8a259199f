package webhook

import (
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Handler verifies and parses webhook deliveries for every provider, routing
// by path (see Provider.Path). It is safe for concurrent use.
type Handler struct {
	cfg     Config
	onEvent func(Event)
	branch  string
	repos   repoSet
	seen    *deliveries
	counts  counters
}

// NewHandler returns a Handler that calls onEvent, synchronously, for every
// relevant event: a push to the followed branch of the followed repository or
// a pull request against it. onEvent must not block (the daemon coalesces
// bursts itself); it may be nil. Ignored events never reach onEvent; they are
// reported through cfg.OnResult with Event.Relevant false.
//
// A cfg that fails Validate makes the Handler refuse every delivery with 401.
func NewHandler(cfg Config, onEvent func(Event)) *Handler {
	cfg.Secret = append([]byte(nil), cfg.Secret...)
	return &Handler{
		cfg:     cfg,
		onEvent: onEvent,
		branch:  strings.TrimPrefix(cfg.Branch, branchPrefix),
		repos:   newRepoSet(cfg.RepoURLs),
		seen:    newDeliveries(dedupSize),
	}
}

// ServeHTTP handles one delivery.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	res := h.handle(w, r)
	h.counts.add(res.Outcome)
	if res.Outcome == Accepted && h.onEvent != nil {
		h.onEvent(*res.Event)
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(res.Status)
	_, _ = io.WriteString(w, res.Reason+"\n")
	if h.cfg.OnResult != nil {
		h.cfg.OnResult(res)
	}
}

// handle takes a delivery from routing to outcome.
func (h *Handler) handle(w http.ResponseWriter, r *http.Request) Result {
	p := Provider(strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, PathPrefix), "/"))
	d, ok := dialects[p]
	if !ok || !strings.HasPrefix(r.URL.Path, PathPrefix) {
		return Result{Outcome: Rejected, Status: http.StatusNotFound, Reason: "no webhook here"}
	}
	res := Result{Provider: p, DeliveryID: deliveryID(r.Header, d.deliveryHeaders)}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return res.with(Rejected, http.StatusMethodNotAllowed, "method not allowed", nil)
	}
	if err := d.auth.present(h.cfg, r.Header); err != nil {
		return res.unauthorized(err)
	}
	body, err := readBody(w, r, h.cfg.maxBody())
	if err != nil {
		if tooLarge(err) {
			return res.with(TooLarge, http.StatusRequestEntityTooLarge, "request body too large",
				fmt.Errorf("%s delivery body: %w", p, err))
		}
		return res.malformed(fmt.Errorf("%s delivery body: %w", p, err))
	}
	if err := d.auth.verify(h.cfg, r.Header, body); err != nil {
		return res.unauthorized(err)
	}
	return h.interpret(res, d, r.Header, body)
}

// interpret parses an authenticated body and decides its outcome.
func (h *Handler) interpret(res Result, d dialect, header http.Header, body []byte) Result {
	var name string
	if d.eventHeader != "" {
		if name = header.Get(d.eventHeader); name == "" {
			return res.malformed(fmt.Errorf("%s delivery: no %s header", res.Provider, d.eventHeader))
		}
	}
	k := d.kind(name)
	switch k {
	case KindPing:
		return res.with(Ignored, http.StatusOK, "pong", nil)
	case KindOther:
		return res.with(Ignored, http.StatusOK, fmt.Sprintf("ignored: event %q is not handled", name), nil)
	}
	payload := body
	if d.form {
		var err error
		if payload, err = jsonPayload(header.Get("Content-Type"), body); err != nil {
			return res.malformed(fmt.Errorf("%s %s payload: %w", res.Provider, k, err))
		}
	}
	p, err := d.parse(k, payload)
	if err != nil {
		return res.malformed(fmt.Errorf("%s %s payload: %w", res.Provider, k, err))
	}
	ev := p.event
	ev.Provider, ev.Kind, ev.DeliveryID = res.Provider, k, res.DeliveryID
	relevant, why := h.relevance(k, p)
	ev.Relevant = relevant
	res.Event = &ev
	if !h.seen.firstTime(res.Provider, res.DeliveryID) {
		return res.with(Duplicate, http.StatusOK, "duplicate delivery ignored", nil)
	}
	if !relevant {
		return res.with(Ignored, http.StatusOK, "ignored: "+why, nil)
	}
	return res.with(Accepted, http.StatusAccepted, "accepted", nil)
}

func (r Result) with(o Outcome, status int, reason string, err error) Result {
	r.Outcome, r.Status, r.Reason, r.Err = o, status, reason, err
	return r
}

// unauthorized tells the caller nothing beyond the status; err is for logs.
func (r Result) unauthorized(err error) Result {
	return r.with(Unauthorized, http.StatusUnauthorized, "unauthorized",
		fmt.Errorf("%s delivery: %w", r.Provider, err))
}

// malformed tells an authenticated caller what is wrong with its payload.
func (r Result) malformed(err error) Result {
	return r.with(Malformed, http.StatusBadRequest, "malformed delivery: "+err.Error(), err)
}
