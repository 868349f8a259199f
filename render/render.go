package render

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"sync"

	"github.com/manifold-gitops/manifold/api"
	"github.com/manifold-gitops/manifold/gitsource"
	"github.com/manifold-gitops/manifold/render/override"
	"k8s.io/apimachinery/pkg/labels"
)

// Limits bound what a render may produce.
type Limits struct {
	// MaxObjects is the most objects one build may produce.
	MaxObjects int
	// Override bounds each override's size and operations.
	Override override.Limits
}

// DefaultLimits are used for zero fields.
var DefaultLimits = Limits{MaxObjects: 10000}

// Result is the desired state of every cluster at one revision.
type Result struct {
	// Revision is the commit rendered; empty for a working tree.
	Revision string
	// Policies are the policy objects read from the repository.
	Policies api.Set
	// Clusters are the declared clusters, sorted by name.
	Clusters []*api.Cluster
	// Sets are sorted by cluster, then subscription. A set whose Err is set
	// must not be synced.
	Sets []*DesiredSet
	// Problems lists everything wrong, each with its subjects.
	Problems []*Problem
	// Err is set when the policy objects themselves are invalid: then no set
	// is rendered and nothing may be synced or pruned at this revision.
	Err error
}

// Stats counts a Renderer's work, for tests, metrics and benchmarks.
type Stats struct {
	Builds        int // folder builds run (kustomize or plain)
	BuildHits     int // folder builds served from the cache
	Sets          int // desired sets computed
	SetHits       int // desired sets served from the cache
	PolicyLoads   int // times the policy objects were decoded
	PolicyLoadHit int // times they were served from the cache
}

// Renderer renders snapshots, caching builds and sets by the content of
// their inputs. It is safe for concurrent use.
type Renderer struct {
	limits Limits

	mu       sync.Mutex
	gen      int
	builds   map[string]*cachedBuild
	sets     map[string]*cachedSet
	policies map[string]*cachedPolicies
	files    map[string]*cachedFile
	stats    Stats
}

type cachedBuild struct {
	build
	gen int
}

type cachedSet struct {
	set  *DesiredSet
	used []string // subjects of the override policies that matched an object
	gen  int
}

// cachedFile is one YAML file's decoded policy objects.
type cachedFile struct {
	set api.Set
	err error
	gen int
}

type cachedPolicies struct {
	set      api.Set
	problems []*Problem
	err      error
	gen      int
}

// NewRenderer returns a Renderer with the given limits (zero fields default).
func NewRenderer(limits Limits) *Renderer {
	if limits.MaxObjects <= 0 {
		limits.MaxObjects = DefaultLimits.MaxObjects
	}
	return &Renderer{
		limits:   limits,
		builds:   map[string]*cachedBuild{},
		sets:     map[string]*cachedSet{},
		policies: map[string]*cachedPolicies{},
		files:    map[string]*cachedFile{},
	}
}

// Stats returns the work counters so far.
func (r *Renderer) Stats() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stats
}

// Options adjust one render.
type Options struct {
	// Standby adds clusters to a subscription's targets while one of its
	// clusters is failed over: subscription → standby cluster → the target
	// it stands in for. A standby set renders like any other (with the
	// standby cluster's own overrides) and carries the replaced cluster's
	// share of divided replicas.
	Standby map[string]map[string]string
}

// Render computes every (cluster, subscription) desired set of snap.
func (r *Renderer) Render(ctx context.Context, snap *gitsource.Snapshot) *Result {
	return r.RenderWith(ctx, snap, Options{})
}

// RenderWith is Render with options.
func (r *Renderer) RenderWith(ctx context.Context, snap *gitsource.Snapshot, opts Options) *Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.gen++
	defer r.evict()

	res := &Result{Revision: snap.Revision}
	set, problems, err := r.loadPolicies(snap)
	res.Policies = set
	res.Problems = append(res.Problems, problems...)
	if err != nil {
		res.Err = err
		return res
	}
	res.Clusters = append([]*api.Cluster(nil), set.Clusters...)
	sort.Slice(res.Clusters, func(i, j int) bool { return res.Clusters[i].Metadata.Name < res.Clusters[j].Metadata.Name })

	policies, _ := overridePolicies(&set, r.limits.Override)
	used := map[*overridePolicy]bool{}
	for _, sub := range sortedSubscriptions(set.Subscriptions) {
		if err := ctx.Err(); err != nil {
			res.Err = err
			return res
		}
		sets, problems := r.renderSubscription(snap, sub, res.Clusters, opts.Standby[sub.Metadata.Name], policies, used)
		res.Sets = append(res.Sets, sets...)
		res.Problems = append(res.Problems, problems...)
	}
	res.Problems = append(res.Problems, checkConflicts(res.Sets)...)
	res.Problems = append(res.Problems, unusedOverrides(res.Clusters, policies, used, r.limits.Override)...)
	sort.SliceStable(res.Sets, func(i, j int) bool {
		a, b := res.Sets[i], res.Sets[j]
		if a.Cluster != b.Cluster {
			return a.Cluster < b.Cluster
		}
		return a.Subscription < b.Subscription
	})
	return res
}

// loadPolicies decodes and validates the policy objects of every YAML file.
// Each file's decoding is cached by its content, and the whole result by the
// content of all YAML files.
func (r *Renderer) loadPolicies(snap *gitsource.Snapshot) (api.Set, []*Problem, error) {
	h := sha256.New()
	type yamlFile struct{ path, hash string }
	var files []yamlFile
	for _, p := range snap.Paths() {
		if ext := path.Ext(p); ext == ".yaml" || ext == ".yml" {
			fileHash, ok := snap.FileHash(p)
			if !ok {
				fileHash = "unreadable"
			}
			files = append(files, yamlFile{p, fileHash})
			fmt.Fprintf(h, "%s %s\n", p, fileHash)
		}
	}
	key := hex.EncodeToString(h.Sum(nil))
	if c, ok := r.policies[key]; ok {
		c.gen = r.gen
		r.stats.PolicyLoadHit++
		return c.set, c.problems, c.err
	}
	r.stats.PolicyLoads++
	var set api.Set
	var errs api.Errors
	for _, f := range files {
		fileKey := f.path + " " + f.hash
		d, ok := r.files[fileKey]
		if !ok {
			d = &cachedFile{}
			if data, err := snap.ReadFile(f.path); err != nil {
				d.err = &api.Error{Origin: api.Origin{File: f.path}, Err: unwrapPath(err, f.path)}
			} else {
				d.set, _, d.err = api.DecodeFile(f.path, data)
			}
			r.files[fileKey] = d
		}
		d.gen = r.gen
		if d.err != nil {
			errs = append(errs, d.err)
		}
		set.Merge(d.set)
	}
	if err := set.Validate(); err != nil {
		errs = append(errs, err)
	}
	c := &cachedPolicies{set: set, gen: r.gen}
	if err := errs.Err(); err != nil {
		c.problems = problemsFrom(err)
		c.err = fmt.Errorf("the policy objects have %d problem(s); nothing is rendered at this revision", len(c.problems))
	}
	r.policies[key] = c
	return c.set, c.problems, c.err
}

// unwrapPath drops a leading "path: " from a snapshot error, since the
// problem names the file already.
func unwrapPath(err error, p string) error {
	msg := err.Error()
	if len(msg) > len(p)+2 && msg[:len(p)+2] == p+": " {
		return fmt.Errorf("%s", msg[len(p)+2:])
	}
	return err
}

func sortedSubscriptions(subs []*api.Subscription) []*api.Subscription {
	out := append([]*api.Subscription(nil), subs...)
	sort.Slice(out, func(i, j int) bool { return out[i].Metadata.Name < out[j].Metadata.Name })
	return out
}

// targets returns the clusters any subscriber of sub selects.
func targets(sub *api.Subscription, clusters []*api.Cluster) []*api.Cluster {
	var out []*api.Cluster
	for _, c := range clusters {
		set := labels.Set(c.Labels())
		for _, s := range sub.Spec.Subscribers {
			sel, err := s.ClusterAffinity.Selector()
			if err == nil && s.ClusterAffinity != nil && sel.Matches(set) {
				out = append(out, c)
				break
			}
		}
	}
	return out
}

// withStandby appends the declared standby clusters that are not targets
// already, sorted by name.
func withStandby(targets, clusters []*api.Cluster, standby map[string]string) []*api.Cluster {
	if len(standby) == 0 {
		return targets
	}
	in := map[string]bool{}
	for _, c := range targets {
		in[c.Metadata.Name] = true
	}
	out := append([]*api.Cluster(nil), targets...)
	for _, c := range clusters {
		if _, ok := standby[c.Metadata.Name]; ok && !in[c.Metadata.Name] {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Metadata.Name < out[j].Metadata.Name })
	return out
}

// sourceDir is a subscription's source folder.
func sourceDir(sub *api.Subscription) string {
	if sub.Spec.Source != nil && sub.Spec.Source.Path != "" {
		return api.CleanPath(sub.Spec.Source.Path)
	}
	return path.Dir(sub.Origin.File)
}

// cachedFolder builds dir, or returns the cached build for the same inputs.
func (r *Renderer) cachedFolder(snap *gitsource.Snapshot, dir string) (string, build) {
	key, roots, err := buildKey(snap, dir)
	if err != nil {
		return "", build{err: err}
	}
	if c, ok := r.builds[key]; ok {
		c.gen = r.gen
		r.stats.BuildHits++
		return key, c.build
	}
	r.stats.Builds++
	b := buildFolder(snap, dir, roots, r.limits)
	r.builds[key] = &cachedBuild{build: b, gen: r.gen}
	return key, b
}

// renderSubscription renders one subscription for each of its target clusters.
func (r *Renderer) renderSubscription(snap *gitsource.Snapshot, sub *api.Subscription, clusters []*api.Cluster, standby map[string]string, policies []*overridePolicy, used map[*overridePolicy]bool) ([]*DesiredSet, []*Problem) {
	name := sub.Metadata.Name
	var sets []*DesiredSet
	var problems []*Problem
	fail := func(cluster string, p *Problem) {
		problems = append(problems, p)
		sets = append(sets, &DesiredSet{Cluster: cluster, Subscription: name, Err: p})
	}
	dir := sourceDir(sub)
	specJSON, _ := json.Marshal(sub.Spec)
	div := newDivision(sub, clusters)
	// Feeds are selected and the ownership label stamped once per build,
	// so each cluster only copies the objects its overrides change.
	type selection struct {
		objs []*Object
		err  *Problem
	}
	selected := map[string]selection{}
	type folder struct {
		key string
		b   build
	}
	folders := map[string]folder{}
	for _, c := range withStandby(targets(sub, clusters), clusters, standby) {
		cname := c.Metadata.Name
		shareOf := cname
		if replaced, ok := standby[cname]; ok {
			shareOf = replaced
		}
		buildDir := dir
		if sub.Spec.Source != nil && sub.Spec.Source.Overlays != "" {
			if overlay := path.Join(api.CleanPath(sub.Spec.Source.Overlays), cname); snap.IsDir(overlay) {
				buildDir = overlay
			}
		}
		f, ok := folders[buildDir]
		if !ok {
			f.key, f.b = r.cachedFolder(snap, buildDir)
			folders[buildDir] = f
		}
		key, b := f.key, f.b
		if b.err == nil && key == "" {
			b.err = fmt.Errorf("build of %s failed", buildDir)
		}
		if b.err != nil {
			fail(cname, &Problem{Origin: sub.Origin, Object: sub.Subject(), Cluster: cname, Subscription: name, Err: b.err})
			continue
		}
		mine := clusterPolicies(c, policies)
		setKey := setCacheKey(key, name, specJSON, div.cacheKey()+" share-of="+shareOf, c, mine)
		if cs, ok := r.sets[setKey]; ok {
			cs.gen = r.gen
			r.stats.SetHits++
			markUsed(mine, cs.used, used)
			sets = append(sets, cs.set)
			continue
		}
		sel, ok := selected[key]
		if !ok {
			objs, err := stampedFeeds(sub, b.objects)
			sel = selection{objs: objs}
			if err != nil {
				sel.err = &Problem{Origin: sub.Origin, Object: sub.Subject(), Subscription: name, Err: err}
				problems = append(problems, sel.err)
			}
			selected[key] = sel
		}
		if sel.err != nil {
			sets = append(sets, &DesiredSet{Cluster: cname, Subscription: name, Err: sel.err})
			continue
		}
		r.stats.Sets++
		ds, usedHere, p := r.renderSet(sel.objs, sub, c, shareOf, div, mine)
		if p != nil {
			for pol := range usedHere { // a failed override still targeted this cluster
				used[pol] = true
			}
			fail(cname, p)
			continue
		}
		var usedSubjects []string
		for pol := range usedHere {
			used[pol] = true
			usedSubjects = append(usedSubjects, pol.origin.String())
		}
		r.sets[setKey] = &cachedSet{set: ds, used: usedSubjects, gen: r.gen}
		sets = append(sets, ds)
	}
	return sets, problems
}

// stampedFeeds selects a subscription's feeds from a build and stamps the
// ownership label on each selected object.
func stampedFeeds(sub *api.Subscription, base []*Object) ([]*Object, error) {
	selected, err := selectFeeds(sub, base)
	if err != nil {
		return nil, err
	}
	out := make([]*Object, len(selected))
	for i, o := range selected {
		if out[i], err = o.withLabel(LabelSubscription, sub.Metadata.Name); err != nil {
			return nil, fmt.Errorf("%s: %w", o.Key, err)
		}
	}
	return out, nil
}

// renderSet divides replicas (for a dividing subscription) and applies the
// cluster's overrides to copies of the selected, stamped objects, and
// restamps the ownership label where an override changed it.
func (r *Renderer) renderSet(selected []*Object, sub *api.Subscription, c *api.Cluster, shareOf string, div *division, policies []*overridePolicy) (*DesiredSet, map[*overridePolicy]bool, *Problem) {
	name, cname := sub.Metadata.Name, c.Metadata.Name
	selected, p := div.apply(selected, shareOf, name)
	if p != nil {
		return nil, nil, p
	}
	used := map[*overridePolicy]bool{}
	objs := make([]*Object, 0, len(selected))
	for _, o := range selected {
		patched, p := applyOverrides(o, policies, used, r.limits.Override, cname, name)
		if p != nil {
			return nil, used, p
		}
		if patched != o && patched.labels()[LabelSubscription] != name {
			var err error
			if patched, err = patched.withLabel(LabelSubscription, name); err != nil {
				return nil, nil, &Problem{Target: o.Key.String(), Cluster: cname, Subscription: name, Err: err}
			}
		}
		objs = append(objs, patched)
	}
	allowEmpty := sub.Spec.Prune != nil && sub.Spec.Prune.AllowEmpty
	ds := &DesiredSet{Cluster: cname, Subscription: name, Objects: objs, Hash: setHash(objs), AllowEmptyPrune: allowEmpty}
	if shareOf != cname {
		ds.StandbyFor = shareOf
	}
	return ds, used, nil
}

// clusterPolicies filters the sorted policies to those targeting c.
func clusterPolicies(c *api.Cluster, policies []*overridePolicy) []*overridePolicy {
	var out []*overridePolicy
	for _, p := range policies {
		if p.appliesTo(c) {
			out = append(out, p)
		}
	}
	return out
}

func markUsed(policies []*overridePolicy, origins []string, used map[*overridePolicy]bool) {
	for _, p := range policies {
		for _, o := range origins {
			if p.origin.String() == o {
				used[p] = true
			}
		}
	}
}

// setCacheKey covers everything a desired set depends on: the build, the
// subscription, its division (target clusters and weights), the cluster's
// name and labels, and its override policies.
func setCacheKey(buildKey, sub string, specJSON []byte, division string, c *api.Cluster, policies []*overridePolicy) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n%s\n%s\n%s\n", buildKey, sub, specJSON, division, c.Metadata.Name)
	labelsJSON, _ := json.Marshal(c.Labels())
	h.Write(labelsJSON)
	for _, p := range policies {
		pj, _ := json.Marshal(struct {
			F api.Feed
			O any
			S string
		}{p.feed, p.overrides, p.origin.String()})
		h.Write(pj)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// checkConflicts fails both sets when two subscriptions deliver the same
// object to one cluster.
func checkConflicts(sets []*DesiredSet) []*Problem {
	type owner struct {
		set *DesiredSet
		obj *Object
	}
	var problems []*Problem
	byCluster := map[string]map[ObjectKey]owner{}
	failed := map[*DesiredSet]error{}
	for _, s := range sets {
		if s.Err != nil {
			continue
		}
		seen := byCluster[s.Cluster]
		if seen == nil {
			seen = map[ObjectKey]owner{}
			byCluster[s.Cluster] = seen
		}
		for _, o := range s.Objects {
			prev, dup := seen[o.Key]
			if !dup {
				seen[o.Key] = owner{s, o}
				continue
			}
			p := &Problem{Origin: o.Origin, Target: o.Key.String(), Cluster: s.Cluster,
				Err: fmt.Errorf("delivered by two subscriptions, %s and %s; an object may belong to one subscription per cluster", prev.set.Subscription, s.Subscription)}
			problems = append(problems, p)
			failed[prev.set], failed[s] = p, p
		}
	}
	for s, err := range failed {
		s.Err, s.Objects, s.Hash = err, nil, ""
	}
	return problems
}

// unusedOverrides reports overrides that changed nothing: a Localization for
// an unknown cluster, or one whose feed is not delivered to its cluster; a
// Globalization whose feed reaches none of its clusters. Overrides never
// applied are also validated statically here.
func unusedOverrides(clusters []*api.Cluster, policies []*overridePolicy, used map[*overridePolicy]bool, limits override.Limits) []*Problem {
	var problems []*Problem
	for _, p := range policies {
		if used[p] {
			continue
		}
		for _, o := range p.overrides {
			if err := override.Validate(o, limits); err != nil {
				problems = append(problems, &Problem{Origin: p.origin, Object: p.subject, Override: o.Name, Err: err})
			}
		}
		var targets []string
		for _, c := range clusters {
			if p.appliesTo(c) {
				targets = append(targets, c.Metadata.Name)
			}
		}
		switch {
		case !p.global && len(targets) == 0:
			problems = append(problems, &Problem{Origin: p.origin, Object: p.subject,
				Err: fmt.Errorf("metadata.namespace %q names no cluster: use a Cluster's name or its spec.namespace alias", p.target)})
		case !p.global:
			problems = append(problems, &Problem{Origin: p.origin, Object: p.subject, Cluster: targets[0],
				Err: fmt.Errorf("spec.feed (%s) is not delivered to cluster %s by any subscription", p.feed, targets[0])})
		case len(targets) > 0:
			problems = append(problems, &Problem{Origin: p.origin, Object: p.subject,
				Err: fmt.Errorf("spec.feed (%s) is not delivered to any of its clusters", p.feed)})
		}
	}
	return problems
}

// evict drops cache entries unused for two renders.
func (r *Renderer) evict() {
	for k, c := range r.builds {
		if c.gen < r.gen-1 {
			delete(r.builds, k)
		}
	}
	for k, c := range r.sets {
		if c.gen < r.gen-1 {
			delete(r.sets, k)
		}
	}
	for k, c := range r.policies {
		if c.gen < r.gen-1 {
			delete(r.policies, k)
		}
	}
	for k, c := range r.files {
		if c.gen < r.gen-1 {
			delete(r.files, k)
		}
	}
}
