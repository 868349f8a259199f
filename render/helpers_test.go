package render

import (
	"context"
	"strings"
	"testing"

	"github.com/manifold-gitops/manifold/gitsource"
)

// clustersYAML declares clusters a, b and c with a tier label.
const clustersYAML = `apiVersion: manifold.dev/v1alpha1
kind: Cluster
metadata: {name: a, labels: {tier: prod}}
spec: {kubeconfig: {file: a.kubeconfig}}
---
apiVersion: manifold.dev/v1alpha1
kind: Cluster
metadata: {name: b, labels: {tier: prod}}
spec: {namespace: alias-b, kubeconfig: {file: b.kubeconfig}}
---
apiVersion: manifold.dev/v1alpha1
kind: Cluster
metadata: {name: c, labels: {tier: dev}}
spec: {kubeconfig: {file: c.kubeconfig}}
`

// subscriptionYAML delivers the folder app to every cluster matching tier.
func subscriptionYAML(name, source, tier string) string {
	return `apiVersion: manifold.dev/v1alpha1
kind: Subscription
metadata: {name: ` + name + `}
spec:
  subscribers: [{clusterAffinity: {matchLabels: {tier: ` + tier + `}}}]
  source: {path: ` + source + `}
`
}

const appYAML = `apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: web, labels: {app: web}}
data: {color: blue, size: small}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: web, labels: {app: web}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: "web:1"}]}
`

// renderFiles renders an in-memory repository.
func renderFiles(t *testing.T, files map[string]string) *Result {
	t.Helper()
	return NewRenderer(Limits{}).Render(context.Background(), gitsource.FromFiles("", files))
}

// set returns the desired set of (cluster, subscription), failing if absent.
func set(t *testing.T, res *Result, cluster, sub string) *DesiredSet {
	t.Helper()
	for _, s := range res.Sets {
		if s.Cluster == cluster && s.Subscription == sub {
			return s
		}
	}
	t.Fatalf("no desired set for cluster %s subscription %s; problems: %v", cluster, sub, res.Problems)
	return nil
}

// object returns an object of a set by its subject, as YAML.
func object(t *testing.T, s *DesiredSet, subject string) string {
	t.Helper()
	for _, o := range s.Objects {
		if o.Key.String() == subject {
			y, err := o.YAML()
			if err != nil {
				t.Fatal(err)
			}
			return string(y)
		}
	}
	t.Fatalf("%s/%s has no %s", s.Cluster, s.Subscription, subject)
	return ""
}

// problemText joins every problem of a result.
func problemText(res *Result) string {
	var msgs []string
	for _, p := range res.Problems {
		msgs = append(msgs, p.Error())
	}
	if res.Err != nil {
		msgs = append(msgs, res.Err.Error())
	}
	return strings.Join(msgs, "\n")
}

func noProblems(t *testing.T, res *Result) {
	t.Helper()
	if txt := problemText(res); txt != "" {
		t.Fatalf("unexpected problems:\n%s", txt)
	}
}
