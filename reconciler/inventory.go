package reconciler

import (
	"sort"

	"github.com/manifold-gitops/manifold/render"
)

// InventoryEntry is one object recorded in an inventory.
type InventoryEntry struct {
	Key        render.ObjectKey `json:"-"`
	Group      string           `json:"group,omitempty"`
	Kind       string           `json:"kind"`
	Namespace  string           `json:"namespace,omitempty"`
	Name       string           `json:"name"`
	APIVersion string           `json:"apiVersion"`
	// Hash is the rendered object's hash when it was applied.
	Hash string `json:"hash"`
}

// Inventory is what manifold applied for one (cluster, subscription): the
// objects that applied successfully, with their hashes, and the revision.
type Inventory struct {
	Subscription string           `json:"subscription"`
	Revision     string           `json:"revision,omitempty"`
	Entries      []InventoryEntry `json:"objects"`
}

// Lookup returns the entry for key.
func (inv *Inventory) Lookup(key render.ObjectKey) (InventoryEntry, bool) {
	if inv == nil {
		return InventoryEntry{}, false
	}
	i := sort.Search(len(inv.Entries), func(i int) bool { return !inv.Entries[i].Key.Less(key) })
	if i < len(inv.Entries) && inv.Entries[i].Key == key {
		return inv.Entries[i], true
	}
	return InventoryEntry{}, false
}

// Len returns the number of entries; 0 for a nil inventory.
func (inv *Inventory) Len() int {
	if inv == nil {
		return 0
	}
	return len(inv.Entries)
}

// normalize fills keys from the stored fields and sorts entries by key.
func (inv *Inventory) normalize() {
	for i := range inv.Entries {
		e := &inv.Entries[i]
		if e.Key == (render.ObjectKey{}) {
			e.Key = render.ObjectKey{Group: e.Group, Kind: e.Kind, Namespace: e.Namespace, Name: e.Name}
		} else {
			e.Group, e.Kind, e.Namespace, e.Name = e.Key.Group, e.Key.Kind, e.Key.Namespace, e.Key.Name
		}
	}
	sort.Slice(inv.Entries, func(i, j int) bool { return inv.Entries[i].Key.Less(inv.Entries[j].Key) })
}

// NewInventory builds a sorted inventory.
func NewInventory(subscription, revision string, entries []InventoryEntry) *Inventory {
	inv := &Inventory{Subscription: subscription, Revision: revision, Entries: entries}
	inv.normalize()
	return inv
}
