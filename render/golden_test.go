package render

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/manifold-gitops/manifold/gitsource"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestQCBMGolden renders the QCBM example for both clusters and compares it
// with testdata/qcbm.golden.yaml (go test ./render -update rewrites it).
func TestQCBMGolden(t *testing.T) {
	snap, err := gitsource.ReadWorktree(filepath.Join("..", "examples", "qcbm"), gitsource.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	res := NewRenderer(Limits{}).Render(context.Background(), snap)
	noProblems(t, res)
	var got bytes.Buffer
	if err := res.WriteYAML(&got, Filter{}); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "qcbm.golden.yaml")
	if *update {
		if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), got.String()); diff != "" {
		t.Errorf("QCBM render differs from %s (-want +got):\n%s", golden, diff)
	}

	// The tutorial's Localization gives SPG-02 its own subnet; SPG-01 keeps the base.
	const annotation = "service.kubernetes.io/qcloud-loadbalancer-internal-subnetid: "
	spg01 := object(t, set(t, res, "SPG-01", "qcbm-subscription"), "Service/qcbm/api-gateway")
	spg02 := object(t, set(t, res, "SPG-02", "qcbm-subscription"), "Service/qcbm/api-gateway")
	if !strings.Contains(spg01, annotation+"subnet-spg01-3x8f2a") {
		t.Errorf("SPG-01 api-gateway lost the base subnet:\n%s", spg01)
	}
	if !strings.Contains(spg02, annotation+"subnet-spg02-7k2m9q") {
		t.Errorf("SPG-02 api-gateway lacks its own subnet:\n%s", spg02)
	}
	for _, s := range res.Sets {
		if len(s.Objects) != 12 {
			t.Errorf("%s has %d objects, want the 12 QCBM resources", s.Cluster, len(s.Objects))
		}
	}
}
