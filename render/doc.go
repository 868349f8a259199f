// Package render computes the desired state of every cluster at one revision
// of the config repository.
//
// For each Subscription it builds the source folder (with kustomize's krusty,
// in-process, or by reading plain YAML files), keeps the resources its feeds
// select, swaps in a cluster's kustomize overlay where one exists, applies the
// Globalizations and then the Localizations that target the cluster in total
// (priority, name) order, stamps the ownership label and returns one
// DesiredSet per (cluster, subscription) with a content hash. Nothing outside
// the repository is ever read: builds run on an in-memory filesystem made
// from a gitsource.Snapshot, with plugins, remote bases and URL resources
// refused before kustomize sees them. A Renderer caches builds by the content
// of the files they read, so an unrelated commit re-renders nothing.
package render
