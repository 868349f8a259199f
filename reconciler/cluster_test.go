package reconciler

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/manifold-gitops/manifold/api"
)

const execKubeconfig = `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users:
  - name: cloud
    user:
      exec: {apiVersion: client.authentication.k8s.io/v1, command: get-token, interactiveMode: Never}
  - name: static
    user: {token: abc}
contexts:
  - {name: exec, context: {cluster: c, user: cloud}}
  - {name: token, context: {cluster: c, user: static}}
current-context: exec
`

func TestConnectRefusesExecCredentials(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "c.kubeconfig"), []byte(execKubeconfig), 0o600); err != nil {
		t.Fatal(err)
	}
	cluster := func(context string) *api.Cluster {
		return &api.Cluster{Metadata: api.ObjectMeta{Name: "SPG-01"},
			Spec: api.ClusterSpec{Kubeconfig: api.KubeconfigRef{File: "c.kubeconfig", Context: context}}}
	}
	_, err := Connect(cluster(""), ConnectOptions{CredentialsDir: dir})
	if err == nil || !strings.Contains(err.Error(), `cluster SPG-01: kubeconfig`) || !strings.Contains(err.Error(), "--allow-exec-auth") {
		t.Fatalf("exec credentials: err = %v", err)
	}
	if _, err := Connect(cluster(""), ConnectOptions{CredentialsDir: dir, Exec: AllowExec}); err != nil {
		t.Errorf("exec allowed by policy: %v", err)
	}
	if _, err := Connect(cluster("token"), ConnectOptions{CredentialsDir: dir}); err != nil {
		t.Errorf("token context: %v", err)
	}
	_, err = Connect(&api.Cluster{Metadata: api.ObjectMeta{Name: "SPG-02"}, Spec: api.ClusterSpec{Kubeconfig: api.KubeconfigRef{File: "missing.kubeconfig"}}}, ConnectOptions{CredentialsDir: dir})
	if err == nil || !strings.Contains(err.Error(), "cluster SPG-02: reading kubeconfig") {
		t.Errorf("missing kubeconfig: err = %v", err)
	}
}

func TestApprovals(t *testing.T) {
	a := ParseApprovals("Move QCBM\n\nManifold-Allow-Prune: qcbm-subscription@SPG-01, web@*\nmanifold-allow-prune: *@SPG-09\n")
	for _, tc := range []struct {
		sub, cluster string
		want         bool
	}{
		{"qcbm-subscription", "SPG-01", true},
		{"qcbm-subscription", "SPG-02", false},
		{"web", "anything", true},
		{"other", "SPG-09", true},
		{"other", "SPG-01", false},
	} {
		if got := a.Allows(tc.sub, tc.cluster); got != tc.want {
			t.Errorf("Allows(%s, %s) = %v, want %v", tc.sub, tc.cluster, got, tc.want)
		}
	}
	if ParseApprovals("no trailers here").Allows("*", "*") {
		t.Error("approval without a trailer")
	}
}
