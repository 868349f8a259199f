package daemon

import (
	"time"

	"github.com/manifold-gitops/manifold/reconciler"
	"github.com/manifold-gitops/manifold/rollout"
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the daemon's Prometheus metrics.
type Metrics struct {
	syncs      *prometheus.CounterVec
	duration   prometheus.Histogram
	objects    *prometheus.GaugeVec
	reachable  *prometheus.GaugeVec
	revision   *prometheus.GaugeVec
	triggers   *prometheus.CounterVec
	drift      *prometheus.CounterVec
	gitErrors  prometheus.Counter
	notePushes prometheus.Counter
	noteErrors prometheus.Counter

	failoverDecisions *prometheus.CounterVec
	clusterHealthy    *prometheus.GaugeVec
	// rolloutWave and rolloutState describe each subscription's rollout.
	rolloutWave  *prometheus.GaugeVec
	rolloutState *prometheus.GaugeVec
}

// NewMetrics creates the metrics and registers them with reg (nil: not registered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		syncs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "manifold_syncs_total", Help: "Syncs by result (succeeded or failed).",
		}, []string{"result"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "manifold_sync_duration_seconds", Help: "Duration of a poll, render and sync cycle that synced.",
			Buckets: prometheus.ExponentialBuckets(0.01, 2, 14),
		}),
		objects: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "manifold_objects", Help: "Objects by action in the last sync, per cluster and subscription.",
		}, []string{"cluster", "subscription", "action"}),
		reachable: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "manifold_cluster_reachable", Help: "1 when the cluster answered in the last sync.",
		}, []string{"cluster"}),
		revision: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "manifold_last_applied_revision", Help: "Unix time the revision (label) was last synced.",
		}, []string{"revision"}),
		triggers: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "manifold_triggers_total", Help: "Requests for a cycle by source (webhook, fsnotify, drift, ...).",
		}, []string{"source"}),
		drift: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "manifold_drift_total", Help: "Drifted objects reported by watches.",
		}, []string{"cluster", "subscription"}),
		gitErrors:  prometheus.NewCounter(prometheus.CounterOpts{Name: "manifold_git_errors_total", Help: "Failed polls of the Git source."}),
		notePushes: prometheus.NewCounter(prometheus.CounterOpts{Name: "manifold_note_pushes_total", Help: "Status notes pushed."}),
		noteErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: "manifold_note_errors_total", Help: "Status notes that failed to be written or pushed."}),
		rolloutWave: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "manifold_rollout_wave", Help: "Index (from 0) of the current wave of a subscription's rollout.",
		}, []string{"subscription"}),
		rolloutState: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "manifold_rollout_state", Help: "1 for the state a subscription's rollout is in (Progressing, Soaking, Completed, Halted, RolledBack), 0 for the others.",
		}, []string{"subscription", "state"}),
	}
	m.failoverDecisions = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "manifold_failover_decisions_total", Help: "Failover and traffic decisions by subscription and kind (out-of-service, in-service, failover, failback, reassigned, no-standby, traffic).",
	}, []string{"subscription", "kind"})
	m.clusterHealthy = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "manifold_cluster_healthy", Help: "1 when the cluster's last failover probe found it ready.",
	}, []string{"cluster"})
	if reg != nil {
		reg.MustRegister(m.failoverDecisions, m.clusterHealthy)
		reg.MustRegister(m.syncs, m.duration, m.objects, m.reachable, m.revision, m.triggers, m.drift, m.gitErrors, m.notePushes, m.noteErrors, m.rolloutWave, m.rolloutState)
	}
	return m
}

// observe records a sync.
func (m *Metrics) observe(rep *reconciler.Report, took time.Duration) {
	result := "succeeded"
	if rep.Failed() {
		result = "failed"
	}
	m.syncs.WithLabelValues(result).Inc()
	m.duration.Observe(took.Seconds())
	m.revision.Reset()
	m.revision.WithLabelValues(rep.Revision).Set(float64(time.Now().Unix()))
	m.objects.Reset()
	for _, c := range rep.Clusters {
		v := 0.0
		if c.Reachable {
			v = 1
		}
		m.reachable.WithLabelValues(c.Name).Set(v)
		for _, s := range c.Sets {
			counts := s.Changes.Counts()
			for _, a := range reconciler.Actions {
				m.objects.WithLabelValues(c.Name, s.Subscription, string(a)).Set(float64(counts[a]))
			}
		}
	}
}

// observeRollouts records the rollout states by subscription.
func (m *Metrics) observeRollouts(states map[string]rollout.State) {
	m.rolloutWave.Reset()
	m.rolloutState.Reset()
	for sub, st := range states {
		m.rolloutWave.WithLabelValues(sub).Set(float64(st.Wave))
		for _, p := range rollout.Phases {
			v := 0.0
			if p == st.Phase {
				v = 1
			}
			m.rolloutState.WithLabelValues(sub, string(p)).Set(v)
		}
	}
}
