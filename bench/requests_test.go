package bench

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
)

// request is one API request as apiserver_request_total labels it: a verb
// (GET, LIST, WATCH, CREATE, UPDATE, PATCH, APPLY, DELETE) and a resource
// ("" for discovery and other non-resource paths).
type request struct {
	Verb, Resource string
}

// isWrite reports whether the request changes something.
func (r request) isWrite() bool {
	switch r.Verb {
	case "GET", "LIST", "WATCH":
		return false
	}
	return true
}

// requestCounter counts the requests manifold sends, per cluster and kind
// of request. It is installed with reconciler ConnectOptions.WrapTransport.
type requestCounter struct {
	mu     sync.Mutex
	counts map[string]map[request]int // cluster → request → count
}

func newRequestCounter() *requestCounter {
	return &requestCounter{counts: map[string]map[request]int{}}
}

// wrap is a reconciler ConnectOptions.WrapTransport.
func (c *requestCounter) wrap(cluster string, rt http.RoundTripper) http.RoundTripper {
	return &countingTransport{counter: c, cluster: cluster, next: rt}
}

// countingTransport counts each request, then sends it on.
type countingTransport struct {
	counter *requestCounter
	cluster string
	next    http.RoundTripper
}

func (t *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r := classify(req)
	t.counter.mu.Lock()
	if t.counter.counts[t.cluster] == nil {
		t.counter.counts[t.cluster] = map[request]int{}
	}
	t.counter.counts[t.cluster][r]++
	t.counter.mu.Unlock()
	return t.next.RoundTrip(req)
}

// WrappedRoundTripper lets client-go reach the transport underneath, e.g.
// to cancel a request.
func (t *countingTransport) WrappedRoundTripper() http.RoundTripper { return t.next }

// snapshot returns a copy of the counts so far.
func (c *requestCounter) snapshot() map[string]map[request]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]map[request]int, len(c.counts))
	for cluster, m := range c.counts {
		out[cluster] = make(map[request]int, len(m))
		for r, n := range m {
			out[cluster][r] = n
		}
	}
	return out
}

// requestTally sums the requests of a window.
type requestTally struct {
	All, Writes, Lists, Gets, Watches, Discovery int
	// NonWatch counts every request but watches by resource: the figures
	// the API server's apiserver_request_total can confirm.
	NonWatch map[string]int
	// ByRequest counts every kind of request, for the log.
	ByRequest map[request]int
}

// String lists the requests by kind, most frequent first.
func (t requestTally) String() string {
	type entry struct {
		r request
		n int
	}
	var es []entry
	for r, n := range t.ByRequest {
		es = append(es, entry{r, n})
	}
	sort.Slice(es, func(i, j int) bool {
		if es[i].n != es[j].n {
			return es[i].n > es[j].n
		}
		return es[i].r.Verb+es[i].r.Resource < es[j].r.Verb+es[j].r.Resource
	})
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = fmt.Sprintf("%s %s: %d", e.r.Verb, e.r.Resource, e.n)
	}
	return strings.Join(parts, ", ")
}

// tally sums the difference between two snapshots over every cluster.
func tally(before, after map[string]map[request]int) requestTally {
	t := requestTally{NonWatch: map[string]int{}, ByRequest: map[request]int{}}
	for cluster, m := range after {
		for r, n := range m {
			n -= before[cluster][r]
			if n == 0 {
				continue
			}
			t.All += n
			t.ByRequest[r] += n
			switch {
			case r.Verb == "WATCH":
				t.Watches += n
			case r.Resource == "":
				t.Discovery += n
			case r.Verb == "LIST":
				t.Lists += n
			case r.Verb == "GET":
				t.Gets += n
			default:
				t.Writes += n
			}
			if r.Verb != "WATCH" && r.Resource != "" {
				t.NonWatch[r.Resource] += n
			}
		}
	}
	return t
}

// classify names a request the way the API server's metrics do.
func classify(req *http.Request) request {
	segs := strings.Split(strings.Trim(req.URL.Path, "/"), "/")
	var rest []string
	switch {
	case len(segs) >= 2 && segs[0] == "api":
		rest = segs[2:]
	case len(segs) >= 3 && segs[0] == "apis":
		rest = segs[3:]
	default:
		return request{Verb: req.Method}
	}
	if len(rest) >= 3 && rest[0] == "namespaces" {
		rest = rest[2:] // a namespaced resource
	}
	if len(rest) == 0 {
		return request{Verb: req.Method}
	}
	named := len(rest) >= 2
	r := request{Resource: rest[0]}
	switch req.Method {
	case http.MethodGet, http.MethodHead:
		switch {
		case req.URL.Query().Get("watch") == "true" || req.URL.Query().Get("watch") == "1":
			r.Verb = "WATCH"
		case named:
			r.Verb = "GET"
		default:
			r.Verb = "LIST"
		}
	case http.MethodPost:
		r.Verb = "CREATE"
	case http.MethodPut:
		r.Verb = "UPDATE"
	case http.MethodPatch:
		r.Verb = "PATCH"
		if strings.HasPrefix(req.Header.Get("Content-Type"), "application/apply-patch") {
			r.Verb = "APPLY"
		}
	case http.MethodDelete:
		r.Verb = "DELETE"
		if !named {
			r.Verb = "DELETECOLLECTION"
		}
	default:
		r.Verb = req.Method
	}
	return r
}
