package api

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Set is the policy objects of a config repository.
type Set struct {
	Clusters       []*Cluster
	Subscriptions  []*Subscription
	Localizations  []*Localization
	Globalizations []*Globalization
}

// policyKind reports whether apiVersion/kind names a policy kind, and an
// error when it is in a policy API group but not a kind manifold accepts.
func policyKind(apiVersion, kind string) (bool, error) {
	group, _, _ := strings.Cut(apiVersion, "/")
	switch group {
	case "manifold.dev":
		if apiVersion != GroupVersion {
			return false, fmt.Errorf("apiVersion %q is not supported; use %s", apiVersion, GroupVersion)
		}
		switch kind {
		case KindCluster, KindSubscription, KindLocalization, KindGlobalization:
			return true, nil
		}
		return false, fmt.Errorf("kind %q is not a manifold.dev kind (Cluster, Subscription, Localization, Globalization)", kind)
	case "apps.clusternet.io":
		switch kind {
		case KindSubscription, KindLocalization, KindGlobalization:
			if apiVersion != ClusternetGroupVersion {
				return false, fmt.Errorf("apiVersion %q is not supported; use %s", apiVersion, ClusternetGroupVersion)
			}
			return true, nil
		}
		return false, fmt.Errorf("Clusternet kind %q is not supported: manifold reads Subscription, Localization and Globalization; plain manifests replace Manifest and HelmChart objects", kind)
	}
	return false, nil
}

// IsPolicy reports whether a document is a policy object.
func IsPolicy(apiVersion, kind string) bool {
	ok, err := policyKind(apiVersion, kind)
	return ok || err != nil
}

// DecodeFile decodes the policy objects of one YAML file strictly, and
// returns the file's other documents as they are. Every problem found is
// returned, each naming file:line.
func DecodeFile(file string, data []byte) (Set, []Document, error) {
	var set Set
	docs, err := ParseDocuments(file, data)
	if err != nil {
		return set, nil, err
	}
	var errs Errors
	var plain []Document
	var strict *yaml.Decoder
	next := 0 // index of the next document strict will decode
	for i := range docs {
		d := &docs[i]
		isPolicy, kindErr := policyKind(d.APIVersion, d.Kind)
		if kindErr != nil {
			errs = append(errs, &Error{Origin: d.Origin, Object: d.Subject(), Err: kindErr})
			continue
		}
		if !isPolicy {
			plain = append(plain, *d)
			continue
		}
		if strict == nil {
			strict = yaml.NewDecoder(bytes.NewReader(data))
			strict.KnownFields(true)
		}
		for ; next < d.index; next++ {
			var skip yaml.Node
			if err := strict.Decode(&skip); err != nil {
				return set, plain, err
			}
		}
		next++
		if err := decodePolicy(strict, d, &set); err != nil {
			errs = append(errs, err)
		}
	}
	return set, plain, errs.Err()
}

// decodePolicy decodes the next document of dec, which is d, into set.
func decodePolicy(dec *yaml.Decoder, d *Document, set *Set) error {
	var target any
	switch d.Kind {
	case KindCluster:
		c := &Cluster{Origin: d.Origin}
		set.Clusters = append(set.Clusters, c)
		target = c
	case KindSubscription:
		s := &Subscription{Origin: d.Origin}
		set.Subscriptions = append(set.Subscriptions, s)
		target = s
	case KindLocalization:
		l := &Localization{Origin: d.Origin}
		set.Localizations = append(set.Localizations, l)
		target = l
	case KindGlobalization:
		g := &Globalization{Origin: d.Origin}
		set.Globalizations = append(set.Globalizations, g)
		target = g
	}
	err := dec.Decode(target)
	if errors.Is(err, io.EOF) {
		err = fmt.Errorf("document ended early")
	}
	if err != nil {
		set.drop(d.Kind)
		return yamlError(d.Origin.File, d.Origin.Line, d.Subject(), err)
	}
	return nil
}

// drop removes the last object of kind, one that failed to decode.
func (s *Set) drop(kind string) {
	switch kind {
	case KindCluster:
		s.Clusters = s.Clusters[:len(s.Clusters)-1]
	case KindSubscription:
		s.Subscriptions = s.Subscriptions[:len(s.Subscriptions)-1]
	case KindLocalization:
		s.Localizations = s.Localizations[:len(s.Localizations)-1]
	case KindGlobalization:
		s.Globalizations = s.Globalizations[:len(s.Globalizations)-1]
	}
}

// Merge appends other's objects to s.
func (s *Set) Merge(other Set) {
	s.Clusters = append(s.Clusters, other.Clusters...)
	s.Subscriptions = append(s.Subscriptions, other.Subscriptions...)
	s.Localizations = append(s.Localizations, other.Localizations...)
	s.Globalizations = append(s.Globalizations, other.Globalizations...)
}
