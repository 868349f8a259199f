package harness

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/util/retry"
)

// FakeNodeName is the one node of a Full cluster, simulated by kwok.
const FakeNodeName = "kwok-node-0"

// DrainTaint is the taint Drain puts on the fake node.
var DrainTaint = corev1.Taint{Key: "manifold.dev/drained", Value: "true", Effect: corev1.TaintEffectNoExecute}

// drainTimeout bounds how long Drain waits for pods to leave the node.
const drainTimeout = 60 * time.Second

// startComponents starts controller-manager, scheduler and kwok, creates the
// fake node, and waits until the node is Ready and the controller-manager has
// created the default service account.
func (c *Cluster) startComponents(ctx context.Context) error {
	kubeconfig := c.KubeconfigPath()
	stages := filepath.Join(c.dir, "kwok-stages.yaml")
	if err := writeStages(stages); err != nil {
		return err
	}
	kwokHome := filepath.Join(c.dir, "kwok-home") // keeps ~/.kwok/kwok.yaml out
	if err := os.MkdirAll(kwokHome, 0o700); err != nil {
		return err
	}
	bin := c.env.opts.BinDir
	for _, comp := range []struct {
		name string
		args []string
		env  []string
	}{
		{"kube-controller-manager", []string{
			"--kubeconfig=" + kubeconfig,
			"--controllers=*,-serviceaccount-token,-nodeipam",
			"--leader-elect=false",
			"--secure-port=0",
		}, nil},
		{"kube-scheduler", []string{
			"--kubeconfig=" + kubeconfig,
			"--leader-elect=false",
			"--secure-port=0",
		}, nil},
		{"kwok", []string{
			"--kubeconfig=" + kubeconfig,
			"--config=" + stages,
			"--manage-all-nodes=false",
			"--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
			"--node-lease-duration-seconds=40",
		}, []string{"HOME=" + kwokHome}},
	} {
		p, err := startProcess(comp.name+" of "+c.spec.Name, filepath.Join(bin, comp.name),
			filepath.Join(c.dir, comp.name+".log"), comp.args, comp.env)
		if err != nil {
			return err
		}
		c.mu.Lock()
		c.components = append(c.components, p)
		c.mu.Unlock()
	}

	if err := c.createFakeNode(ctx); err != nil {
		return err
	}
	nodes := c.clientset.CoreV1().Nodes()
	err := c.waitComponents(ctx, "node "+FakeNodeName+" Ready", func(ctx context.Context) (bool, error) {
		n, err := nodes.Get(ctx, FakeNodeName, metav1.GetOptions{})
		return err == nil && nodeReady(n), err
	})
	if err != nil {
		return err
	}
	sas := c.clientset.CoreV1().ServiceAccounts(metav1.NamespaceDefault)
	return c.waitComponents(ctx, "service account default/default", func(ctx context.Context) (bool, error) {
		_, err := sas.Get(ctx, "default", metav1.GetOptions{})
		return err == nil, err
	})
}

// waitComponents is waitFor that also fails as soon as a component exits.
func (c *Cluster) waitComponents(ctx context.Context, what string, check func(context.Context) (bool, error)) error {
	err := waitFor(ctx, what, func(ctx context.Context) (bool, error) {
		c.mu.Lock()
		components := c.components
		c.mu.Unlock()
		for _, p := range components {
			if exited, err := p.exited(); exited {
				return false, err
			}
		}
		return check(ctx)
	})
	if err != nil {
		return fmt.Errorf("cluster %s did not start: %w (logs: %s)", c.spec.Name, err, c.dir)
	}
	return nil
}

func (c *Cluster) createFakeNode(ctx context.Context) error {
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{
		Name: FakeNodeName,
		Labels: map[string]string{
			"kubernetes.io/hostname": FakeNodeName,
			"kubernetes.io/os":       "linux",
			"kubernetes.io/arch":     "amd64",
			"type":                   "kwok",
		},
		Annotations: map[string]string{"kwok.x-k8s.io/node": "fake"},
	}}
	_, err := c.clientset.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("%s: create node %s: %w", c.spec.Name, FakeNodeName, err)
	}
	return nil
}

func nodeReady(n *corev1.Node) bool {
	for _, cond := range n.Status.Conditions {
		if cond.Type == corev1.NodeReady {
			return cond.Status == corev1.ConditionTrue
		}
	}
	return false
}

// Drain taints the fake node with DrainTaint (NoExecute), as when a cluster
// loses its workers: the controller-manager evicts every pod that does not
// tolerate it, kwok removes them, and replacements stay Pending. Drain waits
// until no pod is left on the node. Full clusters only.
func (c *Cluster) Drain(ctx context.Context) error {
	if err := c.setDrainTaint(ctx, true); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, drainTimeout)
	defer cancel()
	pods := c.clientset.CoreV1().Pods(metav1.NamespaceAll)
	onNode := metav1.ListOptions{FieldSelector: fields.OneTermEqualSelector("spec.nodeName", FakeNodeName).String()}
	return waitFor(ctx, c.spec.Name+": pods leaving drained node", func(ctx context.Context) (bool, error) {
		list, err := pods.List(ctx, onNode)
		return err == nil && len(list.Items) == 0, err
	})
}

// Undrain removes DrainTaint again; Pending pods are scheduled and turn Ready.
func (c *Cluster) Undrain(ctx context.Context) error {
	return c.setDrainTaint(ctx, false)
}

func (c *Cluster) setDrainTaint(ctx context.Context, drained bool) error {
	if c.spec.Mode != Full {
		return fmt.Errorf("%s is a %s cluster: it has no node to drain", c.spec.Name, c.spec.Mode)
	}
	nodes := c.clientset.CoreV1().Nodes()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		n, err := nodes.Get(ctx, FakeNodeName, metav1.GetOptions{})
		if err != nil {
			return err
		}
		taints := slices.DeleteFunc(n.Spec.Taints, func(t corev1.Taint) bool { return t.Key == DrainTaint.Key })
		if drained {
			taints = append(taints, DrainTaint)
		}
		n.Spec.Taints = taints
		_, err = nodes.Update(ctx, n, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		return fmt.Errorf("%s: taint node %s: %w", c.spec.Name, FakeNodeName, err)
	}
	return nil
}
