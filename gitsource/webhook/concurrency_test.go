package webhook

import (
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
)

func TestConcurrentRedeliveriesAcceptedOnce(t *testing.T) {
	var events atomic.Int32
	h := NewHandler(testConfig(), func(Event) { events.Add(1) })
	d := pushDelivery(GitHub, repoURL, "refs/heads/main")
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			h.ServeHTTP(httptest.NewRecorder(), d.request())
		})
	}
	wg.Wait()
	if n := events.Load(); n != 1 {
		t.Errorf("onEvent called %d times for one delivery id, want 1", n)
	}
	if s := h.Stats(); s[Accepted] != 1 || s[Duplicate] != 15 {
		t.Errorf("Stats() = %v, want 1 accepted and 15 duplicates", s)
	}
}
