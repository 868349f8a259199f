package harness

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// ClustersFile is the file WriteCredentials writes the Cluster objects into.
const ClustersFile = "clusters.yaml"

// writeKubeconfig writes a self-contained admin kubeconfig: the CA and the
// token are embedded, the cluster and context are both named name.
func writeKubeconfig(path, name, server string, caPEM []byte, token string) error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[name] = &clientcmdapi.Cluster{Server: server, CertificateAuthorityData: caPEM}
	cfg.AuthInfos["manifold-admin"] = &clientcmdapi.AuthInfo{Token: token}
	cfg.Contexts[name] = &clientcmdapi.Context{Cluster: name, AuthInfo: "manifold-admin"}
	cfg.CurrentContext = name
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		return fmt.Errorf("write kubeconfig of %s: %w", name, err)
	}
	return os.Chmod(path, 0o600)
}

// KubeconfigFileName is the name of a cluster's kubeconfig in a credentials
// directory: the lowercased cluster name plus ".kubeconfig".
func KubeconfigFileName(cluster string) string { return fileName(cluster) + ".kubeconfig" }

// WriteCredentials makes dir a credentials directory for manifold: one
// KubeconfigFileName per cluster, and ClustersFile holding a manifold Cluster
// object per cluster that refers to it. The Cluster objects can be copied into
// a config repository as they are.
func (e *Env) WriteCredentials(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	var clusters strings.Builder
	for i, c := range e.Clusters() {
		data, err := os.ReadFile(c.KubeconfigPath())
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, KubeconfigFileName(c.Name())), data, 0o600); err != nil {
			return err
		}
		if i > 0 {
			clusters.WriteString("---\n")
		}
		clusters.WriteString(clusterYAML(c.Name()))
	}
	return os.WriteFile(filepath.Join(dir, ClustersFile), []byte(clusters.String()), 0o644)
}

// clusterYAML is a manifold Cluster object (design §2) for a cluster whose
// kubeconfig sits in the credentials directory.
func clusterYAML(name string) string {
	return fmt.Sprintf(`apiVersion: manifold.dev/v1alpha1
kind: Cluster
metadata:
  name: %s
spec:
  kubeconfig:
    file: %s
`, name, KubeconfigFileName(name))
}
