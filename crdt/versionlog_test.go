package crdt

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf16"
)

// TestVersionLog appends versions of a text edited at random (multi-byte and surrogate-pair
// letters among them) and checks that every version the log rebuilds, and every text it
// lists, is the one appended, before and after it forgets the oldest.
func TestVersionLog(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	doc, _ := NewDoc(Options{ClientID: 3})
	text, _ := doc.GetText("code")
	letters := []string{"a", "b", "\n", "é", "€", "😀"}
	var log VersionLog
	var want []*TextVersion
	for range 300 {
		mustTransact(t, doc, func(tx *Transaction) error {
			n := text.Len()
			if n > 0 && rng.IntN(3) == 0 {
				at := rng.IntN(n)
				return text.Delete(tx, at, min(1+rng.IntN(3), n-at))
			}
			s := ""
			for range 1 + rng.IntN(4) {
				s += letters[rng.IntN(len(letters))]
			}
			return text.Insert(tx, unitBoundary(text.String(), rng.IntN(n+1)), s)
		})
		v := text.Version()
		log.Append(v)
		want = append(want, v)
		if rng.IntN(4) == 0 { // unchanged versions are sent too
			log.Append(v)
			want = append(want, v)
		}
	}
	check := func(stage string) {
		t.Helper()
		if log.Len() != len(want) {
			t.Fatalf("%s: Len = %d, want %d", stage, log.Len(), len(want))
		}
		for i, w := range want {
			if got := log.Version(i); !got.Same(w) {
				t.Fatalf("%s: version %d = %q, want %q", stage, i, got.String(), w.String())
			}
		}
		n := 0
		log.Texts(func(i int, text []byte) {
			if string(text) != want[i].String() {
				t.Fatalf("%s: text %d = %q, want %q", stage, i, text, want[i].String())
			}
			n++
		})
		if n != len(want) {
			t.Fatalf("%s: Texts listed %d versions, want %d", stage, n, len(want))
		}
	}
	check("appended")
	whole := log.Bytes()
	for _, drop := range []int{1, 31, 32, 45, 100} {
		log.DropBefore(drop)
		want = want[drop:]
		check("dropped")
	}
	if log.Bytes() >= whole {
		t.Errorf("Bytes = %d after dropping versions, %d before", log.Bytes(), whole)
	}
	var all int
	for _, w := range want {
		all += w.bytes()
	}
	if log.Bytes()*2 > all { // whole versions every 32, and each delta about one edit
		t.Errorf("the log takes %d bytes for versions that take %d whole", log.Bytes(), all)
	}
}

// unitBoundary returns the UTF-16 offset nearest before i that does not split a surrogate pair.
func unitBoundary(s string, i int) int {
	units := utf16.Encode([]rune(s))
	if i > 0 && i < len(units) && utf16.IsSurrogate(rune(units[i])) && units[i] >= 0xDC00 {
		return i - 1
	}
	return i
}

// TestTextEditReturnsTheClientVersion applies a diff to an old version while another peer
// edited the text, and checks the version it returns: the client's text, with the identities
// of the units it kept, so that a later diff against it applies.
func TestTextEditReturnsTheClientVersion(t *testing.T) {
	doc, _ := NewDoc(Options{ClientID: 1})
	text, _ := doc.GetText("code")
	mustTransact(t, doc, func(tx *Transaction) error { return text.Insert(tx, 0, "hello world") })
	v := text.Version()
	mustTransact(t, doc, func(tx *Transaction) error { return text.Insert(tx, 5, ",") })
	var got *TextVersion
	mustTransact(t, doc, func(tx *Transaction) (err error) {
		got, err = text.Edit(tx, v, []VersionEdit{{EditKeep, "hello"}, {EditDelete, " "}, {EditInsert, "_"}, {EditKeep, "world"}, {EditInsert, "😀"}})
		return err
	})
	if got.String() != "hello_world😀" || text.String() != "hello,_world😀" {
		t.Fatalf("Edit = %q, text %q; want %q, %q", got.String(), text.String(), "hello_world😀", "hello,_world😀")
	}
	mustTransact(t, doc, func(tx *Transaction) error {
		_, err := text.Edit(tx, got, []VersionEdit{{EditKeep, "hello_"}, {EditDelete, "world"}, {EditKeep, "😀"}, {EditInsert, "!"}})
		return err
	})
	if text.String() != "hello,_😀!" {
		t.Errorf("an edit of the returned version gives %q, want %q", text.String(), "hello,_😀!")
	}
}

// FuzzVersionLog edits a text from the fuzzer's bytes (inserts of letters of 1 to 4 bytes,
// some outside the BMP, deletions that may split a surrogate pair), appends a version after
// each edit and drops the oldest now and then: every version the log holds rebuilds as it was
// appended, and its text lists so.
func FuzzVersionLog(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 200, 100, 50})
	f.Add([]byte("insert, delete, drop: the fuzzer's bytes pick which"))
	f.Fuzz(func(t *testing.T, ops []byte) {
		if len(ops) > 600 {
			return
		}
		doc, _ := NewDoc(Options{ClientID: 5})
		text, _ := doc.GetText("code")
		letters := []string{"a", "\n", "é", "€", "😀"}
		var log VersionLog
		var want []*TextVersion
		for i := 0; i+1 < len(ops); i += 2 {
			op, arg := ops[i], int(ops[i+1])
			switch {
			case op%8 == 7 && len(want) > 0: // drop
				n := arg % (len(want) + 1)
				log.DropBefore(n)
				want = want[min(n, len(want)):]
				continue
			case op%3 == 0 && text.Len() > 0:
				at := arg % text.Len()
				if _, err := doc.Transact(func(tx *Transaction) error { return text.Delete(tx, at, min(1+int(op>>4)%3, text.Len()-at)) }); err != nil {
					t.Fatal(err)
				}
			default:
				at := unitBoundary(text.String(), arg%(text.Len()+1))
				if _, err := doc.Transact(func(tx *Transaction) error { return text.Insert(tx, at, letters[int(op>>3)%len(letters)]) }); err != nil {
					t.Fatal(err)
				}
			}
			v := text.Version()
			log.Append(v)
			want = append(want, v)
		}
		if log.Len() != len(want) {
			t.Fatalf("Len = %d, want %d", log.Len(), len(want))
		}
		for i, w := range want {
			if got := log.Version(i); !got.Same(w) {
				t.Fatalf("version %d = %q, want %q", i, got.String(), w.String())
			}
		}
		log.Texts(func(i int, text []byte) {
			if string(text) != want[i].String() {
				t.Fatalf("text %d = %q, want %q", i, text, want[i].String())
			}
		})
	})
}

// TestVersionChanges: Changes counts, by identity, the units one version added and removed.
// The start text's letters are CJK and every letter typed since is not, so the end's CJK
// letters are what is kept of the start.
func TestVersionChanges(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	doc, _ := NewDoc(Options{ClientID: 4})
	text, _ := doc.GetText("code")
	mustTransact(t, doc, func(tx *Transaction) error {
		return text.Insert(tx, 0, strings.Repeat("一二三四五六七八九十", 3))
	})
	start := text.Version()
	for range 40 {
		n := text.Len()
		if n > 0 && rng.IntN(4) == 0 {
			at := unitBoundary(text.String(), rng.IntN(n))
			end := unitBoundary(text.String(), min(n, at+1+rng.IntN(3)))
			if end > at {
				mustTransact(t, doc, func(tx *Transaction) error { return text.Delete(tx, at, end-at) })
			}
			continue
		}
		s := []string{"a", "é", "😀"}[rng.IntN(3)]
		mustTransact(t, doc, func(tx *Transaction) error { return text.Insert(tx, unitBoundary(text.String(), rng.IntN(n+1)), s) })
	}
	end := text.Version()
	kept := 0
	for _, r := range end.String() {
		if r >= 0x4E00 && r <= 0x9FFF {
			kept++
		}
	}
	if kept == start.Len() || kept == 0 {
		t.Fatalf("the edits kept %d of the start's %d letters: the test needs some of both", kept, start.Len())
	}
	added, removed := start.Changes(end)
	if want := [2]int{end.Len() - kept, start.Len() - kept}; [2]int{added, removed} != want {
		t.Errorf("Changes = +%d -%d; want +%d -%d", added, removed, want[0], want[1])
	}
	if a, r := end.Changes(start); a != removed || r != added {
		t.Errorf("the changes back = +%d -%d; want +%d -%d", a, r, removed, added)
	}
	if a, r := end.Changes(end); a != 0 || r != 0 {
		t.Errorf("a version's changes to itself = +%d -%d", a, r)
	}
}
