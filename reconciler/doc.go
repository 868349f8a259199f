// Package reconciler makes clusters match their rendered desired state.
//
// For each (cluster, subscription) it reads the previous inventory and the
// live objects, computes a Plan with a pure function (create, update,
// unchanged, prune, held, skip), applies it with server-side apply in stages
// (CRDs, Namespaces, other cluster-scoped objects, namespaced objects; prunes
// in reverse), records what applied in an inventory stored in the cluster,
// and reports health computed by kstatus. Pruning obeys the safety
// invariants: errors never look like an empty desired set, an empty render
// prunes nothing unless allowed, only inventoried objects still carrying the
// subscription's label are deleted, large or dangerous prunes wait for an
// approval in Git, and objects moving between subscriptions are never
// deleted.
package reconciler
