// Package failover decides, from cluster probes, which clusters serve a
// subscription: which targets are out of service, which standby cluster
// stands in for each, when a recovered target takes its workloads back, and
// what DNS records point at the clusters serving. It is pure: the daemon
// feeds it probe results and the clock, and carries out what it decides.
//
// The rules:
//
//   - A cluster's health comes from probes. An unhealthy cluster counts as
//     unhealthy since the last probe that found it healthy (as Kubernetes's
//     node controller counts from the last heartbeat), so a failure is acted
//     on at most one probe interval after unhealthyAfter. A healthy cluster
//     counts as healthy since the first probe that found it healthy again.
//   - A cluster serving a subscription (a target, or a standby in use) that
//     stays unhealthy for unhealthyAfter (default 30s) is out of service for
//     it; it is back in service once healthy for failbackAfter (default 2m).
//     A shorter blip changes nothing. Subscriptions with spec.traffic but no
//     spec.failover use the defaults.
//   - A target out of service gets a standby: a cluster matching
//     spec.failover.standby.clusterAffinity that is not a target, whose last
//     probe found it healthy and which is not out of service itself; the first
//     such cluster by name that stands in for no other target of the
//     subscription, else the first by name. One standby may so serve several
//     failed targets; a dividing subscription then gives it the share of the
//     first of them by name only.
//   - A standby that goes out of service is replaced by another when one is
//     available, and kept otherwise. A standby that becomes a target of the
//     subscription in Git stops standing in.
//   - When the target is back in service the standby is released: the
//     renderer no longer targets it, and the reconciler prunes its copy,
//     approved by manifold (no Manifold-Allow-Prune trailer needed) but only
//     once the subscription's targets are healthy (make-before-break).
//   - Workload health (a Degraded Deployment) does not cause failover: a bad
//     revision would follow the workloads to the standby. Rollouts deal with
//     bad revisions; failover deals with lost clusters.
//
// State is kept in memory. After a restart, a target still down fails over
// again unhealthyAfter after the first probe (to the same standby, the
// choice being by name); until then the standby copy stays, its prune held
// for the targets' health and for approval. If the target recovered while
// the daemon was down, the standby copy needs a Manifold-Allow-Prune
// trailer to go: nothing remembers that manifold put it there.
package failover
