package api

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const tutorialLocalization = `apiVersion: apps.clusternet.io/v1alpha1
kind: Localization
metadata:
  name: qcbm-svc-gateway-override
  namespace: SPG-02
spec:
  priority: 300
  feed:
    apiVersion: v1
    kind: Service
    name: api-gateway
    namespace: qcbm
  overrides:
    - name: svc-override
      type: JSONPatch
      value: |-
        [
            {
                "op": "replace",
                "path": "/metadata/annotations/service.kubernetes.io~1qcloud-loadbalancer-internal-subnetid",
                "value": "subnet-spg02"
            }
        ]
`

func TestDecodeFileClusternetObjects(t *testing.T) {
	data := tutorialLocalization + `---
apiVersion: apps.clusternet.io/v1alpha1
kind: Subscription
metadata:
  name: qcbm-subscription
  namespace: default
spec:
  subscribers:
    - clusterAffinity:
        matchLabels:
          clusters.clusternet.io/cluster-name: SPG-01
  feeds:
    - apiVersion: v1
      kind: Namespace
      name: qcbm
---
apiVersion: v1
kind: ConfigMap
metadata: {name: plain, namespace: qcbm}
`
	set, plain, err := DecodeFile("policy/qcbm.yaml", []byte(data))
	if err != nil {
		t.Fatalf("DecodeFile: %v", err)
	}
	if err := set.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if len(set.Localizations) != 1 || len(set.Subscriptions) != 1 || len(plain) != 1 {
		t.Fatalf("got %d localizations, %d subscriptions, %d plain documents", len(set.Localizations), len(set.Subscriptions), len(plain))
	}
	l := set.Localizations[0]
	if got, want := l.Origin.String(), "policy/qcbm.yaml:1"; got != want {
		t.Errorf("origin = %s, want %s", got, want)
	}
	if got := l.Spec.EffectivePriority(); got != 300 {
		t.Errorf("priority = %d, want 300", got)
	}
	if !strings.Contains(string(l.Spec.Overrides[0].Value), `"op": "replace"`) {
		t.Errorf("override value not kept as written: %q", l.Spec.Overrides[0].Value)
	}
	if got, want := set.Subscriptions[0].Origin.Line, 25; got != want {
		t.Errorf("subscription line = %d, want %d", got, want)
	}
	if got, want := plain[0].Subject(), "ConfigMap/qcbm/plain"; got != want {
		t.Errorf("plain subject = %s, want %s", got, want)
	}
}

func TestPatchValueInlineStructure(t *testing.T) {
	data := `apiVersion: manifold.dev/v1alpha1
kind: Globalization
metadata: {name: g}
spec:
  feed: {apiVersion: v1, kind: Service, name: s, namespace: n}
  overrides:
    - name: inline
      type: MergePatch
      value:
        metadata:
          labels: {tier: web}
`
	set, _, err := DecodeFile("g.yaml", []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(set.Globalizations[0].Spec.Overrides[0].Value), `{"metadata":{"labels":{"tier":"web"}}}`; got != want {
		t.Errorf("value = %s, want %s", got, want)
	}
}

func TestDecodeFileErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		data string
		want []string // each must appear in the error text
	}{
		{
			name: "unknown field in a Subscription",
			data: "apiVersion: apps.clusternet.io/v1alpha1\nkind: Subscription\nmetadata: {name: s}\nspec:\n  subscribers: []\n  feedz: []\n",
			want: []string{"f.yaml:6: Subscription/s: field feedz not found"},
		},
		{
			name: "wrong type",
			data: "apiVersion: manifold.dev/v1alpha1\nkind: Localization\nmetadata: {name: l, namespace: c}\nspec:\n  priority: high\n",
			want: []string{"f.yaml:5: Localization/c/l: cannot unmarshal !!str `high` into int32"},
		},
		{
			name: "duplicate key",
			data: "apiVersion: manifold.dev/v1alpha1\nkind: Cluster\nmetadata: {name: a}\nspec:\n  namespace: x\n  namespace: y\n",
			want: []string{"f.yaml:6: Cluster/a: mapping key \"namespace\" already defined at line 5"},
		},
		{
			name: "invalid YAML",
			data: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [unclosed\n",
			want: []string{"f.yaml:"},
		},
		{
			name: "unsupported Clusternet kind",
			data: "apiVersion: apps.clusternet.io/v1alpha1\nkind: HelmChart\nmetadata: {name: mysql}\n",
			want: []string{"f.yaml:1: HelmChart/mysql: Clusternet kind \"HelmChart\" is not supported"},
		},
		{
			name: "unknown manifold version",
			data: "apiVersion: manifold.dev/v2\nkind: Cluster\nmetadata: {name: a}\n",
			want: []string{`apiVersion "manifold.dev/v2" is not supported`},
		},
		{
			name: "second document still decoded after the first fails",
			data: "apiVersion: manifold.dev/v1alpha1\nkind: Cluster\nmetadata: {name: a}\nspec: {bogus: 1}\n---\napiVersion: manifold.dev/v1alpha1\nkind: Cluster\nmetadata: {name: b}\nspec: {bogus: 2}\n",
			want: []string{"f.yaml:4: Cluster/a: field bogus", "f.yaml:9: Cluster/b: field bogus"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := DecodeFile("f.yaml", []byte(tc.data))
			if err == nil {
				t.Fatal("DecodeFile succeeded, want an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestValidate(t *testing.T) {
	base := func() Set {
		set, _, err := DecodeFile("p.yaml", []byte(`apiVersion: manifold.dev/v1alpha1
kind: Cluster
metadata: {name: SPG-01}
spec: {kubeconfig: {file: spg-01.kubeconfig}}
---
apiVersion: manifold.dev/v1alpha1
kind: Subscription
metadata: {name: app}
spec:
  subscribers: [{clusterAffinity: {matchLabels: {manifold.dev/cluster: SPG-01}}}]
`+"---\n"+tutorialLocalization))
		if err != nil {
			t.Fatal(err)
		}
		return set
	}
	for _, tc := range []struct {
		name   string
		mutate func(*Set)
		want   []string
	}{
		{name: "valid", mutate: func(*Set) {}},
		{
			name:   "duplicate object",
			mutate: func(s *Set) { c := *s.Clusters[0]; c.Origin.Line = 40; s.Clusters = append(s.Clusters, &c) },
			want:   []string{"p.yaml:40: Cluster/SPG-01: duplicate object, first declared at p.yaml:1"},
		},
		{
			name:   "kubeconfig leaves the credentials directory",
			mutate: func(s *Set) { s.Clusters[0].Spec.Kubeconfig.File = "../../etc/kubeconfig" },
			want:   []string{"p.yaml:1: Cluster/SPG-01: spec.kubeconfig.file: \"../../etc/kubeconfig\" leaves the repository"},
		},
		{
			name:   "priority out of range",
			mutate: func(s *Set) { p := int32(2000); s.Localizations[0].Spec.Priority = &p },
			want:   []string{"spec.priority 2000 is outside 0..1000"},
		},
		{
			name:   "no subscribers",
			mutate: func(s *Set) { s.Subscriptions[0].Spec.Subscribers = nil },
			want:   []string{"Subscription/app: spec.subscribers is required"},
		},
		{
			name: "bad selector operator",
			mutate: func(s *Set) {
				s.Subscriptions[0].Spec.Subscribers[0].ClusterAffinity.MatchExpressions = []LabelSelectorRequirement{{Key: "a", Operator: "Near"}}
			},
			want: []string{"spec.subscribers[0].clusterAffinity:", "Near"},
		},
		{
			name: "feed with name and selector",
			mutate: func(s *Set) {
				s.Subscriptions[0].Spec.Feeds = []Feed{{APIVersion: "v1", Kind: "Service", Name: "x", FeedSelector: &LabelSelector{}}}
			},
			want: []string{"spec.feeds[0]: name and feedSelector are exclusive"},
		},
		{
			name:   "localization without namespace",
			mutate: func(s *Set) { s.Localizations[0].Metadata.Namespace = "" },
			want:   []string{"metadata.namespace is required: it names the target cluster"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			set := base()
			tc.mutate(&set)
			err := set.Validate()
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Validate succeeded, want an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestClusterLabelsAreImplicit(t *testing.T) {
	c := &Cluster{Metadata: ObjectMeta{Name: "SPG-02", Labels: map[string]string{"role": "standby"}}}
	want := map[string]string{"role": "standby", LabelCluster: "SPG-02", LabelClusternetClusterName: "SPG-02"}
	if diff := cmp.Diff(want, c.Labels()); diff != "" {
		t.Errorf("Labels() (-want +got):\n%s", diff)
	}
}

func FuzzDecodeFile(f *testing.F) {
	f.Add([]byte(tutorialLocalization))
	f.Add([]byte("apiVersion: manifold.dev/v1alpha1\nkind: Cluster\nmetadata: {name: a}\nspec: {kubeconfig: {file: a}}\n---\n---\napiVersion: v1\nkind: ConfigMap\n"))
	f.Add([]byte("apiVersion: apps.clusternet.io/v1alpha1\nkind: Subscription\nspec: {subscribers: [{clusterAffinity: {}}], feeds: [{kind: x}]}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		set, _, err := DecodeFile("fuzz.yaml", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.yaml") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		_ = set.Validate()
	})
}

func TestDeliveryNamesDeclaredClusters(t *testing.T) {
	set, _, err := DecodeFile("d.yaml", []byte(`apiVersion: manifold.dev/v1alpha1
kind: Cluster
metadata: {name: SPG-01}
spec: {kubeconfig: {file: a}}
---
apiVersion: manifold.dev/v1alpha1
kind: Subscription
metadata: {name: app}
spec:
  subscribers: [{clusterAffinity: {}}]
  rollout:
    waves: [{name: canary, clusters: [SPG-02], soak: 2m}, {name: rest}]
    progressDeadline: 10m
  traffic: {hosts: [tke-demo.cn], dnsEndpoint: {cluster: SPG-MGMT, namespace: manifold-system, name: qcbm}}
`))
	if err != nil {
		t.Fatal(err)
	}
	if got := set.Subscriptions[0].Spec.Rollout.Waves[0].Soak.Duration; got.Minutes() != 2 {
		t.Errorf("soak = %s, want 2m", got)
	}
	err = set.Validate()
	for _, want := range []string{"spec.rollout.waves[0] (canary) names cluster SPG-02, which is not declared", "spec.traffic.dnsEndpoint.cluster SPG-MGMT is not declared"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate error lacks %q: %v", want, err)
		}
	}
}
