package reconciler

// Action is what happened, or will happen, to one object. The same
// vocabulary feeds logs, metrics, CLI output, inventories and status notes.
type Action string

// Actions.
const (
	// Created: the object did not exist and was applied.
	Created Action = "created"
	// Configured: the object existed and was changed (an update or a drift repair).
	Configured Action = "configured"
	// Unchanged: the object already matched; nothing was written.
	Unchanged Action = "unchanged"
	// Pruned: the object left the desired state and was deleted.
	Pruned Action = "pruned"
	// Held: the object would be pruned but the prune waits for approval.
	Held Action = "held"
	// Skipped: the object left the desired state but is kept in the cluster
	// (prune disabled, ownership label gone, moved to another subscription,
	// or already absent); it leaves the inventory.
	Skipped Action = "skipped"
	// Failed: applying or deleting the object failed.
	Failed Action = "failed"
)

// Actions lists every action in display order.
var Actions = []Action{Created, Configured, Unchanged, Pruned, Held, Skipped, Failed}
