package harness

import (
	"context"
	"fmt"
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
