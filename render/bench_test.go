package render

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/manifold-gitops/manifold/gitsource"
)

// BenchmarkRenderQCBM measures a cold render of the QCBM example (policy
// loading, one kustomize build, two clusters with overrides), per resource.
func BenchmarkRenderQCBM(b *testing.B) {
	snap, err := gitsource.ReadWorktree(filepath.Join("..", "examples", "qcbm"), gitsource.Limits{})
	if err != nil {
		b.Fatal(err)
	}
	resources := 0
	b.ResetTimer()
	for b.Loop() {
		res := NewRenderer(Limits{}).Render(context.Background(), snap)
		if res.Err != nil || len(res.Problems) > 0 {
			b.Fatal(res.Err, res.Problems)
		}
		resources = res.ObjectCount()
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/float64(resources)/1000, "ms/resource")
}

// BenchmarkOverrides1000Clusters measures re-rendering QCBM for 1,000
// clusters, each with its own Localization, after a Globalization change:
// the base build is cached, so the time is policy loading plus per-cluster
// overrides applied to copies.
func BenchmarkOverrides1000Clusters(b *testing.B) {
	const n = 1000
	files := qcbmFiles(b)
	var clusters, locs strings.Builder
	for i := range n {
		fmt.Fprintf(&clusters, "---\napiVersion: manifold.dev/v1alpha1\nkind: Cluster\nmetadata: {name: c%04d, labels: {fleet: all}}\nspec: {kubeconfig: {file: c%04d.kubeconfig}}\n", i, i)
		fmt.Fprintf(&locs, `---
apiVersion: apps.clusternet.io/v1alpha1
kind: Localization
metadata: {name: gw, namespace: c%04d}
spec:
  feed: {apiVersion: v1, kind: Service, name: api-gateway, namespace: qcbm}
  overrides:
    - name: subnet
      type: JSONPatch
      value: '[{"op":"replace","path":"/metadata/annotations/service.kubernetes.io~1qcloud-loadbalancer-internal-subnetid","value":"subnet-%04d"}]'
`, i, i)
	}
	files["clusters.yaml"] = clusters.String()
	files["localizations/spg-02-gateway.yaml"] = locs.String()
	files["subscription.yaml"] = strings.Replace(files["subscription.yaml"], "  subscribers:\n", "  subscribers:\n    - clusterAffinity: {matchLabels: {fleet: all}}\n", 1)
	glob := func(v int) string {
		return fmt.Sprintf(`apiVersion: apps.clusternet.io/v1alpha1
kind: Globalization
metadata: {name: team}
spec:
  feed: {apiVersion: v1, kind: ConfigMap, name: qcbm-env, namespace: qcbm}
  overrides: [{name: port, type: MergePatch, value: '{"data":{"MYSQL_PORT":"%d"}}'}]
`, v)
	}
	files["globalization.yaml"] = glob(0)
	r := NewRenderer(Limits{})
	if res := r.Render(context.Background(), gitsource.FromFiles("", files)); res.Err != nil || len(res.Problems) > 0 || len(res.Sets) != n {
		b.Fatalf("warm-up: %v %v, %d sets", res.Err, res.Problems, len(res.Sets))
	}
	snaps := make([]*gitsource.Snapshot, 2)
	for i := range snaps {
		files["globalization.yaml"] = glob(i + 1)
		snaps[i] = gitsource.FromFiles("", files)
	}
	b.ResetTimer()
	i := 0
	for b.Loop() {
		res := r.Render(context.Background(), snaps[i%2])
		if len(res.Sets) != n {
			b.Fatal("sets missing")
		}
		i++
	}
	b.StopTimer()
	if s := r.Stats(); s.Builds != 1 {
		b.Fatalf("the base was rebuilt: %+v", s)
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/n, "µs/cluster")
}

// qcbmFiles reads the QCBM example into a map.
func qcbmFiles(b *testing.B) map[string]string {
	snap, err := gitsource.ReadWorktree(filepath.Join("..", "examples", "qcbm"), gitsource.Limits{})
	if err != nil {
		b.Fatal(err)
	}
	files := map[string]string{}
	for _, p := range snap.Paths() {
		data, err := snap.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		files[p] = string(data)
	}
	return files
}
