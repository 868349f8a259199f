package reconciler

import (
	"context"
	"errors"
	"fmt"

	"github.com/manifold-gitops/manifold/api"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// SecretSource reads the kubeconfigs that Cluster objects keep in Secrets of
// the management cluster (spec.kubeconfig.secretRef), for manifold running
// there. Only the referenced key is read; its content never appears in
// errors or logs.
type SecretSource struct {
	secrets corev1client.SecretsGetter
}

// NewSecretSource returns a SecretSource reading through a client of the
// management cluster, e.g. kubernetes.Clientset.CoreV1().
func NewSecretSource(secrets corev1client.SecretsGetter) *SecretSource {
	return &SecretSource{secrets: secrets}
}

// ErrNoManagementCluster is returned for a Cluster whose kubeconfig is in a
// Secret when manifold was started without a management cluster.
var ErrNoManagementCluster = errors.New("kubeconfig.secretRef needs a management cluster: run manifold serve with --in-cluster or --management-kubeconfig")

// Kubeconfig reads and parses the kubeconfig held by ref. Errors name the
// Secret and key, never the content: a value that does not parse is
// reported without the parser's message, which may quote it.
func (s *SecretSource) Kubeconfig(ctx context.Context, ref api.SecretKeyRef) (*clientcmdapi.Config, error) {
	subject := "Secret " + ref.Namespace + "/" + ref.Name
	secret, err := s.secrets.Secrets(ref.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", subject, err)
	}
	data, ok := secret.Data[ref.Key]
	if !ok {
		return nil, fmt.Errorf("%s has no key %q", subject, ref.Key)
	}
	cfg, err := clientcmd.Load(data)
	if err != nil || len(cfg.Clusters) == 0 {
		return nil, fmt.Errorf("%s key %q does not hold a kubeconfig (the parser's message is withheld: it may quote the Secret)", subject, ref.Key)
	}
	return cfg, nil
}

// secretKubeconfig loads the kubeconfig of a Cluster whose
// spec.kubeconfig.secretRef is set and checks it against the exec policy,
// like a file. Connect takes no context, so the read is bounded by
// opts.Timeout.
func secretKubeconfig(c *api.Cluster, opts ConnectOptions) (*clientcmdapi.Config, error) {
	name, ref := c.Metadata.Name, *c.Spec.Kubeconfig.SecretRef
	if opts.Secrets == nil {
		return nil, fmt.Errorf("cluster %s: %w", name, ErrNoManagementCluster)
	}
	ctx, cancel := context.WithTimeout(context.Background(), opts.Timeout)
	defer cancel()
	cfg, err := opts.Secrets.Kubeconfig(ctx, ref)
	if err != nil {
		return nil, fmt.Errorf("cluster %s: kubeconfig %w", name, err)
	}
	if err := checkAuth(cfg, c.Spec.Kubeconfig.Context, opts.Exec); err != nil {
		return nil, fmt.Errorf("cluster %s: kubeconfig in Secret %s/%s key %q: %w", name, ref.Namespace, ref.Name, ref.Key, err)
	}
	return cfg, nil
}
