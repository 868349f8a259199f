package diff

import (
	"bytes"
	"context"
	"encoding/base64"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/manifold-gitops/manifold/gitsource"
	"github.com/manifold-gitops/manifold/render"
)

var update = flag.Bool("update", false, "rewrite golden files")

const qcbm = "../examples/qcbm"

// spg02Subscriber is the SPG-02 entry of the QCBM subscription.
const spg02Subscriber = `    - clusterAffinity:
        matchLabels:
          clusters.clusternet.io/cluster-name: SPG-02
`

// spg01Subscriber is the SPG-01 entry of the QCBM subscription.
const spg01Subscriber = `    - clusterAffinity:
        matchLabels:
          clusters.clusternet.io/cluster-name: SPG-01
`

// qcbmRepo is a Git repository holding the QCBM example: a base commit
// after edit(base), then a head commit after edit(head) with message.
type qcbmRepo struct {
	t   *testing.T
	dir string
}

func newQCBMRepo(t *testing.T, base func(r *qcbmRepo)) *qcbmRepo {
	t.Helper()
	r := &qcbmRepo{t: t, dir: t.TempDir()}
	copyDir(t, qcbm, r.dir)
	r.git("init", "-q", "-b", "main")
	if base != nil {
		base(r)
	}
	r.git("add", "-A")
	r.git("commit", "-qm", "base")
	return r
}

// commit applies edit and commits it with message.
func (r *qcbmRepo) commit(message string, edit func(r *qcbmRepo)) {
	if edit != nil {
		edit(r)
	}
	r.git("add", "-A")
	r.git("commit", "-q", "--allow-empty", "-m", message)
}

// replace replaces old, which must occur, in a file of the repository.
func (r *qcbmRepo) replace(file, old, new string) {
	r.t.Helper()
	p := filepath.Join(r.dir, file)
	data, err := os.ReadFile(p)
	if err != nil {
		r.t.Fatal(err)
	}
	if !bytes.Contains(data, []byte(old)) {
		r.t.Fatalf("%s does not contain %q", file, old)
	}
	if err := os.WriteFile(p, bytes.Replace(data, []byte(old), []byte(new), 1), 0o644); err != nil {
		r.t.Fatal(err)
	}
}

func (r *qcbmRepo) remove(path string) {
	if err := os.RemoveAll(filepath.Join(r.dir, path)); err != nil {
		r.t.Fatal(err)
	}
}

func (r *qcbmRepo) git(args ...string) string {
	r.t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = r.dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_GLOBAL=/dev/null")
	out, err := cmd.CombinedOutput()
	if err != nil {
		r.t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// diff previews HEAD~1 → HEAD, with fixed revision names for golden files.
func (r *qcbmRepo) diff() *Report {
	r.t.Helper()
	ctx := context.Background()
	base, err := gitsource.ReadRevision(ctx, r.dir, "HEAD~1", gitsource.Limits{})
	if err != nil {
		r.t.Fatal(err)
	}
	head, err := gitsource.ReadRevision(ctx, r.dir, "HEAD", gitsource.Limits{})
	if err != nil {
		r.t.Fatal(err)
	}
	renderer := render.NewRenderer(render.Limits{})
	rep := Compute(Input{
		Base: renderer.Render(ctx, base), Head: renderer.Render(ctx, head), HeadMessage: head.Message,
		Explain: func(s *render.DesiredSet) (map[render.ObjectKey]*render.Trace, error) {
			return renderer.Explain(ctx, head, s)
		},
	})
	rep.Base.Revision, rep.Head.Revision = "base", "head"
	return rep
}

func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if info.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// render writes the report in every format.
func renderAll(t *testing.T, rep *Report, opts WriteOptions) map[Format]string {
	t.Helper()
	out := map[Format]string{}
	for _, f := range []Format{Text, Markdown, JSON} {
		var b bytes.Buffer
		if err := rep.Write(&b, f, opts); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[f] = b.String()
	}
	return out
}

var extensions = map[Format]string{Text: ".txt", Markdown: ".md", JSON: ".json"}

// golden compares every format with testdata/NAME.{txt,md,json}
// (go test ./diff -update rewrites them).
func golden(t *testing.T, name string, rep *Report) map[Format]string {
	t.Helper()
	out := renderAll(t, rep, WriteOptions{})
	for f, got := range out {
		path := filepath.Join("testdata", name+extensions[f])
		if *update {
			if err := os.MkdirAll("testdata", 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(string(want), got); d != "" {
			t.Errorf("%s differs from %s (-want +got):\n%s", f, path, d)
		}
	}
	return out
}

// subscription returns the preview of (cluster, subscription).
func subscription(t *testing.T, rep *Report, cluster, sub string) *Subscription {
	t.Helper()
	for _, c := range rep.Clusters {
		for _, s := range c.Subscriptions {
			if c.Name == cluster && s.Name == sub {
				return s
			}
		}
	}
	t.Fatalf("no preview for %s %s", cluster, sub)
	return nil
}

func clusterChanged(t *testing.T, rep *Report, name string) bool {
	t.Helper()
	for _, c := range rep.Clusters {
		if c.Name == name {
			return c.Changed
		}
	}
	t.Fatalf("no cluster %s", name)
	return false
}

// TestAddSPG02: the tutorial's step 2: the whole app appears on SPG-02 only.
func TestAddSPG02(t *testing.T) {
	r := newQCBMRepo(t, func(r *qcbmRepo) {
		r.replace("subscription.yaml", spg02Subscriber, "")
		r.remove("localizations")
	})
	r.commit("QCBM on SPG-02 too", func(r *qcbmRepo) {
		r.replace("subscription.yaml", spg01Subscriber, spg01Subscriber+spg02Subscriber)
	})
	rep := r.diff()
	out := golden(t, "add-spg02", rep)
	if s := subscription(t, rep, "SPG-02", "qcbm-subscription"); s.Counts != (Counts{Created: 12}) {
		t.Errorf("SPG-02 counts = %+v, want 12 created", s.Counts)
	}
	if clusterChanged(t, rep, "SPG-01") {
		t.Error("SPG-01 changes")
	}
	if !strings.Contains(out[Text], "SPG-01: no change\n") {
		t.Errorf("text lacks the one-line summary of SPG-01:\n%s", out[Text])
	}
}

// TestChangeImage: one field changes on each cluster, from the base file.
func TestChangeImage(t *testing.T) {
	r := newQCBMRepo(t, nil)
	r.commit("user-service v2", func(r *qcbmRepo) {
		r.replace("app/deployments.yaml", "user-service:fdd3edd", "user-service:v2")
	})
	rep := r.diff()
	golden(t, "image", rep)
	for _, cluster := range []string{"SPG-01", "SPG-02"} {
		s := subscription(t, rep, cluster, "qcbm-subscription")
		if s.Counts != (Counts{Configured: 1, Unchanged: 11}) || len(s.Objects) != 1 {
			t.Fatalf("%s: counts %+v", cluster, s.Counts)
		}
		want := []Field{{Path: "spec.template.spec.containers[0].image", Change: "changed",
			Source: &Source{Kind: SourceFile, Origin: "app/deployments.yaml:3"}}}
		if d := cmp.Diff(want, s.Objects[0].Fields); d != "" {
			t.Errorf("%s fields (-want +got):\n%s", cluster, d)
		}
	}
}

// TestChangeLocalization: only SPG-02 changes, and the source is the
// Localization's override.
func TestChangeLocalization(t *testing.T) {
	r := newQCBMRepo(t, nil)
	r.commit("SPG-02: new subnet", func(r *qcbmRepo) {
		r.replace("localizations/spg-02-gateway.yaml", "subnet-spg02-7k2m9q", "subnet-spg02-n3w5ub")
	})
	rep := r.diff()
	golden(t, "localization", rep)
	if clusterChanged(t, rep, "SPG-01") {
		t.Error("SPG-01 changes")
	}
	s := subscription(t, rep, "SPG-02", "qcbm-subscription")
	want := []Field{{
		Path: `metadata.annotations["service.kubernetes.io/qcloud-loadbalancer-internal-subnetid"]`, Change: "changed",
		Source: &Source{Kind: SourceOverride, Origin: "localizations/spg-02-gateway.yaml:5",
			Policy: "Localization/SPG-02/qcbm-svc-gateway-override", Override: "svc-override"},
	}}
	if len(s.Objects) != 1 || s.Objects[0].Subject != "Service/qcbm/api-gateway" {
		t.Fatalf("objects = %+v", s.Objects)
	}
	if d := cmp.Diff(want, s.Objects[0].Fields); d != "" {
		t.Errorf("fields (-want +got):\n%s", d)
	}
}

// TestRemoveSPG01: the migration: SPG-01's whole inventory is held until
// the head commit carries the trailer; with it, it is pruned.
func TestRemoveSPG01(t *testing.T) {
	r := newQCBMRepo(t, nil)
	r.commit("Move QCBM off SPG-01", func(r *qcbmRepo) {
		r.replace("subscription.yaml", spg01Subscriber, "")
	})
	rep := r.diff()
	out := golden(t, "remove-spg01", rep)
	s := subscription(t, rep, "SPG-01", "qcbm-subscription")
	if s.Counts != (Counts{Held: 12}) {
		t.Errorf("counts = %+v, want 12 held", s.Counts)
	}
	const trailer = "Manifold-Allow-Prune: qcbm-subscription@SPG-01"
	for f, text := range out {
		if !strings.Contains(text, trailer) {
			t.Errorf("%s output does not name the trailer", f)
		}
	}
	if clusterChanged(t, rep, "SPG-02") {
		t.Error("SPG-02 changes")
	}

	approval := newQCBMRepo(t, nil)
	approval.commit("Move QCBM off SPG-01\n\n"+trailer, func(r *qcbmRepo) {
		r.replace("subscription.yaml", spg01Subscriber, "")
	})
	approved := approval.diff()
	s = subscription(t, approved, "SPG-01", "qcbm-subscription")
	if s.Counts != (Counts{Pruned: 12}) || s.HeldReason != "" {
		t.Errorf("approved: counts %+v, held %q", s.Counts, s.HeldReason)
	}
}

// TestSecretsNeverShow plants secret values at base and head, in a
// Secret's data and stringData and in a last-applied-configuration
// annotation, and checks that no format shows any of them, plain or
// base64, while still showing that they changed.
func TestSecretsNeverShow(t *testing.T) {
	planted := []string{"planted-base-s3cret", "planted-head-s3cret", "planted-head-token", "planted-annotation-base", "planted-annotation-head"}
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	lastApplied := func(value string) string {
		return "  annotations:\n    kubectl.kubernetes.io/last-applied-configuration: '{\"password\":\"" + value + "\"}'\n"
	}
	r := newQCBMRepo(t, func(r *qcbmRepo) {
		r.replace("app/secret.yaml", "MYSQL_PASSWORD: Y2hhbmdlLW1l", "MYSQL_PASSWORD: "+b64(planted[0]))
		r.replace("app/configmap.yaml", "  namespace: qcbm\n", "  namespace: qcbm\n"+lastApplied(planted[3]))
	})
	r.commit("rotate the MySQL password", func(r *qcbmRepo) {
		r.replace("app/secret.yaml", "MYSQL_PASSWORD: "+b64(planted[0]), "MYSQL_PASSWORD: "+b64(planted[1]))
		r.replace("app/secret.yaml", "type: Opaque\n", "type: Opaque\nstringData:\n  API_TOKEN: "+planted[2]+"\n")
		r.replace("app/configmap.yaml", planted[3], planted[4])
	})
	rep := r.diff()
	out := golden(t, "secret", rep)
	for f, text := range out {
		for _, p := range planted {
			if strings.Contains(text, p) || strings.Contains(text, b64(p)) {
				t.Errorf("%s output shows the planted value %q", f, p)
			}
		}
		if !strings.Contains(text, "data.MYSQL_PASSWORD") {
			t.Errorf("%s output does not say data.MYSQL_PASSWORD changed", f)
		}
		if !strings.Contains(text, Changed) {
			t.Errorf("%s output does not mark the changed value", f)
		}
	}
	s := subscription(t, rep, "SPG-01", "qcbm-subscription")
	if s.Counts.Configured != 2 {
		t.Errorf("counts = %+v, want the Secret and the ConfigMap configured", s.Counts)
	}
}

// TestNoChange: an empty commit changes nothing; every cluster takes one line.
func TestNoChange(t *testing.T) {
	r := newQCBMRepo(t, nil)
	r.commit("nothing", nil)
	rep := r.diff()
	if rep.Changed {
		t.Error("an empty commit changes something")
	}
	out := renderAll(t, rep, WriteOptions{})
	if want := "manifold diff: base base, head head\nSPG-01: no change\nSPG-02: no change\n"; out[Text] != want {
		t.Errorf("text = %q, want %q", out[Text], want)
	}
	if !strings.Contains(out[Markdown], "No cluster changes.") {
		t.Errorf("markdown:\n%s", out[Markdown])
	}
}

// TestMarkdownCap: over the cap, sections are left out with a note, and
// every <details> and code fence is closed.
func TestMarkdownCap(t *testing.T) {
	r := newQCBMRepo(t, nil)
	r.commit("user-service v2", func(r *qcbmRepo) {
		r.replace("app/deployments.yaml", "user-service:fdd3edd", "user-service:v2")
		r.replace("app/deployments.yaml", "store-service:fdd3edd", "store-service:v2")
	})
	rep := r.diff()
	full := renderAll(t, rep, WriteOptions{})[Markdown]
	for _, limit := range []int{900, 1500, 2500, len(full) - 1} {
		var b bytes.Buffer
		if err := rep.WriteMarkdown(&b, WriteOptions{MaxChars: limit}); err != nil {
			t.Fatal(err)
		}
		got := b.String()
		if len(got) > limit {
			t.Errorf("cap %d: %d characters", limit, len(got))
		}
		if !strings.Contains(got, "**Truncated** to stay under") {
			t.Errorf("cap %d: no truncation note:\n%s", limit, got)
		}
		if open, closed := strings.Count(got, "<details>"), strings.Count(got, "</details>"); open != closed {
			t.Errorf("cap %d: %d <details>, %d closed:\n%s", limit, open, closed, got)
		}
		if n := strings.Count(got, "```"); n%2 != 0 {
			t.Errorf("cap %d: unbalanced code fences:\n%s", limit, got)
		}
		if !strings.HasPrefix(got, "### manifold diff") {
			t.Errorf("cap %d: header missing", limit)
		}
	}
	if strings.Contains(full, "Truncated") {
		t.Error("the full output is truncated")
	}
}
