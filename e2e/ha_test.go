package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/manifold-gitops/manifold/daemon"
	"github.com/manifold-gitops/manifold/e2e/gitserver"
	"github.com/manifold-gitops/manifold/e2e/harness"
	"github.com/manifold-gitops/manifold/status"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// Short lease timings for the replicas: a killed leader's Lease expires
// after 3s.
const haLease = 3 * time.Second

// haApp is a subscription "web" of every cluster: Namespace web and n
// ConfigMaps holding color.
func haApp(clusters string, n int, color string) map[string]string {
	files := webFiles(clusters, color)
	delete(files, "app/settings.yaml")
	var cms strings.Builder
	for i := range n {
		fmt.Fprintf(&cms, "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm-%03d, namespace: web}\ndata: {color: %s}\n", i, color)
	}
	files["app/configmaps.yaml"] = cms.String()
	return files
}

// haEnv starts the coordination cluster MGMT (with manifold-system, where
// the Leases go) and light target clusters, and returns the credentials
// directory and the Cluster objects of the targets only.
func haEnv(t *testing.T, targets ...string) (env *harness.Env, mgmt *harness.Cluster, creds, clusters string) {
	t.Helper()
	specs := []harness.ClusterSpec{{Name: "MGMT", Mode: harness.Light}}
	for _, name := range targets {
		specs = append(specs, harness.ClusterSpec{Name: name, Mode: harness.Light})
	}
	env = harness.ForTest(t, specs...)
	mgmt = env.Cluster("MGMT")
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "manifold-system"}}
	if _, err := mgmt.Clientset().CoreV1().Namespaces().Create(context.Background(), ns, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	creds = t.TempDir()
	if err := env.WriteCredentials(creds); err != nil {
		t.Fatal(err)
	}
	all, err := os.ReadFile(filepath.Join(creds, harness.ClustersFile))
	if err != nil {
		t.Fatal(err)
	}
	var docs []string
	for doc := range strings.SplitSeq(string(all), "---\n") {
		if !strings.Contains(doc, "name: MGMT\n") {
			docs = append(docs, doc)
		}
	}
	return env, mgmt, creds, strings.Join(docs, "---\n")
}

// replicaArgs are the flags of one `manifold serve --leader-elect` replica.
func replicaArgs(t *testing.T, url, creds string, mgmt *harness.Cluster, identity string, extra ...string) []string {
	return append([]string{
		"--repo", url, "--branch", "main", "--credentials", creds, "--state-dir", t.TempDir(), "--interval", "1s",
		"--leader-elect", "--leader-elect-kubeconfig", mgmt.KubeconfigPath(), "--leader-elect-identity", identity,
		"--leader-elect-lease-duration", haLease.String(), "--leader-elect-renew-deadline", "2s", "--leader-elect-retry-period", "500ms",
	}, extra...)
}

// haStatus is the part of /status these tests read.
type haStatus struct {
	Leader     bool              `json:"leader"`
	Leadership daemon.Leadership `json:"leadership"`
	Clusters   []string          `json:"clusters"`
	Sync       *status.Note      `json:"sync"`
}

// leaderStatus reads /status; the zero value when the replica does not
// answer (killed).
func (s *server) leaderStatus() haStatus {
	var out haStatus
	resp, err := http.Get("http://" + s.addr + "/status")
	if err != nil {
		return out
	}
	defer resp.Body.Close()
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return out
}

// kill sends SIGKILL: no cycle is finished, no Lease released.
func (s *server) kill() {
	_ = s.cmd.Process.Kill()
	<-s.done
}

// colorCount counts the ConfigMaps in web holding color.
func colorCount(c *harness.Cluster, color string) int {
	list, err := c.Clientset().CoreV1().ConfigMaps("web").List(context.Background(), metav1.ListOptions{})
	if err != nil {
		return 0
	}
	n := 0
	for _, cm := range list.Items {
		if cm.Data["color"] == color {
			n++
		}
	}
	return n
}

// haColorEverywhere waits until every ConfigMap of the app on every target
// cluster holds color.
func haColorEverywhere(t *testing.T, targets []*harness.Cluster, n int, color string, within time.Duration) {
	t.Helper()
	eventually(t, within, fmt.Sprintf("%d ConfigMaps %s on every cluster", n, color), func() bool {
		for _, c := range targets {
			if colorCount(c, color) != n {
				return false
			}
		}
		return true
	})
}

// leaseHolder is the holder of a Lease in manifold-system of the
// coordination cluster.
func leaseHolder(t *testing.T, mgmt *harness.Cluster, name string) string {
	t.Helper()
	lease, err := mgmt.Clientset().CoordinationV1().Leases("manifold-system").Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		return ""
	}
	return ptr.Deref(lease.Spec.HolderIdentity, "")
}

// inventoryObjects returns the objects of subscription web's inventory on
// a cluster, as Kind/namespace/name.
func inventoryObjects(t *testing.T, c *harness.Cluster) []string {
	t.Helper()
	list, err := c.Clientset().CoreV1().ConfigMaps("manifold-system").List(context.Background(), metav1.ListOptions{LabelSelector: "manifold.dev/inventory=true"})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, cm := range list.Items {
		var inv struct {
			Subscription string `json:"subscription"`
			Objects      []struct {
				Kind, Namespace, Name string
			} `json:"objects"`
		}
		if err := json.Unmarshal([]byte(cm.Data["inventory.json"]), &inv); err != nil {
			t.Fatal(err)
		}
		if inv.Subscription != "web" {
			continue
		}
		for _, o := range inv.Objects {
			out = append(out, o.Kind+"/"+o.Namespace+"/"+o.Name)
		}
	}
	slices.Sort(out)
	return out
}

// failedOrPruned lists the failed and pruned entries of a note.
func failedOrPruned(n *status.Note) []string {
	var out []string
	for _, c := range n.Clusters {
		if c.Error != "" {
			out = append(out, c.Name+": "+c.Error)
		}
		for _, s := range c.Subscriptions {
			for _, f := range s.Failed {
				out = append(out, c.Name+" failed: "+f)
			}
			for _, p := range s.Pruned {
				out = append(out, c.Name+" pruned: "+p)
			}
			if s.Error != "" {
				out = append(out, c.Name+" error: "+s.Error)
			}
		}
	}
	return out
}

// TestLeaderElection runs two `manifold serve --leader-elect` replicas:
// one leads, the other follows (ready, leader: false). The leader is
// SIGKILLed in the middle of syncing a commit; the follower takes the
// Lease within its duration and finishes the job: the commit reaches both
// clusters, nothing failed, nothing was pruned, the inventories list every
// object of the app.
func TestLeaderElection(t *testing.T) {
	const objects = 150
	env, mgmt, creds, clusters := haEnv(t, "SPG-01", "SPG-02")
	targets := []*harness.Cluster{env.Cluster("SPG-01"), env.Cluster("SPG-02")}
	git := gitserver.Start(t)
	url, work := git.NewRepo(t, "config")
	gitserver.CommitAndPush(t, work, "web app", haApp(clusters, objects, "blue"))

	replicas := map[string]*server{
		"replica-a": startServe(t, nil, replicaArgs(t, url, creds, mgmt, "replica-a")...),
		"replica-b": startServe(t, nil, replicaArgs(t, url, creds, mgmt, "replica-b")...),
	}
	var leader, follower string
	eventually(t, time.Minute, "one replica leads", func() bool {
		a, b := replicas["replica-a"].leaderStatus(), replicas["replica-b"].leaderStatus()
		switch {
		case a.Leader && !b.Leader:
			leader, follower = "replica-a", "replica-b"
		case b.Leader && !a.Leader:
			leader, follower = "replica-b", "replica-a"
		default:
			return false
		}
		return true
	})
	haColorEverywhere(t, targets, objects, "blue", time.Minute)
	if got := leaseHolder(t, mgmt, "manifold"); got != leader {
		t.Errorf("Lease manifold held by %q, /status says %s leads", got, leader)
	}

	t.Run("the follower is ready, reports leader: false and syncs nothing", func(t *testing.T) {
		replicas[follower].waitReady()
		st := replicas[follower].leaderStatus()
		if st.Leader || len(st.Leadership.Held) > 0 || len(st.Clusters) > 0 || st.Sync != nil {
			t.Errorf("follower status: leader %v, held %v, clusters %v, note %v", st.Leader, st.Leadership.Held, st.Clusters, st.Sync)
		}
		if got := st.Leadership.Holders["manifold"]; got != leader {
			t.Errorf("follower sees %q holding the Lease, want %s", got, leader)
		}
	})

	var green string
	t.Run("the leader is killed during a sync; the follower takes over and completes it", func(t *testing.T) {
		green = gitserver.CommitAndPush(t, work, "green", haApp(clusters, objects, "green"))
		// Watch closely, so the kill lands while the leader applies.
		deadline := time.Now().Add(time.Minute)
		for colorCount(targets[0], "green")+colorCount(targets[1], "green") == 0 {
			if time.Now().After(deadline) {
				t.Fatal("the leader did not start applying green within a minute")
			}
			time.Sleep(5 * time.Millisecond)
		}
		replicas[leader].kill()
		killed := time.Now()
		t.Logf("leader %s killed with %d of %d ConfigMaps green", leader, colorCount(targets[0], "green")+colorCount(targets[1], "green"), 2*objects)

		next := replicas[follower]
		eventually(t, haLease+20*time.Second, follower+" leading", func() bool { return next.leaderStatus().Leader })
		t.Logf("%s took over %s after the kill (lease %s)", follower, time.Since(killed).Round(100*time.Millisecond), haLease)
		if got := leaseHolder(t, mgmt, "manifold"); got != follower {
			t.Errorf("Lease manifold held by %q, want %s", got, follower)
		}
		haColorEverywhere(t, targets, objects, "green", time.Minute)

		var note *status.Note
		eventually(t, time.Minute, "the new leader's note on green", func() bool {
			note = next.leaderStatus().Sync
			return note != nil && note.Revision == green
		})
		if note.Outcome != status.OutcomeSynced {
			t.Errorf("new leader's note: outcome %s", note.Outcome)
		}
		if bad := failedOrPruned(note); len(bad) > 0 {
			t.Errorf("the new leader failed or pruned:\n%s", strings.Join(bad, "\n"))
		}
		eventually(t, 30*time.Second, "the new leader's note on the remote", func() bool {
			return strings.Contains(remoteNote(t, url, green), "outcome: Synced")
		})
	})

	t.Run("nothing was pruned: every object exists and the inventories list them all", func(t *testing.T) {
		want := []string{"Namespace//web"}
		for i := range objects {
			want = append(want, fmt.Sprintf("ConfigMap/web/cm-%03d", i))
		}
		slices.Sort(want)
		for _, c := range targets {
			if n := colorCount(c, "green"); n != objects {
				t.Errorf("%s: %d ConfigMaps green, want %d", c.Name(), n, objects)
			}
			if got := inventoryObjects(t, c); !slices.Equal(got, want) {
				t.Errorf("%s: inventory lists %d objects, want %d:\n%v", c.Name(), len(got), len(want), got)
			}
		}
	})
}

// TestSharding runs three replicas with --shards 3 over six clusters: the
// shards spread one per replica, every cluster is synced by exactly one
// replica, the owner of its shard (FNV-1a of the name mod 3), and each
// owner notes its clusters under refs/notes/manifold-shard-<i>. A replica
// is SIGKILLed: only its shard moves, and the next commit reaches all six
// clusters.
func TestSharding(t *testing.T) {
	names := []string{"SPG-01", "SPG-02", "SPG-03", "SPG-04", "SPG-05", "SPG-06"}
	env, mgmt, creds, clusters := haEnv(t, names...)
	var targets []*harness.Cluster
	for _, n := range names {
		targets = append(targets, env.Cluster(n))
	}
	git := gitserver.Start(t)
	url, work := git.NewRepo(t, "config")
	gitserver.CommitAndPush(t, work, "web app", haApp(clusters, 3, "blue"))

	ids := []string{"replica-a", "replica-b", "replica-c"}
	replicas := map[string]*server{}
	for _, id := range ids {
		replicas[id] = startServe(t, nil, replicaArgs(t, url, creds, mgmt, id, "--shards", "3")...)
	}

	// owners checks that the live replicas hold every shard once and
	// synced exactly the clusters of their shards; it returns the shards
	// each holds.
	owners := func(live []string) (map[string][]int, error) {
		held := map[string][]int{}
		synced := map[string]string{}
		var all []int
		for _, id := range live {
			st := replicas[id].leaderStatus()
			held[id] = st.Leadership.Held
			all = append(all, st.Leadership.Held...)
			for _, c := range st.Clusters {
				if other, dup := synced[c]; dup {
					return nil, fmt.Errorf("%s synced by %s and %s", c, other, id)
				}
				synced[c] = id
				if !slices.Contains(st.Leadership.Held, daemon.ShardOf(c, 3)) {
					return nil, fmt.Errorf("%s synced %s of shard %d, holding %v", id, c, daemon.ShardOf(c, 3), st.Leadership.Held)
				}
			}
		}
		slices.Sort(all)
		if !slices.Equal(all, []int{0, 1, 2}) {
			return nil, fmt.Errorf("shards held: %v", all)
		}
		if len(synced) != len(names) {
			return nil, fmt.Errorf("clusters synced: %v", synced)
		}
		return held, nil
	}
	waitOwners := func(live []string) map[string][]int {
		t.Helper()
		var held map[string][]int
		var last error
		eventually(t, time.Minute, "every shard held and every cluster synced once", func() bool {
			held, last = owners(live)
			return last == nil
		})
		if last != nil {
			t.Fatal(last)
		}
		return held
	}

	haColorEverywhere(t, targets, 3, "blue", time.Minute)
	green := gitserver.CommitAndPush(t, work, "green", haApp(clusters, 3, "green"))
	haColorEverywhere(t, targets, 3, "green", time.Minute)
	eventually(t, time.Minute, "the shards spread, one per replica", func() bool {
		for _, id := range ids {
			if len(replicas[id].leaderStatus().Leadership.Held) != 1 {
				return false
			}
		}
		return true
	})
	held := waitOwners(ids)
	t.Logf("shards held: %v", held)
	for shard := range 3 {
		holder := leaseHolder(t, mgmt, fmt.Sprintf("manifold-shard-%d", shard))
		if !slices.Contains(held[holder], shard) {
			t.Errorf("Lease manifold-shard-%d held by %q, /status says %v", shard, holder, held)
		}
	}

	t.Run("each shard owner notes its clusters under its own notes ref", func(t *testing.T) {
		for shard := range 3 {
			var note string
			eventually(t, 30*time.Second, fmt.Sprintf("the note of shard %d on green", shard), func() bool {
				note = remoteShardNote(t, url, shard, green)
				return strings.Contains(note, "outcome: Synced")
			})
			n, err := status.Parse([]byte(note))
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range n.Clusters {
				if daemon.ShardOf(c.Name, 3) != shard {
					t.Errorf("note of shard %d holds %s of shard %d", shard, c.Name, daemon.ShardOf(c.Name, 3))
				}
			}
			if len(n.Clusters) != 2 {
				t.Errorf("note of shard %d holds %d clusters, want 2", shard, len(n.Clusters))
			}
		}
	})

	t.Run("a killed replica's shards move to the others; the next commit reaches all six clusters", func(t *testing.T) {
		// Kill the replica of a shard other than the primary's.
		victim := ""
		for _, id := range ids {
			if !slices.Contains(held[id], 0) {
				victim = id
			}
		}
		replicas[victim].kill()
		t.Logf("killed %s holding shards %v", victim, held[victim])
		live := slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return id == victim })
		yellow := gitserver.CommitAndPush(t, work, "yellow", haApp(clusters, 3, "yellow"))
		haColorEverywhere(t, targets, 3, "yellow", haLease+time.Minute)
		after := waitOwners(live)
		t.Logf("shards held after the kill: %v", after)
		for _, id := range live {
			for _, shard := range held[id] {
				if !slices.Contains(after[id], shard) {
					t.Errorf("%s lost shard %d when %s was killed", id, shard, victim)
				}
			}
		}
		for _, id := range live {
			eventually(t, 30*time.Second, id+"'s note on yellow", func() bool {
				st := replicas[id].leaderStatus()
				return len(st.Leadership.Held) == 0 || (st.Sync != nil && st.Sync.Revision == yellow)
			})
			if st := replicas[id].leaderStatus(); st.Sync != nil {
				if bad := failedOrPruned(st.Sync); len(bad) > 0 {
					t.Errorf("%s failed or pruned:\n%s", id, strings.Join(bad, "\n"))
				}
			}
		}
	})
}

// remoteShardNote returns the note of a shard on commit from the remote.
func remoteShardNote(t *testing.T, repoURL string, shard int, commit string) string {
	t.Helper()
	ref := fmt.Sprintf("refs/notes/manifold-shard-%d", shard)
	dir := t.TempDir()
	gitserver.Git(t, dir, "init", "-q")
	if _, err := gitserver.RunGit(dir, "fetch", "-q", repoURL, ref+":"+ref, "+refs/heads/main:refs/remotes/origin/main"); err != nil {
		return ""
	}
	out, err := gitserver.RunGit(dir, "notes", "--ref="+strings.TrimPrefix(ref, "refs/notes/"), "show", commit)
	if err != nil {
		return ""
	}
	return out
}
