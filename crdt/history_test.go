package crdt

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/sergi/go-diff/diffmatchpatch"
)

// goDiff is a Differ of go-diff's diffs, as the server's.
type goDiff struct{}

func (goDiff) Diff(a, b string) []Edit {
	dmp := diffmatchpatch.New()
	return edits(dmp.DiffCleanupSemanticLossless(dmp.DiffMain(a, b, true)))
}

func (goDiff) DiffLines(a, b string) []Edit {
	dmp := diffmatchpatch.New()
	ac, bc, lines := dmp.DiffLinesToChars(a, b)
	return edits(dmp.DiffCharsToLines(dmp.DiffMain(ac, bc, false), lines))
}

func edits(diffs []diffmatchpatch.Diff) []Edit {
	var edits []Edit
	for _, d := range diffs {
		op := map[diffmatchpatch.Operation]EditOp{
			diffmatchpatch.DiffEqual: EditKeep, diffmatchpatch.DiffDelete: EditDelete, diffmatchpatch.DiffInsert: EditInsert,
		}[d.Type]
		edits = append(edits, Edit{op, d.Text})
	}
	return edits
}

// historyRig is a server document, another peer editing it, and the history of one whole-text
// client of the server.
type historyRig struct {
	t        *testing.T
	server   *Doc
	text     *Text
	peer     *Doc
	peerText *Text
	h        *TextHistory
	sent     map[int]string // the versions recorded, by number
}

func newHistoryRig(t *testing.T, initial string) *historyRig {
	t.Helper()
	r := &historyRig{t: t, sent: map[int]string{}}
	r.server, _ = NewDoc(Options{ClientID: 1})
	r.text, _ = r.server.GetText("code")
	r.peer, _ = NewDoc(Options{ClientID: 2})
	r.peerText, _ = r.peer.GetText("code")
	r.others(func(tx *Transaction, x *Text) error { return x.Insert(tx, 0, initial) })
	r.h = NewTextHistory(r.text, 1<<20)
	return r
}

// others makes an edit on the peer and delivers it to the server.
func (r *historyRig) others(edit func(tx *Transaction, x *Text) error) {
	r.t.Helper()
	update, err := r.peer.Transact(func(tx *Transaction) error { return edit(tx, r.peerText) })
	if err != nil {
		r.t.Fatal(err)
	}
	if err := r.server.ApplyUpdate(update); err != nil {
		r.t.Fatal(err)
	}
}

// type_ has the peer insert s at a random place.
func (r *historyRig) type_(rng *rand.Rand, s string) {
	r.others(func(tx *Transaction, x *Text) error { return x.Insert(tx, rng.IntN(x.Len()+1), s) })
}

// send records the server's text as a version sent to the client and returns it.
func (r *historyRig) send() string {
	k := r.h.Record()
	r.sent[k] = r.text.String()
	return r.sent[k]
}

// merge merges the client's text and delivers the result to the peer.
func (r *historyRig) merge(code string) {
	r.t.Helper()
	update, err := r.server.Transact(func(tx *Transaction) error { return r.h.Merge(tx, code, goDiff{}) })
	if err != nil {
		r.t.Fatal(err)
	}
	if update == nil {
		return
	}
	if err := r.peer.ApplyUpdate(update); err != nil {
		r.t.Fatal(err)
	}
}

// checkVersions checks that every recorded version a candidate may still be is held whole.
func (r *historyRig) checkVersions() {
	r.t.Helper()
	lo, _ := r.h.candidates()
	for k := lo; k <= r.h.latest; k++ {
		if got := r.h.view(state{k}.holds).text; got != r.sent[k] {
			r.t.Fatalf("version %d: the history holds %q, %q was sent", k, got, r.sent[k])
		}
	}
}

func TestHistoryHoldsEveryCandidateVersion(t *testing.T) {
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 1))
		r := newHistoryRig(t, "func main() {\n}\n")
		var versions []string
		for range 200 {
			switch n := r.peerText.Len(); rng.IntN(5) {
			case 0, 1:
				r.type_(rng, string(rune('a'+rng.IntN(26))))
			case 2:
				if n > 0 {
					at := rng.IntN(n)
					r.others(func(tx *Transaction, x *Text) error { return x.Delete(tx, at, min(n-at, 1+rng.IntN(3))) })
				}
			case 3:
				versions = append(versions, r.send())
			case 4:
				if len(versions) > 0 {
					base := versions[rng.IntN(len(versions))]
					at := rng.IntN(len(base) + 1)
					r.merge(base[:at] + "é" + base[at:])
				}
			}
			r.checkVersions()
		}
	}
}

// TestHistoryLateClientKeepsOthersText: while three typists type and correct words at the
// ends of their lines, a client that answers each version it is sent several versions late,
// with the text of that version and a line of its own appended, deletes none of what they
// typed and doubles none of it, and each of its lines is in the text once.
func TestHistoryLateClientKeepsOthersText(t *testing.T) {
	for _, anywhere := range []bool{false, true} {
		for _, lag := range []int{1, 5, 30, 200} {
			for seed := range uint64(lateSeeds) {
				name := fmt.Sprint("lag ", lag, " seed ", seed, " anywhere ", anywhere)
				t.Run(name, func(t *testing.T) { lateClient(t, lag, seed, anywhere) })
			}
		}
	}
}

// lateSeeds is how many runs of each lag TestHistoryLateClientKeepsOthersText makes.
var lateSeeds = 5

// lateClient is one run of TestHistoryLateClientKeepsOthersText. The typists type at the ends
// of their lines, or anywhere in them.
func lateClient(t *testing.T, lag int, seed uint64, anywhere bool) {
	rng := rand.New(rand.NewPCG(uint64(lag), seed))
	r := newHistoryRig(t, "a:\nb:\nc:\n")
	typed := []string{"a:", "b:", "c:"}
	var versions, lines []string
	for i := range 600 {
		for range 1 + rng.IntN(3) {
			line := rng.IntN(len(typed))
			if strings.Split(r.peerText.String(), "\n")[line] != typed[line] {
				t.Fatalf("typist %d typed %q, the text has %q", line, typed[line], strings.Split(r.peerText.String(), "\n")[line])
			}
			at := len(typed[line]) // where in the line, after its "a:"
			if anywhere {
				at = 2 + rng.IntN(len(typed[line])-1)
			}
			pos := lineEnd(r.peerText.String(), line) - len(typed[line]) + at
			if rng.IntN(6) == 0 && at > 2 {
				r.others(func(tx *Transaction, x *Text) error { return x.Delete(tx, pos-1, 1) })
				typed[line] = typed[line][:at-1] + typed[line][at:]
				continue
			}
			c := string("etaoin shrdlu"[rng.IntN(13)])
			r.others(func(tx *Transaction, x *Text) error { return x.Insert(tx, pos, c) })
			typed[line] = typed[line][:at] + c + typed[line][at:]
		}
		versions = append(versions, r.send())
		if i >= lag && i%3 == 0 {
			line := fmt.Sprintf("%s := %d // the late client\n", words(rng, 3), i)
			lines = append(lines, line)
			r.merge(versions[i-lag] + line)
		}
	}
	got := r.text.String()
	if want := strings.Join(typed, "\n") + "\n" + strings.Join(lines, ""); len(got) != len(want) {
		t.Fatalf("the text is %d bytes, want %d: characters were lost or doubled:\n%s", len(got), len(want), got)
	}
	for i, want := range typed {
		if line := strings.Split(got, "\n")[i]; line != want {
			t.Fatalf("typist %d typed %q, the text has %q", i, want, line)
		}
	}
	for _, line := range lines {
		if n := strings.Count(got, line); n != 1 {
			t.Fatalf("%q is in the text %d times:\n%s", line, n, got)
		}
	}
	if got != r.peerText.String() {
		t.Fatal("the peer's text differs from the server's")
	}
}

// words returns n random words joined by underscores, as names in code are.
func words(rng *rand.Rand, n int) string {
	all := strings.Fields("alpha beta gamma delta count total index value buffer reader writer " +
		"offset length cursor state queue store cache result error config option handler")
	var picked []string
	for range n {
		picked = append(picked, all[rng.IntN(len(all))])
	}
	return strings.Join(picked, "_")
}

// lineEnd returns the UTF-16 offset of the end of line n (0-based) of s, an ASCII text.
func lineEnd(s string, n int) int {
	at := -1
	for range n + 1 {
		at += 1 + strings.IndexByte(s[at+1:], '\n')
	}
	return at
}

// TestHistoryOwnEdits: a client typing alone gets exactly the text it sends, deletions of what it
// typed a moment ago included, whether the server sends it the merged text after each (as the
// seed protocol does) or not.
func TestHistoryOwnEdits(t *testing.T) {
	for _, echo := range []bool{false, true} {
		t.Run(fmt.Sprint("echo ", echo), func(t *testing.T) {
			r := newHistoryRig(t, "x = 1\n")
			r.send()
			for _, code := range []string{"x = 1\ny", "x = 1\nyz", "x = 1\ny", "x = 1\n", "x = 1\nprint(x)\n", "print(x)\n", ""} {
				r.merge(code)
				if got := r.text.String(); got != code {
					t.Fatalf("sent %q, the text is %q", code, got)
				}
				if echo {
					r.send()
				}
			}
		})
	}
}

// TestHistoryWholeReplacements: replacing the whole text again and again leaves exactly the
// last text, with nothing of the earlier ones.
func TestHistoryWholeReplacements(t *testing.T) {
	r := newHistoryRig(t, strings.Repeat("old text ", 100))
	r.send()
	for i := range 3 {
		code := strings.Repeat(fmt.Sprintf("replacement %d; ", i), 50+i)
		r.merge(code)
		if got := r.text.String(); got != code {
			t.Fatalf("replacement %d: the text is %d bytes, %d were sent", i, len(got), len(code))
		}
	}
}

// TestHistoryStaleText: text others deleted after the client's version, which the client still
// shows when it sends, stays deleted and is not inserted again; text they inserted stays.
func TestHistoryStaleText(t *testing.T) {
	r := newHistoryRig(t, "alpha beta gamma\n")
	v1 := r.send()
	r.others(func(tx *Transaction, x *Text) error { return x.Delete(tx, 6, 5) }) // "beta "
	r.send()
	r.others(func(tx *Transaction, x *Text) error { return x.Insert(tx, 0, "# ") })
	r.send()
	r.merge(v1 + "delta\n")
	if got, want := r.text.String(), "# alpha gamma\ndelta\n"; got != want {
		t.Fatalf("the text is %q, want %q", got, want)
	}
}

// TestHistoryForgetsOldDeletedText: past its bound on deleted text the history forgets the
// oldest; what a late client shows of it comes back once, and nothing of others' is deleted.
func TestHistoryForgetsOldDeletedText(t *testing.T) {
	r := newHistoryRig(t, "keep\n")
	r.h.maxDead = 16
	v1 := r.send()
	for i := range 10 {
		r.others(func(tx *Transaction, x *Text) error { return x.Insert(tx, x.Len(), fmt.Sprintf("tmp%d\n", i)) })
		r.send()
		r.others(func(tx *Transaction, x *Text) error { return x.Delete(tx, x.Len()-5, 5) })
		r.send()
	}
	r.others(func(tx *Transaction, x *Text) error { return x.Insert(tx, 0, "new\n") })
	r.send()
	r.merge(v1 + "mine\n")
	if got, want := r.text.String(), "new\nkeep\nmine\n"; got != want {
		t.Fatalf("the text is %q, want %q", got, want)
	}
}
