package render

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Filter narrows output to one cluster and/or one subscription; empty
// fields match everything.
type Filter struct {
	Cluster      string
	Subscription string
}

// Matches reports whether a set passes the filter.
func (f Filter) Matches(s *DesiredSet) bool {
	return (f.Cluster == "" || f.Cluster == s.Cluster) && (f.Subscription == "" || f.Subscription == s.Subscription)
}

// WriteYAML writes the objects of every rendered set that passes the filter
// as multi-document YAML, sorted by cluster, subscription and object key,
// each document preceded by "# cluster: NAME subscription: NAME".
func (r *Result) WriteYAML(w io.Writer, f Filter) error {
	for _, s := range r.Sets {
		if s.Err != nil || !f.Matches(s) {
			continue
		}
		for _, o := range s.Objects {
			y, err := o.YAML()
			if err != nil {
				return fmt.Errorf("%s: %w", o.Key, err)
			}
			if _, err := fmt.Fprintf(w, "---\n# cluster: %s subscription: %s\n%s", s.Cluster, s.Subscription, y); err != nil {
				return err
			}
		}
	}
	return nil
}

// WriteDir writes every rendered object that passes the filter to
// dir/<cluster>/<subscription>/<group>_<kind>_<namespace>_<name>.yaml.
func (r *Result) WriteDir(dir string, f Filter) error {
	for _, s := range r.Sets {
		if s.Err != nil || !f.Matches(s) {
			continue
		}
		setDir := filepath.Join(dir, s.Cluster, s.Subscription)
		if err := os.MkdirAll(setDir, 0o755); err != nil {
			return err
		}
		for _, o := range s.Objects {
			y, err := o.YAML()
			if err != nil {
				return fmt.Errorf("%s: %w", o.Key, err)
			}
			if err := os.WriteFile(filepath.Join(setDir, o.Key.FileName()), y, 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}

// ObjectCount returns the number of objects in rendered sets.
func (r *Result) ObjectCount() int {
	n := 0
	for _, s := range r.Sets {
		n += len(s.Objects)
	}
	return n
}
