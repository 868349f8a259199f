package render

import (
	"encoding/json"
	"fmt"
	"math"
	"math/bits"
	"sort"
	"strconv"
	"strings"

	"github.com/manifold-gitops/manifold/api"
	"k8s.io/apimachinery/pkg/labels"
)

// Dividing replicas between clusters (spec.schedulingStrategy: Dividing,
// spec.dividingScheduling.type: Static).
//
// The rules:
//   - A target cluster's weight is the sum of the weights of every
//     subscriber that selects it.
//   - Each workload's count (replicaFields) is split in proportion to the
//     weights by the largest-remainder method: every cluster gets the floor
//     of its exact share, and the replicas left over go one each to the
//     clusters with the largest remainders, ties broken by cluster name. The
//     shares are whole, never negative, and add up to the declared count.
//   - When every target has weight 0, the count is split equally (every
//     weight counts as 1), so the declared count is still delivered.
//   - A workload without the field counts as 1, Kubernetes' default; its
//     share is always written out.
//   - A cluster whose share is 0 still gets every object, the workload
//     included with 0 replicas: changing weights never prunes.
//   - The shares are computed over the current targets, so adding or
//     removing a cluster redistributes the same total.
//
// Division runs on the selected, stamped objects before any override, so a
// Localization or Globalization may still set a cluster's count.

// replicaFields names the field of spec that holds a workload's count, by
// group and kind.
var replicaFields = map[[2]string]string{
	{"apps", "Deployment"}:  "replicas",
	{"apps", "StatefulSet"}: "replicas",
	{"apps", "ReplicaSet"}:  "replicas",
	{"batch", "Job"}:        "parallelism",
}

// clusterWeight is one target cluster and its weight.
type clusterWeight struct {
	Cluster string
	Weight  int64
}

// divideReplicas splits total between clusters in proportion to their
// weights, by the largest remainder with ties broken by cluster name. The
// shares are returned in the order of clusters and add up to total. When
// every weight is 0 the split is equal. Cluster names must be unique.
func divideReplicas(total int64, clusters []clusterWeight) ([]int64, error) {
	if total < 0 {
		return nil, fmt.Errorf("cannot divide %d replicas", total)
	}
	if len(clusters) == 0 {
		return nil, nil
	}
	weights := make([]uint64, len(clusters))
	var sum uint64
	for i, c := range clusters {
		if c.Weight < 0 {
			return nil, fmt.Errorf("cluster %s has negative weight %d", c.Cluster, c.Weight)
		}
		weights[i] = uint64(c.Weight)
		var carry uint64
		if sum, carry = bits.Add64(sum, weights[i], 0); carry != 0 {
			return nil, fmt.Errorf("the weights add up to more than %d", uint64(math.MaxUint64))
		}
	}
	if sum == 0 {
		for i := range weights {
			weights[i] = 1
		}
		sum = uint64(len(weights))
	}
	shares := make([]int64, len(clusters))
	remainders := make([]uint64, len(clusters))
	left := uint64(total)
	for i, w := range weights {
		// total*w/sum in 128 bits; the quotient fits since w <= sum.
		hi, lo := bits.Mul64(uint64(total), w)
		q, r := bits.Div64(hi, lo, sum)
		shares[i], remainders[i] = int64(q), r
		left -= q
	}
	// left < len(clusters): the remainders add up to less than len*sum.
	order := make([]int, len(clusters))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool {
		i, j := order[a], order[b]
		if remainders[i] != remainders[j] {
			return remainders[i] > remainders[j]
		}
		return clusters[i].Cluster < clusters[j].Cluster
	})
	for _, i := range order[:left] {
		shares[i]++
	}
	return shares, nil
}

// division is a dividing subscription's schedule at one render: its target
// clusters with their weights, and the shares computed so far. A nil
// division replicates.
type division struct {
	targets []clusterWeight // sorted by name
	index   map[string]int
	shares  map[int64][]int64 // by declared count
}

// newDivision returns the division of sub over clusters, or nil when the
// subscription replicates.
func newDivision(sub *api.Subscription, clusters []*api.Cluster) *division {
	if !sub.Spec.Divides() {
		return nil
	}
	d := &division{index: map[string]int{}, shares: map[int64][]int64{}}
	for _, c := range targets(sub, clusters) {
		set := labels.Set(c.Labels())
		var weight int64
		for _, s := range sub.Spec.Subscribers {
			if sel, err := s.ClusterAffinity.Selector(); err == nil && s.ClusterAffinity != nil && sel.Matches(set) {
				weight += int64(s.Weight)
			}
		}
		d.targets = append(d.targets, clusterWeight{Cluster: c.Metadata.Name, Weight: weight})
	}
	sort.Slice(d.targets, func(i, j int) bool { return d.targets[i].Cluster < d.targets[j].Cluster })
	for i, t := range d.targets {
		d.index[t.Cluster] = i
	}
	return d
}

// cacheKey is everything the shares depend on besides the declared counts:
// the target clusters and their weights. Empty for replication.
func (d *division) cacheKey() string {
	if d == nil {
		return ""
	}
	var b strings.Builder
	b.WriteString("dividing")
	for _, t := range d.targets {
		b.WriteString(" " + t.Cluster + "=" + strconv.FormatInt(t.Weight, 10))
	}
	return b.String()
}

// share returns cluster's share of total.
func (d *division) share(total int64, cluster string) (int64, error) {
	i, ok := d.index[cluster]
	if !ok {
		return 0, fmt.Errorf("cluster %s is not a target of the subscription", cluster)
	}
	shares, ok := d.shares[total]
	if !ok {
		var err error
		if shares, err = divideReplicas(total, d.targets); err != nil {
			return 0, err
		}
		d.shares[total] = shares
	}
	return shares[i], nil
}

// apply returns objs with every workload's count replaced by cluster's
// share. Other objects are passed through; a nil division returns objs.
func (d *division) apply(objs []*Object, cluster, subscription string) ([]*Object, *Problem) {
	if d == nil {
		return objs, nil
	}
	out := make([]*Object, len(objs))
	for i, o := range objs {
		out[i] = o
		field, ok := replicaFields[[2]string{o.Key.Group, o.Key.Kind}]
		if !ok {
			continue
		}
		divided, err := d.divideObject(o, field, cluster)
		if err != nil {
			return nil, &Problem{Origin: o.Origin, Target: o.Key.String(), Cluster: cluster, Subscription: subscription, Err: err}
		}
		out[i] = divided
	}
	return out, nil
}

// divideObject sets spec.<field> of a workload to cluster's share of its
// declared count.
func (d *division) divideObject(o *Object, field, cluster string) (*Object, error) {
	var m map[string]any
	if err := json.Unmarshal(o.JSON, &m); err != nil {
		return nil, err
	}
	spec, ok := m["spec"].(map[string]any)
	if m["spec"] == nil {
		spec = map[string]any{}
		m["spec"] = spec
	} else if !ok {
		return nil, fmt.Errorf("spec is not an object")
	}
	total := int64(1)
	if v, set := spec[field]; set {
		n, ok := v.(float64)
		if !ok || n != math.Trunc(n) || n < 0 || n > math.MaxInt32 {
			return nil, fmt.Errorf("spec.%s must be a whole number from 0 to %d to be divided between clusters, not %v", field, math.MaxInt32, v)
		}
		total = int64(n)
	}
	share, err := d.share(total, cluster)
	if err != nil {
		return nil, fmt.Errorf("dividing spec.%s: %w", field, err)
	}
	spec[field] = share
	data, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	return o.withJSON(data), nil
}
