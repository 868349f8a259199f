package reconciler

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/manifold-gitops/manifold/api"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
)

// secretStore serves Get from a map of Secrets by namespace/name; the other
// methods of SecretInterface are not used by SecretSource.
type secretStore struct {
	corev1client.SecretInterface
	namespace string
	secrets   map[string]*corev1.Secret
}

func (s secretStore) Secrets(namespace string) corev1client.SecretInterface {
	s.namespace = namespace
	return s
}

func (s secretStore) Get(_ context.Context, name string, _ metav1.GetOptions) (*corev1.Secret, error) {
	if sec, ok := s.secrets[s.namespace+"/"+name]; ok {
		return sec, nil
	}
	return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "secrets"}, name)
}

const tokenKubeconfig = `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: static, user: {token: s3cr3t-token}}]
contexts: [{name: token, context: {cluster: c, user: static}}]
current-context: token
`

func TestConnectSecretRef(t *testing.T) {
	store := secretStore{secrets: map[string]*corev1.Secret{
		"manifold-system/spg-01": {Data: map[string][]byte{"kubeconfig": []byte(tokenKubeconfig)}},
		"manifold-system/spg-02": {Data: map[string][]byte{"kubeconfig": []byte(execKubeconfig)}},
		"manifold-system/webhook": {Data: map[string][]byte{
			"secret": []byte("hunter2-webhook-secret"),
			"json":   []byte(`{"clusters": "hunter2-in-json"}`),
		}},
	}}
	secrets := NewSecretSource(store)
	cluster := func(name, key, context string) *api.Cluster {
		return &api.Cluster{Metadata: api.ObjectMeta{Name: "SPG-01"}, Spec: api.ClusterSpec{Kubeconfig: api.KubeconfigRef{
			Context: context, SecretRef: &api.SecretKeyRef{Namespace: "manifold-system", Name: name, Key: key}}}}
	}
	for _, tc := range []struct {
		name    string
		cluster *api.Cluster
		opts    ConnectOptions
		wantErr string // empty: connects
	}{
		{name: "token kubeconfig", cluster: cluster("spg-01", "kubeconfig", ""), opts: ConnectOptions{Secrets: secrets}},
		{name: "no management cluster", cluster: cluster("spg-01", "kubeconfig", ""),
			wantErr: "cluster SPG-01: kubeconfig.secretRef needs a management cluster"},
		{name: "missing Secret", cluster: cluster("spg-09", "kubeconfig", ""), opts: ConnectOptions{Secrets: secrets},
			wantErr: `cluster SPG-01: kubeconfig Secret manifold-system/spg-09: secrets "spg-09" not found`},
		{name: "missing key", cluster: cluster("spg-01", "config", ""), opts: ConnectOptions{Secrets: secrets},
			wantErr: `cluster SPG-01: kubeconfig Secret manifold-system/spg-01 has no key "config"`},
		{name: "not a kubeconfig", cluster: cluster("webhook", "secret", ""), opts: ConnectOptions{Secrets: secrets},
			wantErr: `cluster SPG-01: kubeconfig Secret manifold-system/webhook key "secret" does not hold a kubeconfig`},
		{name: "wrong types", cluster: cluster("webhook", "json", ""), opts: ConnectOptions{Secrets: secrets},
			wantErr: `cluster SPG-01: kubeconfig Secret manifold-system/webhook key "json" does not hold a kubeconfig`},
		{name: "exec refused", cluster: cluster("spg-02", "kubeconfig", ""), opts: ConnectOptions{Secrets: secrets},
			wantErr: `cluster SPG-01: kubeconfig in Secret manifold-system/spg-02 key "kubeconfig": user "cloud" runs an exec credential plugin; pass --allow-exec-auth`},
		{name: "exec allowed", cluster: cluster("spg-02", "kubeconfig", ""), opts: ConnectOptions{Secrets: secrets, Exec: AllowExec}},
		{name: "token context of an exec kubeconfig", cluster: cluster("spg-02", "kubeconfig", "token"), opts: ConnectOptions{Secrets: secrets}},
		{name: "unknown context", cluster: cluster("spg-01", "kubeconfig", "other"), opts: ConnectOptions{Secrets: secrets, Exec: AllowExec},
			wantErr: `cluster SPG-01: kubeconfig in Secret manifold-system/spg-01 key "kubeconfig": invalid configuration: [context was not found`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conn, err := Connect(tc.cluster, tc.opts)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if conn.Config.Host != "https://127.0.0.1:1" {
					t.Errorf("host = %q", conn.Config.Host)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v\nwant it to contain %q", err, tc.wantErr)
			}
			for _, leak := range []string{"hunter2", "s3cr3t"} {
				if strings.Contains(err.Error(), leak) {
					t.Errorf("error quotes the Secret's content: %v", err)
				}
			}
		})
	}
	if _, err := Connect(cluster("spg-01", "kubeconfig", ""), ConnectOptions{}); !errors.Is(err, ErrNoManagementCluster) {
		t.Errorf("err = %v, want ErrNoManagementCluster", err)
	}
}
