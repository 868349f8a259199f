package failover

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/manifold-gitops/manifold/api"
	"k8s.io/apimachinery/pkg/labels"
)

// Decision kinds: the kind label of manifold_failover_decisions_total.
const (
	// KindOutOfService: a cluster serving a subscription stayed unhealthy
	// for unhealthyAfter.
	KindOutOfService = "out-of-service"
	// KindInService: a cluster out of service was healthy for failbackAfter.
	KindInService = "in-service"
	// KindFailover: a standby stands in for a target out of service.
	KindFailover = "failover"
	// KindFailback: a standby was released (its target is back, is no
	// longer a target, or the subscription dropped spec.failover).
	KindFailback = "failback"
	// KindReassigned: a standby out of service was replaced by another.
	KindReassigned = "reassigned"
	// KindNoStandby: a target is out of service and no standby is usable.
	KindNoStandby = "no-standby"
	// KindTraffic: the DNS records of a subscription changed.
	KindTraffic = "traffic"
)

// Decision is one thing manifold decided, for logs, metrics and notes.
type Decision struct {
	Subscription string
	Kind         string
	// Cluster is the cluster the decision is about; Standby the standby
	// involved, if any.
	Cluster string
	Standby string
	Message string
}

func (d Decision) String() string { return d.Message }

// State is the failover state of every subscription and the health of
// every probed cluster. It is not safe for concurrent use.
type State struct {
	health map[string]*ClusterHealth
	subs   map[string]*subscriptionState
}

type subscriptionState struct {
	targets []string
	// outOfService are clusters serving the subscription that failed.
	outOfService map[string]bool
	// standby maps each target out of service to its standby ("" while
	// none is usable).
	standby map[string]string
	// released are standbys given up whose copy may not be pruned yet.
	released map[string]bool
}

// New returns an empty state: every cluster's health unknown.
func New() *State {
	return &State{health: map[string]*ClusterHealth{}, subs: map[string]*subscriptionState{}}
}

// Observe records a probe of cluster at time at and reports whether the
// cluster's health changed (or became known).
func (s *State) Observe(cluster string, healthy bool, at time.Time) bool {
	h, ok := s.health[cluster]
	if !ok {
		h = &ClusterHealth{}
		s.health[cluster] = h
	}
	return h.observe(healthy, at)
}

// Health returns a cluster's health; false when it was never probed.
func (s *State) Health(cluster string) (ClusterHealth, bool) {
	h, ok := s.health[cluster]
	if !ok {
		return ClusterHealth{}, false
	}
	return *h, true
}

// Declares reports whether a subscription asks for failover or traffic.
func Declares(sub *api.Subscription) bool {
	return sub.Spec.Failover != nil || sub.Spec.Traffic != nil
}

// Durations returns a subscription's unhealthyAfter and failbackAfter,
// defaults filled in.
func Durations(sub *api.Subscription) (unhealthyAfter, failbackAfter time.Duration) {
	unhealthyAfter, failbackAfter = api.DefaultUnhealthyAfter*time.Second, api.DefaultFailbackAfter*time.Second
	if f := sub.Spec.Failover; f != nil {
		if f.UnhealthyAfter.Duration > 0 {
			unhealthyAfter = f.UnhealthyAfter.Duration
		}
		if f.FailbackAfter.Duration > 0 {
			failbackAfter = f.FailbackAfter.Duration
		}
	}
	return unhealthyAfter, failbackAfter
}

// Targets returns the names of the clusters a subscription's subscribers
// select, sorted.
func Targets(sub *api.Subscription, clusters []*api.Cluster) []string {
	var out []string
	for _, c := range clusters {
		set := labels.Set(c.Labels())
		for _, s := range sub.Spec.Subscribers {
			if sel, err := s.ClusterAffinity.Selector(); err == nil && s.ClusterAffinity != nil && sel.Matches(set) {
				out = append(out, c.Metadata.Name)
				break
			}
		}
	}
	slices.Sort(out)
	return out
}

// standbyCandidates returns the clusters matching a subscription's standby
// affinity that are not targets, sorted.
func standbyCandidates(sub *api.Subscription, clusters []*api.Cluster, targets []string) []string {
	f := sub.Spec.Failover
	if f == nil || f.Standby.ClusterAffinity == nil {
		return nil
	}
	sel, err := f.Standby.ClusterAffinity.Selector()
	if err != nil {
		return nil
	}
	var out []string
	for _, c := range clusters {
		if sel.Matches(labels.Set(c.Labels())) && !slices.Contains(targets, c.Metadata.Name) {
			out = append(out, c.Metadata.Name)
		}
	}
	slices.Sort(out)
	return out
}

// Probed returns the clusters to probe: those a subscription declaring
// failover or traffic targets or may fail over to, in the order given.
func Probed(subs []*api.Subscription, clusters []*api.Cluster) []*api.Cluster {
	want := map[string]bool{}
	for _, sub := range subs {
		if !Declares(sub) {
			continue
		}
		targets := Targets(sub, clusters)
		for _, c := range targets {
			want[c] = true
		}
		for _, c := range standbyCandidates(sub, clusters, targets) {
			want[c] = true
		}
	}
	var out []*api.Cluster
	for _, c := range clusters {
		if want[c.Metadata.Name] {
			out = append(out, c)
		}
	}
	return out
}

// Decide applies the rules of the package doc at time now to every
// subscription and returns what changed, in a stable order.
func (s *State) Decide(now time.Time, subs []*api.Subscription, clusters []*api.Cluster) []Decision {
	var out []Decision
	declared := map[string]bool{}
	sorted := slices.SortedFunc(slices.Values(subs), func(a, b *api.Subscription) int {
		return cmp.Compare(a.Metadata.Name, b.Metadata.Name)
	})
	for _, sub := range sorted {
		if !Declares(sub) {
			continue
		}
		declared[sub.Metadata.Name] = true
		out = append(out, s.decide(now, sub, clusters)...)
	}
	for _, name := range slices.Sorted(maps.Keys(s.subs)) {
		if declared[name] {
			continue
		}
		st := s.subs[name]
		out = append(out, st.releaseAll(name, "the subscription no longer declares failover")...)
		st.outOfService, st.targets = map[string]bool{}, nil
		if len(st.released) == 0 {
			delete(s.subs, name)
		}
	}
	return out
}

func (s *State) decide(now time.Time, sub *api.Subscription, clusters []*api.Cluster) []Decision {
	name := sub.Metadata.Name
	st, ok := s.subs[name]
	if !ok {
		st = &subscriptionState{outOfService: map[string]bool{}, standby: map[string]string{}, released: map[string]bool{}}
		s.subs[name] = st
	}
	var out []Decision
	add := func(kind, cluster, standby, format string, args ...any) {
		out = append(out, Decision{Subscription: name, Kind: kind, Cluster: cluster, Standby: standby, Message: fmt.Sprintf(format, args...)})
	}
	unhealthyAfter, failbackAfter := Durations(sub)
	st.targets = Targets(sub, clusters)

	// Standbys of clusters that are no longer targets, or of a subscription
	// without failover, are released.
	if sub.Spec.Failover == nil {
		out = append(out, st.releaseAll(name, "spec.failover was removed")...)
	}
	for _, t := range slices.Sorted(maps.Keys(st.standby)) {
		if !slices.Contains(st.targets, t) {
			sb := st.standby[t]
			delete(st.standby, t)
			if sb != "" {
				st.release(sb)
				add(KindFailback, t, sb, "%s: %s is no longer a target; standby %s released", name, t, sb)
			}
		}
	}

	// Out of service and back, for every cluster serving the subscription.
	serving := st.serving()
	for _, c := range serving {
		h, ok := s.health[c]
		switch {
		case !ok:
		case !st.outOfService[c] && h.unhealthyFor(now, unhealthyAfter):
			st.outOfService[c] = true
			add(KindOutOfService, c, "", "%s unreachable or not ready for %s: out of service for %s", c, roundSecond(now.Sub(h.Since)), name)
		case st.outOfService[c] && h.healthyFor(now, failbackAfter):
			delete(st.outOfService, c)
			add(KindInService, c, "", "%s healthy again for %s: back in service for %s", c, roundSecond(now.Sub(h.Since)), name)
		}
	}
	for c := range st.outOfService {
		if !slices.Contains(serving, c) {
			delete(st.outOfService, c)
		}
	}
	if sub.Spec.Failover == nil {
		return out
	}

	candidates := standbyCandidates(sub, clusters, st.targets)
	usable := func(c string) bool {
		h, ok := s.health[c]
		return ok && h.Healthy && !st.outOfService[c] && !slices.Contains(st.targets, c)
	}
	for _, t := range st.targets {
		cur, has := st.standby[t]
		if !st.outOfService[t] {
			if has {
				delete(st.standby, t)
				if cur != "" {
					st.release(cur)
					add(KindFailback, t, cur, "%s: %s failed back from standby %s; its copy there is pruned once %s is healthy", name, t, cur, t)
				}
			}
			continue
		}
		// A standby in use stays until it is out of service itself (a blip
		// moves nothing); a new one must be healthy now.
		if has && cur != "" && !st.outOfService[cur] && !slices.Contains(st.targets, cur) {
			continue
		}
		pick := st.choose(t, candidates, usable)
		switch {
		case pick != "" && (!has || cur == ""):
			st.assign(t, pick)
			add(KindFailover, t, pick, "%s: %s failed over to standby %s", name, t, pick)
		case pick != "":
			st.assign(t, pick)
			st.release(cur)
			add(KindReassigned, t, pick, "%s: standby %s of %s is out of service or no longer a standby; %s stands in instead", name, cur, t, pick)
		case !has:
			st.standby[t] = ""
			add(KindNoStandby, t, "", "%s: %s is out of service and no standby is healthy (candidates: %s)", name, t, listOrNone(candidates))
		case cur != "" && slices.Contains(st.targets, cur):
			st.standby[t] = "" // a target now: it serves anyway, nothing to release
		}
	}
	return out
}

// serving returns the clusters serving the subscription: its targets and
// the standbys in use, sorted.
func (st *subscriptionState) serving() []string {
	out := slices.Clone(st.targets)
	for _, sb := range st.standby {
		if sb != "" && !slices.Contains(out, sb) {
			out = append(out, sb)
		}
	}
	slices.Sort(out)
	return out
}

// choose picks a standby for target: the first usable candidate standing
// in for no other target, else the first usable one.
func (st *subscriptionState) choose(target string, candidates []string, usable func(string) bool) string {
	first := ""
	for _, c := range candidates {
		if !usable(c) {
			continue
		}
		if first == "" {
			first = c
		}
		if !st.inUse(c, target) {
			return c
		}
	}
	return first
}

// inUse reports whether standby stands in for a target other than except.
func (st *subscriptionState) inUse(standby, except string) bool {
	for t, sb := range st.standby {
		if sb == standby && t != except {
			return true
		}
	}
	return false
}

func (st *subscriptionState) assign(target, standby string) {
	st.standby[target] = standby
	delete(st.released, standby)
}

// release marks a standby released once no target uses it any more.
func (st *subscriptionState) release(standby string) {
	if !st.inUse(standby, "") {
		st.released[standby] = true
	}
}

// releaseAll releases every standby of the subscription.
func (st *subscriptionState) releaseAll(name, why string) []Decision {
	var out []Decision
	for _, t := range slices.Sorted(maps.Keys(st.standby)) {
		sb := st.standby[t]
		delete(st.standby, t)
		if sb != "" {
			st.release(sb)
			out = append(out, Decision{Subscription: name, Kind: KindFailback, Cluster: t, Standby: sb,
				Message: fmt.Sprintf("%s: %s; standby %s of %s released", name, why, sb, t)})
		}
	}
	return out
}

// Standby returns the standbys in use for the renderer: subscription →
// standby cluster → the target it stands in for (the first by name when it
// stands in for several).
func (s *State) Standby() map[string]map[string]string {
	out := map[string]map[string]string{}
	for name, st := range s.subs {
		for _, t := range slices.Sorted(maps.Keys(st.standby)) {
			sb := st.standby[t]
			if sb == "" {
				continue
			}
			if out[name] == nil {
				out[name] = map[string]string{}
			}
			if _, ok := out[name][sb]; !ok {
				out[name][sb] = t
			}
		}
	}
	return out
}

// Serving returns the clusters serving a subscription that are in service,
// sorted: its targets and the standbys in use, once probed, unless out of
// service.
func (s *State) Serving(subscription string) []string {
	st, ok := s.subs[subscription]
	if !ok {
		return nil
	}
	var out []string
	for _, c := range st.serving() {
		if _, probed := s.health[c]; probed && !st.outOfService[c] {
			out = append(out, c)
		}
	}
	return out
}

// Released returns, per subscription, the standbys released whose copy may
// still have to be pruned, sorted.
func (s *State) Released() map[string][]string {
	out := map[string][]string{}
	for name, st := range s.subs {
		if len(st.released) > 0 {
			out[name] = slices.Sorted(maps.Keys(st.released))
		}
	}
	return out
}

// Settle forgets a released standby once its copy is gone.
func (s *State) Settle(subscription, cluster string) {
	st, ok := s.subs[subscription]
	if !ok {
		return
	}
	delete(st.released, cluster)
	if len(st.released) == 0 && len(st.targets) == 0 && len(st.standby) == 0 {
		delete(s.subs, subscription)
	}
}

func roundSecond(d time.Duration) time.Duration { return d.Round(time.Second) }

func listOrNone(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}
