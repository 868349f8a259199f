package harness_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/manifold-gitops/manifold/e2e/harness"
)

// TestLightClustersAreSeparate: clusters of one Env share etcd but not data,
// a cluster can be added later, and Close stops them all.
func TestLightClustersAreSeparate(t *testing.T) {
	env := harness.ForTest(t, harness.ClusterSpec{Name: "LIGHT-1", Mode: harness.Light})
	ctx := context.Background()
	light2, err := env.AddCluster(ctx, harness.ClusterSpec{Name: "LIGHT-2", Mode: harness.Light})
	if err != nil {
		t.Fatal(err)
	}
	light1 := env.Cluster("LIGHT-1")

	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "only-in-light-1", Namespace: "default"}}
	if _, err := light1.Clientset().CoreV1().ConfigMaps("default").Create(ctx, cm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err = light2.Clientset().CoreV1().ConfigMaps("default").Get(ctx, cm.Name, metav1.GetOptions{})
	if !apierrors.IsNotFound(err) {
		t.Fatalf("LIGHT-2 sees LIGHT-1's ConfigMap: err %v, want NotFound", err)
	}
	if err := light1.Drain(ctx); err == nil {
		t.Error("Drain of a light cluster: no error")
	}

	if err := env.Close(); err != nil {
		t.Fatal(err)
	}
	for _, c := range env.Clusters() {
		conn, err := net.DialTimeout("tcp", strings.TrimPrefix(c.Server(), "https://"), time.Second)
		if err == nil {
			conn.Close()
			t.Errorf("%s still listens on %s after Close", c.Name(), c.Server())
		}
	}
	if err := env.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestStartErrors: bad input and missing binaries are errors that say what is
// wrong, before anything starts.
func TestStartErrors(t *testing.T) {
	onlyAPIServer := t.TempDir()
	for _, name := range []string{"etcd", "kube-apiserver"} {
		if err := os.WriteFile(filepath.Join(onlyAPIServer, name), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name    string
		binDir  string
		specs   []harness.ClusterSpec
		wantErr string
	}{
		{"no binaries", t.TempDir(), []harness.ClusterSpec{{Name: "A"}}, "etcd not found in"},
		{"full cluster needs more", onlyAPIServer, []harness.ClusterSpec{{Name: "A", Mode: harness.Full}}, "kube-controller-manager not found in"},
		{"duplicate name", onlyAPIServer, []harness.ClusterSpec{{Name: "SPG-01"}, {Name: "spg-01"}}, "cluster spg-01 is already defined"},
		{"bad name", onlyAPIServer, []harness.ClusterSpec{{Name: "a/b"}}, `cluster name "a/b"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env, err := harness.Start(context.Background(), harness.Options{BinDir: tc.binDir, Clusters: tc.specs})
			if err == nil {
				env.Close()
				t.Fatalf("Start: no error, want one containing %q", tc.wantErr)
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Start: %v, want an error containing %q", err, tc.wantErr)
			}
		})
	}
}
