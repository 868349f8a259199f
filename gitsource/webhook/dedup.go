package webhook

import (
	"crypto/sha256"
	"sync"
)

// deliveries remembers the last N delivery ids in a ring. Ids are kept as
// hashes so that a long header costs the same as a short one.
type deliveries struct {
	mu   sync.Mutex
	seen map[[sha256.Size]byte]struct{}
	ring [][sha256.Size]byte
	next int
}

func newDeliveries(n int) *deliveries {
	return &deliveries{seen: make(map[[sha256.Size]byte]struct{}, n), ring: make([][sha256.Size]byte, 0, n)}
}

// firstTime records provider p's delivery id and reports whether it was new.
// An empty id is never a duplicate.
func (d *deliveries) firstTime(p Provider, id string) bool {
	if id == "" {
		return true
	}
	key := sha256.Sum256([]byte(string(p) + "\x00" + id))
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.seen[key]; ok {
		return false
	}
	if len(d.ring) < cap(d.ring) {
		d.ring = append(d.ring, key)
	} else {
		delete(d.seen, d.ring[d.next])
		d.ring[d.next] = key
		d.next = (d.next + 1) % len(d.ring)
	}
	d.seen[key] = struct{}{}
	return true
}
