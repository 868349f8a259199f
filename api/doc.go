// Package api defines manifold's policy objects (Cluster, Subscription,
// Localization and Globalization) and decodes them strictly from YAML.
//
// Policy objects may sit in any YAML file of a config repository, several per
// file. They are recognised by apiVersion and kind: manifold.dev/v1alpha1 for
// every kind, and Clusternet's apps.clusternet.io/v1alpha1 for Subscription,
// Localization and Globalization, so objects written for Clusternet load
// unchanged. Decoding is strict: an unknown field, a wrong type, a duplicate
// key or a duplicate object is an error that names file:line.
package api
