package diff

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestUnified(t *testing.T) {
	numbered := func(n int) []string {
		var out []string
		for i := 1; i <= n; i++ {
			out = append(out, "l"+string(rune('a'+i-1)))
		}
		return out
	}
	with := func(lines []string, i int, s string) []string {
		out := append([]string(nil), lines...)
		out[i] = s
		return out
	}
	twenty := numbered(20)
	for _, tc := range []struct {
		name string
		a, b []string
		want string
	}{
		{name: "equal", a: twenty, b: twenty, want: ""},
		{name: "both empty", want: ""},
		{name: "one line changed", a: twenty, b: with(twenty, 9, "X"), want: `@@ -7,7 +7,7 @@
 lg
 lh
 li
-lj
+X
 lk
 ll
 lm
`},
		{name: "two hunks", a: twenty, b: with(with(twenty, 1, "X"), 18, "Y"), want: `@@ -1,5 +1,5 @@
 la
-lb
+X
 lc
 ld
 le
@@ -16,5 +16,5 @@
 lp
 lq
 lr
-ls
+Y
 lt
`},
		{name: "close changes share a hunk", a: twenty, b: with(with(twenty, 5, "X"), 12, "Y"), want: `@@ -3,14 +3,14 @@
 lc
 ld
 le
-lf
+X
 lg
 lh
 li
 lj
 lk
 ll
-lm
+Y
 ln
 lo
 lp
`},
		{name: "added to empty", b: []string{"a", "b"}, want: "@@ -0,0 +1,2 @@\n+a\n+b\n"},
		{name: "removed all", a: []string{"a"}, want: "@@ -1 +0,0 @@\n-a\n"},
		{name: "insertion", a: []string{"a", "b", "c"}, b: []string{"a", "b", "new", "c"}, want: "@@ -1,3 +1,4 @@\n a\n b\n+new\n c\n"},
		{name: "reorder", a: []string{"x", "a", "y"}, b: []string{"x", "b", "y"}, want: "@@ -1,3 +1,3 @@\n x\n-a\n+b\n y\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := unified("a", "b", tc.a, tc.b, 3)
			want := tc.want
			if want != "" {
				want = "--- a\n+++ b\n" + want
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

// TestUnifiedLarge: a middle too large for the table is shown as removed
// then added, still a valid diff.
func TestUnifiedLarge(t *testing.T) {
	var a, b []string
	for i := 0; i < 3000; i++ {
		a = append(a, "a"+strings.Repeat("x", i%7))
		b = append(b, "b"+strings.Repeat("x", i%7))
	}
	got := unified("a", "b", a, b, 3)
	if !strings.HasPrefix(got, "--- a\n+++ b\n@@ -1,3000 +1,3000 @@\n") || strings.Count(got, "\n-") != 3000 || strings.Count(got, "\n+") != 3001 {
		t.Errorf("unexpected large diff: %.200s", got)
	}
}
