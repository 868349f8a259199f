package reconciler

import (
	"bufio"
	"strings"
)

// TrailerAllowPrune is the commit trailer that approves held prunes:
// "Manifold-Allow-Prune: <subscription>@<cluster>", where either part may
// be "*". Several trailers, or several comma-separated values, may be given.
const TrailerAllowPrune = "Manifold-Allow-Prune"

// Approvals are the prune approvals found in a commit message.
type Approvals struct {
	pairs [][2]string
}

// ParseApprovals reads Manifold-Allow-Prune trailers from a commit message.
func ParseApprovals(message string) Approvals {
	var a Approvals
	sc := bufio.NewScanner(strings.NewReader(message))
	for sc.Scan() {
		key, value, ok := strings.Cut(sc.Text(), ":")
		if !ok || !strings.EqualFold(strings.TrimSpace(key), TrailerAllowPrune) {
			continue
		}
		for _, v := range strings.Split(value, ",") {
			sub, cluster, ok := strings.Cut(strings.TrimSpace(v), "@")
			if ok && sub != "" && cluster != "" {
				a.pairs = append(a.pairs, [2]string{sub, cluster})
			}
		}
	}
	return a
}

// Allows reports whether the prunes of subscription on cluster are approved.
func (a Approvals) Allows(subscription, cluster string) bool {
	for _, p := range a.pairs {
		if (p[0] == "*" || p[0] == subscription) && (p[1] == "*" || p[1] == cluster) {
			return true
		}
	}
	return false
}

// Trailer returns the trailer line approving subscription on cluster.
func Trailer(subscription, cluster string) string {
	return TrailerAllowPrune + ": " + subscription + "@" + cluster
}

// With returns the approvals plus one for subscription on cluster, for
// prunes manifold decides itself (a standby copy after failback).
func (a Approvals) With(subscription, cluster string) Approvals {
	return Approvals{pairs: append(append([][2]string(nil), a.pairs...), [2]string{subscription, cluster})}
}
