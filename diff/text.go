package diff

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Format is an output format of a report.
type Format string

// Formats.
const (
	Text     Format = "text"
	Markdown Format = "markdown"
	JSON     Format = "json"
)

// DefaultMaxChars caps markdown output: a pull-request comment holds at
// most 65,536 characters.
const DefaultMaxChars = 60000

// WriteOptions tune the output.
type WriteOptions struct {
	// MaxChars caps markdown output, counted in bytes (so never more
	// characters); 0 means DefaultMaxChars.
	MaxChars int
}

// Write writes the report in format f.
func (r *Report) Write(w io.Writer, f Format, opts WriteOptions) error {
	switch f {
	case Text:
		return r.WriteText(w)
	case Markdown:
		return r.WriteMarkdown(w, opts)
	case JSON:
		return r.WriteJSON(w)
	}
	return fmt.Errorf("unknown output format %q: use text, markdown or json", f)
}

// WriteJSON writes the report as indented JSON (see the package doc).
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

// WriteText writes the report for a terminal: one line per unchanged
// cluster, a block per changed (cluster, subscription) with its objects,
// changed fields and their sources, and unified diffs.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	if r.Live {
		fmt.Fprintf(&b, "manifold diff: live clusters (base %s where unreachable), head %s\n", revisionName(r.Base), revisionName(r.Head))
	} else {
		fmt.Fprintf(&b, "manifold diff: base %s, head %s\n", revisionName(r.Base), revisionName(r.Head))
	}
	if r.Base.Error != "" {
		fmt.Fprintf(&b, "base error: %s\n", r.Base.Error)
	}
	if r.Head.Error != "" {
		fmt.Fprintf(&b, "head error: %s\n", r.Head.Error)
	}
	for _, p := range r.Head.Problems {
		fmt.Fprintf(&b, "head problem: %s\n", p)
	}
	for _, c := range r.Clusters {
		if !c.touched() {
			fmt.Fprintf(&b, "%s: no change\n", c.Name)
			continue
		}
		if c.Note != "" {
			fmt.Fprintf(&b, "%s: %s\n", c.Name, c.Note)
		}
		for _, s := range c.Subscriptions {
			if !s.touched() {
				fmt.Fprintf(&b, "%s %s: no change\n", c.Name, s.Name)
				continue
			}
			fmt.Fprintf(&b, "%s %s: %s\n", c.Name, s.Name, s.summary())
			writeSubscriptionText(&b, s)
		}
	}
	if len(r.Clusters) == 0 && r.Head.Error == "" {
		b.WriteString("no clusters\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeSubscriptionText(b *strings.Builder, s *Subscription) {
	if s.Error != "" {
		fmt.Fprintf(b, "  error: %s\n", s.Error)
	}
	if s.HeldReason != "" {
		fmt.Fprintf(b, "  held: %s\n", s.HeldReason)
	}
	for _, n := range s.Notes {
		fmt.Fprintf(b, "  note: %s\n", n)
	}
	for _, o := range s.Objects {
		fmt.Fprintf(b, "  %s %s%s\n", o.Action, o.Subject, o.detail())
		for _, f := range o.Fields {
			fmt.Fprintf(b, "    %s %s%s\n", f.Change, f.Path, f.from())
		}
		for _, l := range lines(o.Diff) {
			fmt.Fprintf(b, "    %s\n", l)
		}
	}
}

// touched reports whether the cluster has anything to show beyond "no change".
func (c *Cluster) touched() bool {
	if c.Changed || c.Note != "" {
		return true
	}
	for _, s := range c.Subscriptions {
		if s.touched() {
			return true
		}
	}
	return false
}

func (s *Subscription) touched() bool {
	return s.Changed || s.Error != "" || len(s.Notes) > 0
}

// summary is "created 12, held 1", or "error" / "no change".
func (s *Subscription) summary() string {
	var parts []string
	for _, ac := range s.Counts.changes() {
		parts = append(parts, ac.String())
	}
	if s.Error != "" {
		parts = append(parts, "not synced: the head revision does not render")
	}
	if len(parts) == 0 {
		return "no change"
	}
	return strings.Join(parts, ", ")
}

// detail is the origin and reason after an object's subject.
func (o *Object) detail() string {
	var parts []string
	if o.Origin != "" {
		parts = append(parts, "from "+o.Origin)
	}
	if o.Reason != "" {
		parts = append(parts, o.Reason)
	}
	if o.Error != "" {
		parts = append(parts, "dry run failed: "+o.Error)
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, "; ") + ")"
}

// from names a field's source.
func (f Field) from() string {
	if f.Source == nil {
		return ""
	}
	return ": from " + f.Source.String()
}

func revisionName(r Revision) string {
	if r.Revision == "" {
		return "working tree"
	}
	if len(r.Revision) > 12 {
		return r.Revision[:12]
	}
	return r.Revision
}
