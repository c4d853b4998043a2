package room

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/sergi/go-diff/diffmatchpatch"
)

// TestDiffTexts: the diff of large texts (compared line by line beyond their common start and
// end) still turns one into the other, and a change of one letter in a long line is one letter
// deleted and one inserted, whatever is around it.
func TestDiffTexts(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	words := func(n int, sep string) string { return randomText(rng, 5*n, sep) }
	long := words(20000, " ") // one line, far beyond seedLetterDiffBytes
	for _, tc := range []struct {
		name, a, b string
		maxChanged int
	}{
		{"one letter in a long line", long, long[:50000] + "é" + long[50001:], 3},
		{"dissimilar lines", words(8000, "\n"), words(8000, "\n"), -1},
		{"a block of lines moved", "x\n" + words(5000, "\n") + "\ny\n" + words(3000, "\n"), "y\n" + words(3000, "\n") + "\nx\n" + words(5000, "\n"), -1},
		{"small", "hello world", "hello, wide world", 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got strings.Builder
			at, changed := 0, 0
			for _, d := range diffTexts(tc.a, tc.b) {
				switch d.Type {
				case diffmatchpatch.DiffEqual:
					if tc.a[at:at+len(d.Text)] != d.Text {
						t.Fatalf("keeps %.20q at %d, where the text has %.20q", d.Text, at, tc.a[at:])
					}
					got.WriteString(d.Text)
					at += len(d.Text)
				case diffmatchpatch.DiffDelete:
					at += len(d.Text)
					changed += len(d.Text)
				case diffmatchpatch.DiffInsert:
					got.WriteString(d.Text)
					changed += len(d.Text)
				}
			}
			if at != len(tc.a) || got.String() != tc.b {
				t.Fatalf("the diff does not turn a (%d bytes) into b (%d bytes)", len(tc.a), len(tc.b))
			}
			if tc.maxChanged >= 0 && changed > tc.maxChanged {
				t.Fatalf("a change of a few letters is %d bytes of edits", changed)
			}
		})
	}
}
