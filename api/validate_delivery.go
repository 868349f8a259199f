package api

// validateDelivery checks spec.rollout, spec.failover and spec.traffic.
func (s *Subscription) validateDelivery() []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, errorf(s.Origin, s.Subject(), format, args...)) }
	if r := s.Spec.Rollout; r != nil {
		if len(r.Waves) == 0 {
			bad("spec.rollout.waves is empty")
		}
		names := map[string]bool{}
		clusters := map[string]string{}
		for i, w := range r.Waves {
			if w.Name == "" {
				bad("spec.rollout.waves[%d].name is required", i)
			} else if names[w.Name] {
				bad("spec.rollout.waves[%d]: name %q is used twice", i, w.Name)
			}
			names[w.Name] = true
			if len(w.Clusters) > 0 && w.ClusterAffinity != nil {
				bad("spec.rollout.waves[%d] takes clusters or clusterAffinity, not both", i)
			}
			if _, err := w.ClusterAffinity.Selector(); err != nil {
				bad("spec.rollout.waves[%d].clusterAffinity: %v", i, err)
			}
			for _, c := range w.Clusters {
				if prev, ok := clusters[c]; ok {
					bad("spec.rollout.waves[%d]: cluster %s is already in wave %s", i, c, prev)
				}
				clusters[c] = w.Name
			}
			if len(w.Clusters) == 0 && w.ClusterAffinity == nil && i != len(r.Waves)-1 {
				bad("spec.rollout.waves[%d] (%s) names no clusters: only the last wave may take the rest", i, w.Name)
			}
		}
		switch r.OnFailure {
		case "", OnFailureHalt, OnFailureRollback:
		default:
			bad("spec.rollout.onFailure %q is not one of Halt, Rollback", r.OnFailure)
		}
	}
	if f := s.Spec.Failover; f != nil {
		if f.Standby.ClusterAffinity == nil {
			bad("spec.failover.standby.clusterAffinity is required")
		} else if _, err := f.Standby.ClusterAffinity.Selector(); err != nil {
			bad("spec.failover.standby.clusterAffinity: %v", err)
		}
	}
	if t := s.Spec.Traffic; t != nil {
		if len(t.Hosts) == 0 {
			bad("spec.traffic.hosts is empty")
		}
		d := t.DNSEndpoint
		if d.Cluster == "" || d.Namespace == "" || d.Name == "" {
			bad("spec.traffic.dnsEndpoint needs cluster, namespace and name")
		}
	}
	return errs
}

// Defaults of the delivery settings.
const (
	DefaultProgressDeadline = 10 * 60 // seconds
	DefaultUnhealthyAfter   = 30      // seconds
	DefaultFailbackAfter    = 120     // seconds
)

// validateClusterNames checks that the clusters a subscription names in
// rollout waves and in its DNS endpoint are declared.
func (s *Subscription) validateClusterNames(declared map[string]Origin) []error {
	var errs []error
	if r := s.Spec.Rollout; r != nil {
		for i, w := range r.Waves {
			for _, c := range w.Clusters {
				if _, ok := declared[c]; !ok {
					errs = append(errs, errorf(s.Origin, s.Subject(), "spec.rollout.waves[%d] (%s) names cluster %s, which is not declared", i, w.Name, c))
				}
			}
		}
	}
	if t := s.Spec.Traffic; t != nil && t.DNSEndpoint.Cluster != "" {
		if _, ok := declared[t.DNSEndpoint.Cluster]; !ok {
			errs = append(errs, errorf(s.Origin, s.Subject(), "spec.traffic.dnsEndpoint.cluster %s is not declared", t.DNSEndpoint.Cluster))
		}
	}
	return errs
}
