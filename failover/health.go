package failover

import "time"

// ClusterHealth is one cluster's health as probes saw it.
type ClusterHealth struct {
	Healthy bool
	// Since is when the cluster entered its current state: for a healthy
	// cluster, the first probe that found it healthy again; for an unhealthy
	// one, the last probe that found it healthy (or the first probe ever, if
	// none did).
	Since time.Time
	// lastHealthy is the last probe that found the cluster healthy.
	lastHealthy time.Time
}

// observe folds one probe result in; it reports whether Healthy changed.
func (h *ClusterHealth) observe(healthy bool, at time.Time) bool {
	switch {
	case h.Since.IsZero():
		h.Healthy, h.Since = healthy, at
		if healthy {
			h.lastHealthy = at
		}
		return true
	case healthy && h.Healthy:
		h.lastHealthy = at
	case healthy:
		h.Healthy, h.Since, h.lastHealthy = true, at, at
		return true
	case h.Healthy:
		h.Healthy = false
		if !h.lastHealthy.IsZero() {
			h.Since = h.lastHealthy
		}
		return true
	}
	return false
}

// healthyFor reports whether the cluster has been healthy for at least d.
func (h ClusterHealth) healthyFor(now time.Time, d time.Duration) bool {
	return h.Healthy && now.Sub(h.Since) >= d
}

// unhealthyFor reports whether the cluster has been unhealthy for at least d.
func (h ClusterHealth) unhealthyFor(now time.Time, d time.Duration) bool {
	return !h.Healthy && now.Sub(h.Since) >= d
}
