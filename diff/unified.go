package diff

import (
	"fmt"
	"strings"
)

// maxLCSCells bounds the table of the longest-common-subsequence search;
// a larger middle section is shown as removed then added.
const maxLCSCells = 4 << 20

// edit is one line of an edit script.
type edit struct {
	op   byte // ' ', '-' or '+'
	text string
}

// unified returns a unified diff of a and b with n lines of context, or ""
// when they are equal. The result is deterministic: of several shortest
// edit scripts, removals come before additions.
func unified(aName, bName string, a, b []string, n int) string {
	script := editScript(a, b)
	var out strings.Builder
	fmt.Fprintf(&out, "--- %s\n+++ %s\n", aName, bName)
	hunks := 0
	for start := 0; start < len(script); {
		// Find the next change.
		first := start
		for first < len(script) && script[first].op == ' ' {
			first++
		}
		if first == len(script) {
			break
		}
		// Extend the hunk while changes are at most 2n lines apart.
		last := first
		for i := first; i < len(script); i++ {
			if script[i].op != ' ' {
				last = i
			} else if i-last > 2*n {
				break
			}
		}
		from := max(first-n, start)
		to := min(last+n+1, len(script))
		writeHunk(&out, script, from, to)
		hunks++
		start = to
	}
	if hunks == 0 {
		return ""
	}
	return out.String()
}

// writeHunk writes script[from:to] with its @@ header. Line numbers count
// the lines of each side before from.
func writeHunk(out *strings.Builder, script []edit, from, to int) {
	aLine, bLine := 1, 1
	for _, e := range script[:from] {
		if e.op != '+' {
			aLine++
		}
		if e.op != '-' {
			bLine++
		}
	}
	aLen, bLen := 0, 0
	for _, e := range script[from:to] {
		if e.op != '+' {
			aLen++
		}
		if e.op != '-' {
			bLen++
		}
	}
	fmt.Fprintf(out, "@@ -%s +%s @@\n", hunkRange(aLine, aLen), hunkRange(bLine, bLen))
	for _, e := range script[from:to] {
		out.WriteByte(e.op)
		out.WriteString(e.text)
		out.WriteByte('\n')
	}
}

// hunkRange formats a hunk side: start,length, where an empty side names
// the line before it.
func hunkRange(start, length int) string {
	if length == 0 {
		start--
	}
	if length == 1 {
		return fmt.Sprint(start)
	}
	return fmt.Sprintf("%d,%d", start, length)
}

// editScript turns a into b: the common prefix and suffix are kept, and the
// middle is aligned by a longest common subsequence.
func editScript(a, b []string) []edit {
	prefix := 0
	for prefix < len(a) && prefix < len(b) && a[prefix] == b[prefix] {
		prefix++
	}
	suffix := 0
	for suffix < len(a)-prefix && suffix < len(b)-prefix && a[len(a)-1-suffix] == b[len(b)-1-suffix] {
		suffix++
	}
	script := make([]edit, 0, len(a)+len(b))
	for _, l := range a[:prefix] {
		script = append(script, edit{' ', l})
	}
	script = append(script, middle(a[prefix:len(a)-suffix], b[prefix:len(b)-suffix])...)
	for _, l := range a[len(a)-suffix:] {
		script = append(script, edit{' ', l})
	}
	return script
}

// middle aligns a and b by a longest common subsequence, or, when the table
// would be too large, removes all of a and adds all of b.
func middle(a, b []string) []edit {
	var out []edit
	if len(a)*len(b) > maxLCSCells {
		for _, l := range a {
			out = append(out, edit{'-', l})
		}
		for _, l := range b {
			out = append(out, edit{'+', l})
		}
		return out
	}
	// lcs[i*(m+1)+j] is the LCS length of a[i:] and b[j:].
	n, m := len(a), len(b)
	lcs := make([]int32, (n+1)*(m+1))
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i*(m+1)+j] = lcs[(i+1)*(m+1)+j+1] + 1
			} else {
				lcs[i*(m+1)+j] = max(lcs[(i+1)*(m+1)+j], lcs[i*(m+1)+j+1])
			}
		}
	}
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && a[i] == b[j]:
			out = append(out, edit{' ', a[i]})
			i++
			j++
		case j == m || i < n && lcs[(i+1)*(m+1)+j] >= lcs[i*(m+1)+j+1]:
			out = append(out, edit{'-', a[i]})
			i++
		default:
			out = append(out, edit{'+', b[j]})
			j++
		}
	}
	return out
}
