package render

import (
	"strings"

	"github.com/manifold-gitops/manifold/api"
)

// Problem is one thing wrong with the repository at a revision, with every
// subject it concerns: the file and line, the object, the override, the
// cluster and the subscription, where they apply.
type Problem struct {
	Origin       api.Origin
	Object       string // the policy object or resource, e.g. Localization/SPG-02/gw
	Target       string // the resource an override was applied to
	Override     string // the override's name
	Cluster      string
	Subscription string
	Err          error
}

// Error implements error.
func (p *Problem) Error() string {
	var b strings.Builder
	if p.Origin.File != "" {
		b.WriteString(p.Origin.String())
		b.WriteString(": ")
	}
	if p.Object != "" {
		b.WriteString(p.Object)
		b.WriteString(": ")
	}
	if p.Override != "" {
		b.WriteString("override \"" + p.Override + "\"")
		if p.Target != "" {
			b.WriteString(" on " + p.Target)
		}
		b.WriteString(": ")
	} else if p.Target != "" {
		b.WriteString(p.Target + ": ")
	}
	var where []string
	if p.Cluster != "" {
		where = append(where, "cluster "+p.Cluster)
	}
	if p.Subscription != "" {
		where = append(where, "subscription "+p.Subscription)
	}
	if len(where) > 0 {
		b.WriteString("[" + strings.Join(where, ", ") + "] ")
	}
	b.WriteString(p.Err.Error())
	return b.String()
}

// Unwrap returns the underlying error.
func (p *Problem) Unwrap() error { return p.Err }

// problemsFrom turns errors from the api package (already carrying file:line
// and object) into problems.
func problemsFrom(err error) []*Problem {
	var out []*Problem
	for _, e := range api.Flatten(err) {
		if ae, ok := e.(*api.Error); ok {
			out = append(out, &Problem{Origin: ae.Origin, Object: ae.Object, Err: ae.Err})
			continue
		}
		out = append(out, &Problem{Err: e})
	}
	return out
}
