package harness

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

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
		closed := c.closed
		if !closed {
			c.components = append(c.components, p)
		}
		c.mu.Unlock()
		if closed {
			p.stop()
			return fmt.Errorf("%s: %w", c.spec.Name, errClosed)
		}
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
