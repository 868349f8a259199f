package diff

import (
	"fmt"
	"io"
	"strings"
)

// truncationReserve is room kept for closing a section and the truncation
// note.
const truncationReserve = 400

// WriteMarkdown writes the report as a pull-request comment: a summary
// table of the (cluster, subscription) pairs that change, one line for the
// clusters that do not, held prunes and head problems, then a collapsed
// <details> section per changed cluster. Output stays within
// opts.MaxChars; what does not fit is left out with a note saying so.
func (r *Report) WriteMarkdown(w io.Writer, opts WriteOptions) error {
	limit := opts.MaxChars
	if limit <= 0 {
		limit = DefaultMaxChars
	}
	m := &markdown{limit: limit}
	m.header(r)
	for _, c := range r.Clusters {
		if c.touched() {
			m.cluster(c)
		}
	}
	_, err := io.WriteString(w, m.finish())
	return err
}

// markdown builds output from blocks, dropping every block from the first
// one that does not fit.
type markdown struct {
	out         strings.Builder
	limit       int
	truncated   bool
	openDetail  bool
	leftOut     int // objects left out
	sectionsCut int
}

// add appends block if it fits, keeping room for the truncation note.
func (m *markdown) add(block string) bool {
	if m.truncated || m.out.Len()+len(block)+truncationReserve > m.limit {
		m.truncated = true
		return false
	}
	m.out.WriteString(block)
	return true
}

func (m *markdown) header(r *Report) {
	var b strings.Builder
	if r.Live {
		fmt.Fprintf(&b, "### manifold diff\n\nlive clusters (base %s where unreachable) → head %s\n\n", code(revisionName(r.Base)), code(revisionName(r.Head)))
	} else {
		fmt.Fprintf(&b, "### manifold diff\n\nbase %s → head %s\n\n", code(revisionName(r.Base)), code(revisionName(r.Head)))
	}
	m.add(b.String())
	if r.Base.Error != "" {
		m.add(fmt.Sprintf("> [!WARNING]\n> The base revision does not render: %s\n\n", code(r.Base.Error)))
	}
	if r.Head.Error != "" {
		m.add(fmt.Sprintf("> [!CAUTION]\n> The head revision does not render, nothing would be synced: %s\n\n", code(r.Head.Error)))
	}
	var changed []string
	for _, c := range r.Clusters {
		for _, s := range c.Subscriptions {
			if s.touched() {
				changed = append(changed, fmt.Sprintf("| %s | %s | %d | %d | %d | %d | %d |\n", c.Name, s.Name,
					s.Counts.Created, s.Counts.Configured, s.Counts.Pruned, s.Counts.Held, s.Counts.Skipped))
			}
		}
	}
	if len(changed) > 0 {
		m.add("| cluster | subscription | created | configured | pruned | held | skipped |\n|---|---|--:|--:|--:|--:|--:|\n")
		for _, row := range changed {
			m.add(row)
		}
		m.add("\n")
	}
	var quiet, notes []string
	for _, c := range r.Clusters {
		switch {
		case !c.touched():
			quiet = append(quiet, c.Name)
		case c.Note != "":
			notes = append(notes, fmt.Sprintf("- **%s**: %s\n", c.Name, c.Note))
		}
	}
	for _, n := range notes {
		m.add(n)
	}
	if len(notes) > 0 {
		m.add("\n")
	}
	if len(quiet) > 0 {
		var b strings.Builder
		for _, name := range quiet {
			fmt.Fprintf(&b, "%s: no change  \n", name)
		}
		m.add(b.String() + "\n")
	}
	for _, c := range r.Clusters {
		for _, s := range c.Subscriptions {
			if s.HeldReason != "" {
				m.add(fmt.Sprintf("> [!WARNING]\n> **Held on %s (%s):** %s\n\n", c.Name, s.Name, s.HeldReason))
			}
		}
	}
	if len(r.Head.Problems) > 0 {
		m.add(fmt.Sprintf("**%d problem(s) at head** — the (cluster, subscription) pairs they concern are not synced:\n\n", len(r.Head.Problems)))
		for _, p := range r.Head.Problems {
			m.add("- " + code(p) + "\n")
		}
		m.add("\n")
	}
	if len(changed) == 0 && len(r.Head.Problems) == 0 && r.Head.Error == "" {
		m.add("No cluster changes.\n\n")
	}
}

// cluster writes one collapsed section.
func (m *markdown) cluster(c *Cluster) {
	var parts []string
	for _, s := range c.Subscriptions {
		if s.touched() {
			parts = append(parts, s.Name+": "+s.summary())
		}
	}
	if c.Note != "" && len(parts) == 0 {
		parts = append(parts, c.Note)
	}
	if !m.add(fmt.Sprintf("<details>\n<summary><b>%s</b> — %s</summary>\n\n", c.Name, htmlEscape(strings.Join(parts, "; ")))) {
		m.sectionsCut++
		m.leftOut += countObjects(c)
		return
	}
	m.openDetail = true
	for _, s := range c.Subscriptions {
		if !s.touched() {
			continue
		}
		var b strings.Builder
		fmt.Fprintf(&b, "#### %s\n\n", s.Name)
		if s.Error != "" {
			fmt.Fprintf(&b, "- **error** (not synced): %s\n", code(s.Error))
		}
		if s.HeldReason != "" {
			fmt.Fprintf(&b, "- **held**: %s\n", s.HeldReason)
		}
		for _, n := range s.Notes {
			fmt.Fprintf(&b, "- note: %s\n", n)
		}
		if !m.add(b.String()) {
			m.leftOut += len(s.Objects)
			continue
		}
		for i, o := range s.Objects {
			if !m.add(objectMarkdown(o)) {
				m.leftOut += len(s.Objects) - i
				break
			}
		}
		m.add("\n")
	}
	if !m.truncated {
		m.out.WriteString("</details>\n\n")
		m.openDetail = false
	}
}

func countObjects(c *Cluster) int {
	n := 0
	for _, s := range c.Subscriptions {
		n += len(s.Objects)
	}
	return n
}

// objectMarkdown is one object's list item with its fields and diff.
func objectMarkdown(o *Object) string {
	var b strings.Builder
	fmt.Fprintf(&b, "- **%s** %s", o.Action, code(o.Subject))
	if o.Origin != "" {
		fmt.Fprintf(&b, " from %s", code(o.Origin))
	}
	if o.Reason != "" {
		fmt.Fprintf(&b, " — %s", o.Reason)
	}
	if o.Error != "" {
		fmt.Fprintf(&b, " — **dry run failed**: %s", code(o.Error))
	}
	b.WriteString("\n")
	for _, f := range o.Fields {
		fmt.Fprintf(&b, "  - %s %s", f.Change, code(f.Path))
		if f.Source != nil {
			fmt.Fprintf(&b, " ← %s", sourceMarkdown(f.Source))
		}
		b.WriteString("\n")
	}
	if o.Diff != "" {
		fence := fenceFor(o.Diff)
		fmt.Fprintf(&b, "\n  %sdiff\n", fence)
		for _, l := range lines(o.Diff) {
			fmt.Fprintf(&b, "  %s\n", l)
		}
		fmt.Fprintf(&b, "  %s\n", fence)
	}
	return b.String()
}

func sourceMarkdown(s *Source) string {
	switch s.Kind {
	case SourceOverride:
		return fmt.Sprintf("%s override %s (%s)", code(s.Policy), code(s.Override), code(s.Origin))
	case SourceManifold:
		return "manifold's render rules"
	}
	return code(s.Origin)
}

// finish closes an open section and adds the truncation note.
func (m *markdown) finish() string {
	if m.truncated {
		if m.openDetail {
			m.out.WriteString("\n</details>\n\n")
		}
		fmt.Fprintf(&m.out, "> [!NOTE]\n> **Truncated** to stay under %d characters", m.limit)
		var cut []string
		if m.leftOut > 0 {
			cut = append(cut, fmt.Sprintf("%d object(s)", m.leftOut))
		}
		if m.sectionsCut > 0 {
			cut = append(cut, fmt.Sprintf("%d cluster section(s)", m.sectionsCut))
		}
		if len(cut) > 0 {
			fmt.Fprintf(&m.out, ": %s left out", strings.Join(cut, " and "))
		}
		m.out.WriteString(". Run `manifold diff` locally for the full preview.\n")
	}
	return m.out.String()
}

// code formats s as an inline code span, whatever backticks it holds.
func code(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	ticks := "`"
	for strings.Contains(s, ticks) {
		ticks += "`"
	}
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		return ticks + " " + s + " " + ticks
	}
	return ticks + s + ticks
}

// fenceFor returns a code fence longer than any backtick run in s.
func fenceFor(s string) string {
	fence := "```"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	return fence
}

var htmlReplacer = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

func htmlEscape(s string) string { return htmlReplacer.Replace(s) }
