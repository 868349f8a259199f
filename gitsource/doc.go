// Package gitsource reads the config repository: a working tree as it is on
// disk, or a commit of a Git repository read with go-git without a checkout.
// Either way the result is a Snapshot, an immutable in-memory view of the
// repository's files that never reaches outside the repository.
package gitsource
