package reconciler

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

// Health is an object's health, computed by kstatus from the object alone.
type Health string

// Health values, mapped from kstatus statuses.
const (
	// Healthy: the object is reconciled and ready (kstatus Current).
	Healthy Health = "Healthy"
	// Progressing: the object is moving towards ready (kstatus InProgress).
	Progressing Health = "Progressing"
	// Degraded: the object failed and will not recover alone (kstatus Failed).
	Degraded Health = "Degraded"
	// Terminating: the object is being deleted.
	Terminating Health = "Terminating"
	// Missing: the object does not exist (kstatus NotFound).
	Missing Health = "Missing"
	// Unknown: the health could not be computed.
	Unknown Health = "Unknown"
)

// healthRank orders health from best (0) to worst. Degraded is worst: it
// needs a human. Missing follows: nothing runs at all. Unknown comes next,
// since not knowing must never look better than a known transition.
// Terminating ranks below Progressing: a desired object being deleted moves
// away from the goal, while a progressing one moves towards it.
var healthRank = map[Health]int{
	Healthy:     0,
	Progressing: 1,
	Terminating: 2,
	Unknown:     3,
	Missing:     4,
	Degraded:    5,
}

// HealthOf computes the health of a live object with kstatus and returns it
// with kstatus's message. A nil object is Missing.
func HealthOf(u *unstructured.Unstructured) (Health, string) {
	if u == nil {
		return Missing, "object not found"
	}
	res, err := status.Compute(u)
	if err != nil {
		return Unknown, err.Error()
	}
	switch res.Status {
	case status.CurrentStatus:
		return Healthy, res.Message
	case status.InProgressStatus:
		return Progressing, res.Message
	case status.FailedStatus:
		return Degraded, res.Message
	case status.TerminatingStatus:
		return Terminating, res.Message
	case status.NotFoundStatus:
		return Missing, res.Message
	}
	return Unknown, res.Message
}

// WorstHealth aggregates health, for a subscription or a cluster: the worst
// value by the ranking Degraded, Missing, Unknown, Terminating, Progressing,
// Healthy (worst first). A value outside that list counts as Unknown.
// Nothing at all is Healthy.
func WorstHealth(hs ...Health) Health {
	worst := Healthy
	for _, h := range hs {
		if _, known := healthRank[h]; !known {
			h = Unknown
		}
		if healthRank[h] > healthRank[worst] {
			worst = h
		}
	}
	return worst
}
