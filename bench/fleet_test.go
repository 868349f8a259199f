package bench

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"testing"
	"time"

	"github.com/manifold-gitops/manifold/e2e/gitserver"
	"github.com/manifold-gitops/manifold/e2e/harness"
	"github.com/manifold-gitops/manifold/render"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

var (
	fleetClusters = flag.Int("bench.clusters", 10, "BenchmarkFleet: light clusters")
	fleetObjects  = flag.Int("bench.objects", 1000, "BenchmarkFleet: ConfigMaps per cluster")
	fleetCycles   = flag.Int("bench.cycles", 50, "BenchmarkFleet: no-change cycles measured")
	steadyWindow  = flag.Duration("bench.steady", time.Minute, "BenchmarkFleet: steady-state window")
	heapProfile   = flag.String("bench.heapprofile", "", "BenchmarkFleet: write a heap profile here once every object is synced")
)

// writeHeapProfile writes the live heap to -bench.heapprofile, if set.
func writeHeapProfile(b *testing.B) {
	if *heapProfile == "" {
		return
	}
	f, err := os.Create(*heapProfile)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkFleet measures one in-process daemon managing ConfigMaps on
// light clusters (10 × 1,000 by default): cold convergence, memory, the
// no-change cycle and the steady state. It does a fixed amount of work
// whatever b.N is; run it with -benchtime=1x.
//
// Memory is measured in two steps, each after a full collection with the
// daemon's watches open: a first daemon syncs one ConfigMap per cluster
// (the per-cluster cost, over the baseline before any daemon), then it is
// stopped and a second one syncs every object (the per-object cost, over
// the first).
func BenchmarkFleet(b *testing.B) {
	clusters, objects := *fleetClusters, *fleetObjects
	b.ReportMetric(load1(), "load1")
	specs := make([]harness.ClusterSpec, clusters)
	for i := range specs {
		specs[i] = harness.ClusterSpec{Name: fmt.Sprintf("BENCH-%02d", i+1), Mode: harness.Light}
	}
	env := harness.ForTest(b, specs...)
	creds := b.TempDir()
	if err := env.WriteCredentials(creds); err != nil {
		b.Fatal(err)
	}
	declared, err := os.ReadFile(filepath.Join(creds, harness.ClustersFile))
	if err != nil {
		b.Fatal(err)
	}
	git := gitserver.Start(b)
	smallURL, smallWork := git.NewRepo(b, "small")
	gitserver.CommitAndPush(b, smallWork, "one ConfigMap per cluster", fleetFiles(string(declared), "bench-small", 1))
	fleetURL, fleetWork := git.NewRepo(b, "fleet")
	gitserver.CommitAndPush(b, fleetWork, "the fleet", fleetFiles(string(declared), "bench-fleet", objects))
	counter := newRequestCounter()

	baseline := measureMemory()
	small := startDaemon(b, smallURL, creds, counter)
	small.waitSynced(b, 2*time.Minute)
	perClusters := measureMemory()
	small.stop()
	small = nil

	// Cold convergence: a new daemon, nothing of its subscription on the
	// clusters yet.
	apiBefore, countsBefore := scrapeAll(b, env.Clusters()), counter.snapshot()
	selfBefore, harnessBefore := selfCPU(), harnessCPU(env)
	start := time.Now()
	fleet := startDaemon(b, fleetURL, creds, counter)
	fleet.waitSynced(b, 10*time.Minute)
	took := time.Since(start)
	selfAfter, harnessAfter := selfCPU(), harnessCPU(env)
	cold := tally(countsBefore, counter.snapshot())
	apiAfter := scrapeAll(b, env.Clusters())
	applied := clusters * (objects + 1) // the ConfigMaps and the namespace
	checkApplied(b, env, "bench-fleet", objects)
	b.Logf("cold convergence of %d objects in %s: %s", applied, took.Round(time.Millisecond), cold)
	b.ReportMetric(float64(applied)/took.Seconds(), "objects/s")
	b.ReportMetric(took.Seconds(), "converge-s")
	b.ReportMetric(selfAfter-selfBefore, "manifold-cpu-s")
	b.ReportMetric(harnessAfter["kube-apiserver"]-harnessBefore["kube-apiserver"], "apiserver-cpu-s")
	b.ReportMetric(harnessAfter["etcd"]-harnessBefore["etcd"], "etcd-cpu-s")
	b.ReportMetric(float64(cold.All)/float64(applied), "requests/object")
	b.ReportMetric(float64(cold.Writes)/float64(applied), "writes/object")
	b.ReportMetric(confirmed(apiBefore, apiAfter, cold.NonWatch)/float64(applied), "apiserver-requests/object")

	// Memory with every object synced and watched.
	full := measureMemory()
	writeHeapProfile(b)
	perCluster := func(heap bool) float64 {
		if heap {
			return (float64(perClusters.Heap) - float64(baseline.Heap)) / float64(clusters)
		}
		return (float64(perClusters.RSS) - float64(baseline.RSS)) / float64(clusters)
	}
	perObject := func(heap bool) float64 {
		n := float64(clusters * (objects - 1))
		if heap {
			return (float64(full.Heap) - float64(perClusters.Heap)) / n
		}
		return (float64(full.RSS) - float64(perClusters.RSS)) / n
	}
	b.ReportMetric(perObject(false), "rss-B/object")
	b.ReportMetric(perObject(true), "heap-B/object")
	b.ReportMetric(perCluster(false), "rss-B/cluster")
	b.ReportMetric(perCluster(true), "heap-B/cluster")
	b.ReportMetric(float64(full.RSS)-float64(baseline.RSS), "rss-B")

	// No-change cycles.
	n := *fleetCycles
	rendersBefore, notesBefore := fleet.renders(), fleet.source.Stats().NotePushes
	countsBefore = counter.snapshot()
	git.ResetCounters()
	fleet.cycles(b, n)
	idle := tally(countsBefore, counter.snapshot())
	b.Logf("%d no-change cycles: cluster requests: %s; Git requests: %v", n, idle, git.RequestsByPath())
	b.ReportMetric(float64(idle.Writes)/float64(n), "writes/cycle")
	b.ReportMetric(float64(idle.All)/float64(n), "cluster-requests/cycle")
	b.ReportMetric(float64(fleet.renders()-rendersBefore)/float64(n), "renders/cycle")
	b.ReportMetric(float64(fleet.source.Stats().NotePushes-notesBefore)/float64(n), "notepushes/cycle")
	b.ReportMetric(float64(git.Requests())/float64(n+1), "git-requests/cycle")

	// Steady state: nothing changes for the window.
	time.Sleep(2 * time.Second) // let the last cycle end
	apiBefore, countsBefore = scrapeAll(b, env.Clusters()), counter.snapshot()
	time.Sleep(*steadyWindow)
	steady := tally(countsBefore, counter.snapshot())
	apiAfter = scrapeAll(b, env.Clusters())
	b.Logf("steady state for %s: %s", *steadyWindow, steady)
	perMin := func(v float64) float64 { return v / float64(clusters) / steadyWindow.Minutes() }
	b.ReportMetric(perMin(float64(steady.All)), "requests/min/cluster")
	b.ReportMetric(perMin(float64(steady.Writes)), "writes/min/cluster")
	b.ReportMetric(perMin(float64(steady.Lists+steady.Gets+steady.Discovery)), "reads/min/cluster")
	b.ReportMetric(perMin(float64(steady.Watches)), "watches/min/cluster")
	// What the API servers counted on every resource manifold touched during
	// the sync, watches aside (they are counted when they end).
	b.ReportMetric(perMin(confirmed(apiBefore, apiAfter, cold.NonWatch)), "apiserver-requests/min/cluster")
	fleet.stop()
}

// fleetFiles is a config repository: the declared clusters and a
// subscription of every cluster to a namespace of n ConfigMaps, four keys
// each (about 400 bytes as stored).
func fleetFiles(clusters, name string, n int) map[string]string {
	files := map[string]string{
		"clusters.yaml": clusters,
		"subscription.yaml": fmt.Sprintf(`apiVersion: manifold.dev/v1alpha1
kind: Subscription
metadata: {name: %s}
spec:
  subscribers: [{clusterAffinity: {matchExpressions: [{key: manifold.dev/cluster, operator: Exists}]}}]
  source: {path: %s}
`, name, name),
		name + "/namespace.yaml": fmt.Sprintf("apiVersion: v1\nkind: Namespace\nmetadata: {name: %s}\n", name),
	}
	const perFile = 100
	for f := 0; f*perFile < n; f++ {
		var sb strings.Builder
		for i := f * perFile; i < min(n, (f+1)*perFile); i++ {
			fmt.Fprintf(&sb, `---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings-%04d, namespace: %s, labels: {app: fleet, shard: "%d"}}
data:
  LOG_LEVEL: info
  FEATURE_FLAGS: "search,checkout,recommendations"
  ENDPOINT: "https://api-%04d.internal.example:8443/v1"
  TIMEOUT_SECONDS: "30"
`, i, name, i%10, i)
		}
		files[fmt.Sprintf("%s/configmaps-%02d.yaml", name, f)] = sb.String()
	}
	return files
}

// checkApplied fails unless every cluster holds the n ConfigMaps.
func checkApplied(b *testing.B, env *harness.Env, namespace string, n int) {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, c := range env.Clusters() {
		list, err := c.Clientset().CoreV1().ConfigMaps(namespace).List(ctx, metav1.ListOptions{LabelSelector: render.LabelSubscription})
		if err != nil {
			b.Fatalf("%s: %v", c.Name(), err)
		}
		if len(list.Items) != n {
			b.Fatalf("%s: %d ConfigMaps in %s, want %d", c.Name(), len(list.Items), namespace, n)
		}
	}
}
