package render

import (
	"context"
	"encoding/json"
	"math"
	"math/big"
	"math/rand"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/manifold-gitops/manifold/api"
	"github.com/manifold-gitops/manifold/gitsource"
)

func TestDivideReplicas(t *testing.T) {
	for _, tc := range []struct {
		name    string
		total   int64
		weights []clusterWeight
		want    []int64
	}{
		{"weights 2:1 over 6", 6, []clusterWeight{{"SPG-01", 2}, {"SPG-02", 1}}, []int64{4, 2}},
		{"weights 2:1 over 7: remainders 2/3 and 1/3", 7, []clusterWeight{{"SPG-01", 2}, {"SPG-02", 1}}, []int64{5, 2}},
		{"1:1:1 over 10: the tie goes to the first name", 10, []clusterWeight{{"a", 1}, {"b", 1}, {"c", 1}}, []int64{4, 3, 3}},
		{"ties by name, not by position", 10, []clusterWeight{{"c", 1}, {"b", 1}, {"a", 1}}, []int64{3, 3, 4}},
		{"1:1:1 over 11", 11, []clusterWeight{{"a", 1}, {"b", 1}, {"c", 1}}, []int64{4, 4, 3}},
		{"largest remainder beats name", 3, []clusterWeight{{"a", 1}, {"b", 2}, {"c", 2}}, []int64{1, 1, 1}},
		{"weight 0 gets nothing", 5, []clusterWeight{{"a", 1}, {"b", 0}}, []int64{5, 0}},
		{"all weights 0: equal split", 7, []clusterWeight{{"a", 0}, {"b", 0}, {"c", 0}}, []int64{3, 2, 2}},
		{"0 replicas", 0, []clusterWeight{{"a", 2}, {"b", 1}}, []int64{0, 0}},
		{"fewer replicas than clusters", 2, []clusterWeight{{"a", 1}, {"b", 1}, {"c", 1}, {"d", 1}}, []int64{1, 1, 0, 0}},
		{"one cluster takes all", 6, []clusterWeight{{"SPG-02", 1}}, []int64{6}},
		{"large count and weights", math.MaxInt32, []clusterWeight{{"a", math.MaxInt32}, {"b", math.MaxInt32}, {"c", 1}}, []int64{1073741823, 1073741823, 1}},
		{"large count, summed weights beyond 32 bits", math.MaxInt32, []clusterWeight{{"a", 3 * math.MaxInt32}, {"b", math.MaxInt32}}, []int64{1610612735, 536870912}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := divideReplicas(tc.total, tc.weights)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("shares (-want +got):\n%s", diff)
			}
			checkShares(t, tc.total, tc.weights, got)
		})
	}
}

func TestDivideReplicasRefusesNegatives(t *testing.T) {
	if _, err := divideReplicas(-1, []clusterWeight{{"a", 1}}); err == nil {
		t.Error("negative total: no error")
	}
	if _, err := divideReplicas(3, []clusterWeight{{"a", 1}, {"b", -1}}); err == nil {
		t.Error("negative weight: no error")
	}
}

// TestDivideReplicasInvariants checks random inputs: whole, non-negative
// shares that add up to the total, each within one of its exact share.
func TestDivideReplicasInvariants(t *testing.T) {
	rng := rand.New(rand.NewSource(8))
	names := []string{"a", "b", "c", "d", "e", "f", "g"}
	for range 2000 {
		n := 1 + rng.Intn(len(names))
		weights := make([]clusterWeight, n)
		for i := range weights {
			weights[i] = clusterWeight{names[i], rng.Int63n(5)}
			if rng.Intn(10) == 0 {
				weights[i].Weight = rng.Int63n(math.MaxInt32)
			}
		}
		rng.Shuffle(n, func(i, j int) { weights[i], weights[j] = weights[j], weights[i] })
		total := rng.Int63n(50)
		if rng.Intn(10) == 0 {
			total = rng.Int63n(math.MaxInt32)
		}
		got, err := divideReplicas(total, weights)
		if err != nil {
			t.Fatal(err)
		}
		checkShares(t, total, weights, got)
	}
}

// checkShares checks that shares are the floor or ceiling of the exact
// proportional shares and add up to total.
func checkShares(t *testing.T, total int64, weights []clusterWeight, shares []int64) {
	t.Helper()
	effective := make([]int64, len(weights))
	var wsum int64
	for i, w := range weights {
		effective[i] = w.Weight
		wsum += w.Weight
	}
	if wsum == 0 { // equal split
		for i := range effective {
			effective[i] = 1
		}
		wsum = int64(len(weights))
	}
	var sum int64
	for i, s := range shares {
		sum += s
		exact := big.NewRat(0, 1).SetFrac(new(big.Int).Mul(big.NewInt(total), big.NewInt(effective[i])), big.NewInt(wsum))
		floor := new(big.Int).Quo(exact.Num(), exact.Denom()).Int64()
		if s != floor && s != floor+1 {
			t.Errorf("%v over %d: %s got %d, exact share %s", weights, total, weights[i].Cluster, s, exact.FloatString(3))
		}
	}
	if sum != total {
		t.Errorf("%v over %d: shares %v add up to %d", weights, total, shares, sum)
	}
}

func TestNewDivisionWeights(t *testing.T) {
	clusters := []*api.Cluster{
		{Metadata: api.ObjectMeta{Name: "c", Labels: map[string]string{"tier": "dev"}}},
		{Metadata: api.ObjectMeta{Name: "b", Labels: map[string]string{"tier": "prod"}}},
		{Metadata: api.ObjectMeta{Name: "a", Labels: map[string]string{"tier": "prod"}}},
	}
	subscriber := func(key, value string, weight int32) api.Subscriber {
		return api.Subscriber{ClusterAffinity: &api.LabelSelector{MatchLabels: map[string]string{key: value}}, Weight: weight}
	}
	for _, tc := range []struct {
		name        string
		subscribers []api.Subscriber
		want        []clusterWeight
	}{
		{
			name:        "one subscriber selecting two clusters gives each its weight",
			subscribers: []api.Subscriber{subscriber("tier", "prod", 1), subscriber(api.LabelCluster, "c", 2)},
			want:        []clusterWeight{{"a", 1}, {"b", 1}, {"c", 2}},
		},
		{
			name:        "a cluster selected by two subscribers sums their weights",
			subscribers: []api.Subscriber{subscriber("tier", "prod", 1), subscriber(api.LabelCluster, "a", 2)},
			want:        []clusterWeight{{"a", 3}, {"b", 1}},
		},
		{
			name:        "weight 0 keeps the cluster a target",
			subscribers: []api.Subscriber{subscriber("tier", "prod", 0), subscriber(api.LabelCluster, "c", 1)},
			want:        []clusterWeight{{"a", 0}, {"b", 0}, {"c", 1}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sub := &api.Subscription{Spec: api.SubscriptionSpec{SchedulingStrategy: api.SchedulingDividing, Subscribers: tc.subscribers}}
			d := newDivision(sub, clusters)
			if diff := cmp.Diff(tc.want, d.targets); diff != "" {
				t.Errorf("targets (-want +got):\n%s", diff)
			}
		})
	}
	replicated := &api.Subscription{Spec: api.SubscriptionSpec{Subscribers: []api.Subscriber{subscriber("tier", "prod", 2)}}}
	if d := newDivision(replicated, clusters); d != nil || d.cacheKey() != "" {
		t.Errorf("a replicating subscription has a division: %+v", d)
	}
}

const spgClustersYAML = `apiVersion: manifold.dev/v1alpha1
kind: Cluster
metadata: {name: SPG-01, labels: {region: ap-singapore}}
spec: {kubeconfig: {file: spg-01.kubeconfig}}
---
apiVersion: manifold.dev/v1alpha1
kind: Cluster
metadata: {name: SPG-02, labels: {region: ap-singapore}}
spec: {kubeconfig: {file: spg-02.kubeconfig}}
`

const spg03YAML = `---
apiVersion: manifold.dev/v1alpha1
kind: Cluster
metadata: {name: SPG-03, labels: {region: ap-singapore}}
spec: {kubeconfig: {file: spg-03.kubeconfig}}
`

// dividingSubscription is Clusternet's static dividing shape over SPG-01
// (weight 2) and SPG-02 (weight 1).
const dividingSubscription = `apiVersion: apps.clusternet.io/v1alpha1
kind: Subscription
metadata: {name: qcbm-subscription, namespace: default}
spec:
  schedulingStrategy: Dividing
  dividingScheduling:
    type: Static
  subscribers:
    - clusterAffinity: {matchLabels: {clusters.clusternet.io/cluster-name: SPG-01}}
      weight: 2
    - clusterAffinity: {matchLabels: {clusters.clusternet.io/cluster-name: SPG-02}}
      weight: 1
  source: {path: app}
`

const spg01Subscriber = `    - clusterAffinity: {matchLabels: {clusters.clusternet.io/cluster-name: SPG-01}}
      weight: 2
`

const qcbmWorkloads = `apiVersion: v1
kind: Namespace
metadata: {name: qcbm}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: qcbm-env, namespace: qcbm}
data: {MYSQL_HOST: mysql.qcbm}
---
apiVersion: v1
kind: Service
metadata: {name: api-gateway, namespace: qcbm}
spec:
  selector: {app: qcbm-gateway}
  ports: [{port: 80}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: user-service, namespace: qcbm}
spec:
  replicas: 6
  selector: {matchLabels: {app: user-service}}
  template:
    metadata: {labels: {app: user-service}}
    spec: {containers: [{name: user-service, image: "qcbm/user-service:fdd3edd"}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: qcbm-front, namespace: qcbm}
spec:
  selector: {matchLabels: {app: qcbm-front}}
  template:
    metadata: {labels: {app: qcbm-front}}
    spec: {containers: [{name: qcbm-front, image: "qcbm/front:fdd3edd"}]}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: store-db, namespace: qcbm}
spec:
  replicas: 3
  serviceName: store-db
  selector: {matchLabels: {app: store-db}}
  template:
    metadata: {labels: {app: store-db}}
    spec: {containers: [{name: db, image: "mysql:8"}]}
---
apiVersion: batch/v1
kind: Job
metadata: {name: import-books, namespace: qcbm}
spec:
  parallelism: 9
  template:
    spec:
      restartPolicy: Never
      containers: [{name: import, image: "qcbm/import:1"}]
`

// count reads a workload's spec field from a desired set; -1 when absent.
func count(t *testing.T, s *DesiredSet, subject, field string) int64 {
	t.Helper()
	for _, o := range s.Objects {
		if o.Key.String() != subject {
			continue
		}
		var m struct {
			Spec map[string]any `json:"spec"`
		}
		if err := json.Unmarshal(o.JSON, &m); err != nil {
			t.Fatal(err)
		}
		v, ok := m.Spec[field].(float64)
		if !ok {
			return -1
		}
		return int64(v)
	}
	t.Fatalf("%s/%s has no %s", s.Cluster, s.Subscription, subject)
	return 0
}

func dividingFiles() map[string]string {
	return map[string]string{
		"clusters.yaml":     spgClustersYAML,
		"subscription.yaml": dividingSubscription,
		"app/qcbm.yaml":     qcbmWorkloads,
	}
}

func TestRenderDividing(t *testing.T) {
	const sub = "qcbm-subscription"
	for _, tc := range []struct {
		name   string
		mutate func(files map[string]string)
		// want: cluster → subject+" "+field → count
		want map[string]map[string]int64
	}{
		{
			name: "weights 2:1",
			want: map[string]map[string]int64{
				"SPG-01": {"Deployment/qcbm/user-service replicas": 4, "Deployment/qcbm/qcbm-front replicas": 1,
					"StatefulSet/qcbm/store-db replicas": 2, "Job/qcbm/import-books parallelism": 6},
				"SPG-02": {"Deployment/qcbm/user-service replicas": 2, "Deployment/qcbm/qcbm-front replicas": 0,
					"StatefulSet/qcbm/store-db replicas": 1, "Job/qcbm/import-books parallelism": 3},
			},
		},
		{
			name: "a Localization pins SPG-02's replicas after division",
			mutate: func(files map[string]string) {
				files["localizations/spg-02.yaml"] = `apiVersion: apps.clusternet.io/v1alpha1
kind: Localization
metadata: {name: user-service-replicas, namespace: SPG-02}
spec:
  feed: {apiVersion: apps/v1, kind: Deployment, name: user-service, namespace: qcbm}
  overrides:
    - {name: pin, type: MergePatch, value: '{"spec":{"replicas":5}}'}
`
			},
			want: map[string]map[string]int64{
				"SPG-01": {"Deployment/qcbm/user-service replicas": 4},
				"SPG-02": {"Deployment/qcbm/user-service replicas": 5},
			},
		},
		{
			name: "removing SPG-01 gives SPG-02 everything",
			mutate: func(files map[string]string) {
				files["subscription.yaml"] = strings.Replace(files["subscription.yaml"], spg01Subscriber, "", 1)
			},
			want: map[string]map[string]int64{
				"SPG-02": {"Deployment/qcbm/user-service replicas": 6, "Deployment/qcbm/qcbm-front replicas": 1,
					"StatefulSet/qcbm/store-db replicas": 3, "Job/qcbm/import-books parallelism": 9},
			},
		},
		{
			name: "no weights: equal split, ties to SPG-01",
			mutate: func(files map[string]string) {
				files["subscription.yaml"] = strings.ReplaceAll(files["subscription.yaml"], "      weight: 2\n", "")
				files["subscription.yaml"] = strings.ReplaceAll(files["subscription.yaml"], "      weight: 1\n", "")
			},
			want: map[string]map[string]int64{
				"SPG-01": {"Deployment/qcbm/user-service replicas": 3, "StatefulSet/qcbm/store-db replicas": 2, "Deployment/qcbm/qcbm-front replicas": 1},
				"SPG-02": {"Deployment/qcbm/user-service replicas": 3, "StatefulSet/qcbm/store-db replicas": 1, "Deployment/qcbm/qcbm-front replicas": 0},
			},
		},
		{
			name: "Replication ignores the weights",
			mutate: func(files map[string]string) {
				files["subscription.yaml"] = strings.Replace(files["subscription.yaml"], "schedulingStrategy: Dividing", "schedulingStrategy: Replication", 1)
			},
			want: map[string]map[string]int64{
				"SPG-01": {"Deployment/qcbm/user-service replicas": 6, "Deployment/qcbm/qcbm-front replicas": -1, "Job/qcbm/import-books parallelism": 9},
				"SPG-02": {"Deployment/qcbm/user-service replicas": 6, "Deployment/qcbm/qcbm-front replicas": -1, "Job/qcbm/import-books parallelism": 9},
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := dividingFiles()
			if tc.mutate != nil {
				tc.mutate(files)
			}
			res := renderFiles(t, files)
			noProblems(t, res)
			if len(res.Sets) != len(tc.want) {
				t.Errorf("%d sets, want %d", len(res.Sets), len(tc.want))
			}
			for cluster, want := range tc.want {
				s := set(t, res, cluster, sub)
				got := map[string]int64{}
				for k := range want {
					subject, field, _ := strings.Cut(k, " ")
					got[k] = count(t, s, subject, field)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("%s (-want +got):\n%s", cluster, diff)
				}
			}
		})
	}
}

// TestRenderDividingKeepsOtherObjects: objects without replicas are
// replicated unchanged, and a cluster with a share of 0 still gets them.
func TestRenderDividingKeepsOtherObjects(t *testing.T) {
	files := dividingFiles()
	replicated := renderFiles(t, map[string]string{
		"clusters.yaml":     spgClustersYAML,
		"subscription.yaml": strings.Replace(dividingSubscription, "schedulingStrategy: Dividing", "schedulingStrategy: Replication", 1),
		"app/qcbm.yaml":     qcbmWorkloads,
	})
	noProblems(t, replicated)
	res := renderFiles(t, files)
	noProblems(t, res)
	for _, cluster := range []string{"SPG-01", "SPG-02"} {
		want, got := set(t, replicated, cluster, "qcbm-subscription"), set(t, res, cluster, "qcbm-subscription")
		if len(got.Objects) != len(want.Objects) {
			t.Fatalf("%s: %d objects, want %d", cluster, len(got.Objects), len(want.Objects))
		}
		for i, o := range got.Objects {
			if _, workload := replicaFields[[2]string{o.Key.Group, o.Key.Kind}]; workload {
				continue
			}
			if o.Hash != want.Objects[i].Hash {
				t.Errorf("%s: %s changed by dividing:\n%s", cluster, o.Key, object(t, got, o.Key.String()))
			}
		}
	}
	if !strings.Contains(object(t, set(t, res, "SPG-02", "qcbm-subscription"), "Deployment/qcbm/qcbm-front"), "replicas: 0\n") {
		t.Error("SPG-02's share of qcbm-front is not an explicit 0")
	}
}

func TestRenderDividingErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		mutate  func(files map[string]string)
		policy  bool // the whole revision fails, not just the sets
		wantErr string
	}{
		{
			name: "Dynamic",
			mutate: func(files map[string]string) {
				files["subscription.yaml"] = strings.Replace(files["subscription.yaml"], "type: Static", "type: Dynamic", 1)
			},
			policy:  true,
			wantErr: "subscription.yaml:1: Subscription/default/qcbm-subscription: spec.dividingScheduling.type Dynamic is not supported yet",
		},
		{
			name: "unknown type",
			mutate: func(files map[string]string) {
				files["subscription.yaml"] = strings.Replace(files["subscription.yaml"], "type: Static", "type: Weighted", 1)
			},
			policy:  true,
			wantErr: `spec.dividingScheduling.type "Weighted" is not one of Static, Dynamic`,
		},
		{
			name: "replicas that are not a whole number",
			mutate: func(files map[string]string) {
				files["app/qcbm.yaml"] = strings.Replace(files["app/qcbm.yaml"], "replicas: 6", "replicas: six", 1)
			},
			wantErr: "app/qcbm.yaml:17: Deployment/qcbm/user-service: [cluster SPG-02, subscription qcbm-subscription] spec.replicas must be a whole number from 0 to 2147483647 to be divided between clusters, not six",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := dividingFiles()
			tc.mutate(files)
			res := renderFiles(t, files)
			if txt := problemText(res); !strings.Contains(txt, tc.wantErr) {
				t.Fatalf("problems:\n%s\nwant %q", txt, tc.wantErr)
			}
			if tc.policy != (res.Err != nil) {
				t.Errorf("Result.Err = %v, want a policy error: %v", res.Err, tc.policy)
			}
			for _, s := range res.Sets {
				if s.Err == nil {
					t.Errorf("%s/%s rendered despite the error", s.Cluster, s.Subscription)
				}
			}
		})
	}
	// Without dividingScheduling, Dividing is static.
	files := dividingFiles()
	files["subscription.yaml"] = strings.Replace(files["subscription.yaml"], "  dividingScheduling:\n    type: Static\n", "", 1)
	res := renderFiles(t, files)
	noProblems(t, res)
	if got := count(t, set(t, res, "SPG-01", "qcbm-subscription"), "Deployment/qcbm/user-service", "replicas"); got != 4 {
		t.Errorf("without dividingScheduling SPG-01 has %d replicas, want 4", got)
	}
}

// TestRenderDividingCache: the shares depend on every target cluster, so a
// new cluster that a subscriber selects re-renders every set, even though
// neither the subscription nor the existing clusters changed.
func TestRenderDividingCache(t *testing.T) {
	files := dividingFiles()
	files["subscription.yaml"] = `apiVersion: apps.clusternet.io/v1alpha1
kind: Subscription
metadata: {name: qcbm-subscription}
spec:
  schedulingStrategy: Dividing
  subscribers:
    - clusterAffinity: {matchLabels: {region: ap-singapore}}
      weight: 1
  source: {path: app}
`
	r := NewRenderer(Limits{})
	render := func() *Result {
		t.Helper()
		res := r.Render(context.Background(), gitsource.FromFiles("", files))
		noProblems(t, res)
		return res
	}
	replicas := func(res *Result, cluster string) int64 {
		t.Helper()
		return count(t, set(t, res, cluster, "qcbm-subscription"), "Deployment/qcbm/user-service", "replicas")
	}
	res := render()
	if a, b := replicas(res, "SPG-01"), replicas(res, "SPG-02"); a != 3 || b != 3 {
		t.Fatalf("two clusters: %d and %d, want 3 and 3", a, b)
	}
	render()
	if s := r.Stats(); s.Sets != 2 || s.SetHits != 2 {
		t.Errorf("an unchanged render recomputed sets: %+v", s)
	}
	files["clusters.yaml"] += spg03YAML
	res = render()
	for _, c := range []string{"SPG-01", "SPG-02", "SPG-03"} {
		if got := replicas(res, c); got != 2 {
			t.Errorf("three clusters: %s has %d, want 2", c, got)
		}
	}
	if s := r.Stats(); s.Sets != 5 {
		t.Errorf("a new target must recompute every set: %+v", s)
	}
}
