package reconciler

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Inventories are ConfigMaps in SystemNamespace of each target cluster, one
// per subscription, labelled LabelInventory.
const (
	SystemNamespace = "manifold-system"
	LabelInventory  = "manifold.dev/inventory"
	inventoryKey    = "inventory.json"
	fieldManager    = "manifold"
)

var (
	configMapGVR = schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}
	namespaceGVR = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
	nameUnsafe   = regexp.MustCompile(`[^a-z0-9-]+`)
)

// inventoryName is the ConfigMap name for a subscription: readable, and
// unique even when sanitising changed the name.
func inventoryName(subscription string) string {
	clean := strings.Trim(nameUnsafe.ReplaceAllString(strings.ToLower(subscription), "-"), "-")
	sum := sha256.Sum256([]byte(subscription))
	if len(clean) > 40 {
		clean = clean[:40]
	}
	return "manifold-inventory-" + clean + "-" + hex.EncodeToString(sum[:])[:8]
}

// loadInventories reads every inventory on the cluster, by subscription.
func loadInventories(ctx context.Context, c *Conn) (map[string]*Inventory, error) {
	list, err := c.Dynamic.Resource(configMapGVR).Namespace(SystemNamespace).List(ctx, metav1.ListOptions{LabelSelector: LabelInventory + "=true"})
	if apierrors.IsNotFound(err) {
		return map[string]*Inventory{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing inventories: %w", err)
	}
	out := map[string]*Inventory{}
	for _, item := range list.Items {
		var cm corev1.ConfigMap
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(item.Object, &cm); err != nil {
			return nil, fmt.Errorf("inventory ConfigMap/%s/%s: %w", SystemNamespace, item.GetName(), err)
		}
		inv := &Inventory{}
		if err := json.Unmarshal([]byte(cm.Data[inventoryKey]), inv); err != nil {
			return nil, fmt.Errorf("inventory ConfigMap/%s/%s: %w", SystemNamespace, cm.Name, err)
		}
		inv.normalize()
		out[inv.Subscription] = inv
	}
	return out, nil
}

// saveInventory writes inv when its objects differ from prev's; the
// revision recorded is the last one that changed the set, so a commit that
// does not touch a cluster writes nothing there. An empty inventory deletes
// the ConfigMap.
func saveInventory(ctx context.Context, c *Conn, prev, inv *Inventory, dryRun DryRun) error {
	if prev != nil && sameEntries(prev, inv) {
		return nil
	}
	if dryRun == ServerDryRun {
		return nil
	}
	name := inventoryName(inv.Subscription)
	if len(inv.Entries) == 0 {
		err := c.Dynamic.Resource(configMapGVR).Namespace(SystemNamespace).Delete(ctx, name, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("deleting inventory ConfigMap/%s/%s: %w", SystemNamespace, name, err)
		}
		return nil
	}
	if prev == nil {
		if err := ensureSystemNamespace(ctx, c); err != nil {
			return err
		}
	}
	data, err := json.Marshal(inv)
	if err != nil {
		return err
	}
	cm := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1",
		"kind":       "ConfigMap",
		"metadata": map[string]any{
			"name":      name,
			"namespace": SystemNamespace,
			"labels":    map[string]any{LabelInventory: "true"},
			"annotations": map[string]any{
				"manifold.dev/subscription": inv.Subscription,
			},
		},
		"data": map[string]any{inventoryKey: string(data)},
	}}
	_, err = c.Dynamic.Resource(configMapGVR).Namespace(SystemNamespace).Apply(ctx, name, cm, metav1.ApplyOptions{FieldManager: fieldManager, Force: true})
	if err != nil {
		return fmt.Errorf("writing inventory ConfigMap/%s/%s: %w", SystemNamespace, name, err)
	}
	return nil
}

func sameEntries(a, b *Inventory) bool {
	ja, _ := json.Marshal(a.Entries)
	jb, _ := json.Marshal(b.Entries)
	return bytes.Equal(ja, jb)
}

func ensureSystemNamespace(ctx context.Context, c *Conn) error {
	_, err := c.Dynamic.Resource(namespaceGVR).Get(ctx, SystemNamespace, metav1.GetOptions{})
	if err == nil {
		return nil
	}
	if !apierrors.IsNotFound(err) {
		return fmt.Errorf("reading Namespace/%s: %w", SystemNamespace, err)
	}
	ns := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Namespace",
		"metadata": map[string]any{"name": SystemNamespace},
	}}
	if _, err := c.Dynamic.Resource(namespaceGVR).Apply(ctx, SystemNamespace, ns, metav1.ApplyOptions{FieldManager: fieldManager}); err != nil {
		return fmt.Errorf("creating Namespace/%s: %w", SystemNamespace, err)
	}
	return nil
}
