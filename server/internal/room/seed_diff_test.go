package room

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/pairpad/pairpad/crdt"
)

// TestBudgetedDiff: the diff of large texts (compared line by line beyond their common start and
// end) still turns one into the other, and a change of one letter in a long line is one letter
// deleted and one inserted, whatever is around it.
func TestBudgetedDiff(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	words := func(n int, sep string) string {
		var w []string
		for range n {
			w = append(w, strings.Repeat(string(rune('a'+rng.IntN(26))), 1+rng.IntN(6)))
		}
		return strings.Join(w, sep)
	}
	long := words(20000, " ") // one line, far beyond seedLetterDiffBytes
	for _, tc := range []struct{ name, a, b string }{
		{"one letter in a long line", long, long[:50000] + "é" + long[50001:]},
		{"dissimilar lines", words(8000, "\n"), words(8000, "\n")},
		{"a block of lines moved", "x\n" + words(5000, "\n") + "\ny\n" + words(3000, "\n"), "y\n" + words(3000, "\n") + "\nx\n" + words(5000, "\n")},
		{"small", "hello world", "hello, wide world"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := budgetedDiff{deadline: time.Now().Add(time.Second), now: time.Now}
			edits := d.Diff(tc.a, tc.b)
			var got strings.Builder
			at, changed := 0, 0
			for _, e := range edits {
				switch e.Op {
				case crdt.EditKeep:
					if tc.a[at:at+len(e.Text)] != e.Text {
						t.Fatalf("keeps %.20q at %d, where the text has %.20q", e.Text, at, tc.a[at:])
					}
					got.WriteString(e.Text)
					at += len(e.Text)
				case crdt.EditDelete:
					at += len(e.Text)
					changed += len(e.Text)
				case crdt.EditInsert:
					got.WriteString(e.Text)
					changed += len(e.Text)
				}
			}
			if at != len(tc.a) || got.String() != tc.b {
				t.Fatalf("the edits do not turn a (%d bytes) into b (%d bytes)", len(tc.a), len(tc.b))
			}
			if tc.name == "one letter in a long line" && changed > 3 {
				t.Fatalf("a one-letter change is %d bytes of edits", changed)
			}
		})
	}
}
