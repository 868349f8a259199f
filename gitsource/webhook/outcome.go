package webhook

import (
	"errors"
	"sync/atomic"
)

// Outcome classifies how a request was handled; it labels metrics and logs.
type Outcome int

// The outcomes, one per request.
const (
	// Accepted: a relevant event was passed to onEvent (202).
	Accepted Outcome = iota
	// Ignored: a ping, an event kind manifold does not act on, or an event
	// for another repository or branch (200).
	Ignored
	// Duplicate: a delivery id seen before (200).
	Duplicate
	// Unauthorized: a missing or wrong signature or token (401).
	Unauthorized
	// Malformed: a payload that is not valid JSON or lacks a required field (400).
	Malformed
	// TooLarge: a body above the configured limit (413).
	TooLarge
	// Rejected: a method other than POST (405) or an unknown path (404).
	Rejected
	numOutcomes
)

var outcomeNames = [...]string{
	Accepted: "accepted", Ignored: "ignored", Duplicate: "duplicate", Unauthorized: "unauthorized",
	Malformed: "malformed", TooLarge: "too_large", Rejected: "rejected",
}

// String returns the outcome's metric label, e.g. "too_large".
func (o Outcome) String() string {
	if o < 0 || o >= numOutcomes {
		return "unknown"
	}
	return outcomeNames[o]
}

// Result describes one handled request. It never holds the secret, a
// signature or the body.
type Result struct {
	Provider   Provider
	DeliveryID string
	Outcome    Outcome
	// Status is the HTTP status code sent.
	Status int
	// Reason is the short text sent as the response body, e.g.
	// "ignored: branch dev is not followed".
	Reason string
	// Err says why a delivery was unauthorized, malformed or too large; it
	// is meant for logs and is not sent to the caller when unauthorized.
	Err error
	// Event is the parsed event, nil when parsing was not reached.
	Event *Event
}

// Errors carried in Result.Err of an Unauthorized delivery, together with
// ErrNoSecret; test with errors.Is.
var (
	ErrMissingSignature = errors.New("delivery is not signed")
	ErrBadSignature     = errors.New("delivery signature does not match")
)

// counters counts outcomes without locks.
type counters [numOutcomes]atomic.Uint64

func (c *counters) add(o Outcome) { c[o].Add(1) }

// Stats returns how many requests ended in each outcome since the Handler
// was created. Every outcome is present, zero counts included.
func (h *Handler) Stats() map[Outcome]uint64 {
	m := make(map[Outcome]uint64, numOutcomes)
	for o := range numOutcomes {
		m[o] = h.counts[o].Load()
	}
	return m
}
