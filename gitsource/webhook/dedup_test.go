package webhook

import (
	"strconv"
	"testing"
)

func TestDeliveriesForgetTheOldest(t *testing.T) {
	d := newDeliveries(3)
	for i := range 4 {
		if !d.firstTime(GitHub, strconv.Itoa(i)) {
			t.Fatalf("id %d reported as seen", i)
		}
	}
	if !d.firstTime(GitHub, "0") {
		t.Error("id 0 still remembered after 3 newer ids")
	}
	for _, id := range []string{"2", "3", "0"} {
		if d.firstTime(GitHub, id) {
			t.Errorf("id %s forgotten too early", id)
		}
	}
	if !d.firstTime(Gitea, "3") {
		t.Error("the same id from another provider is a different delivery")
	}
	for range 2 {
		if !d.firstTime(GitHub, "") {
			t.Error("an empty id is never a duplicate")
		}
	}
}
