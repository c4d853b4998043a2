package crdt

import (
	"bytes"
	"errors"
	"slices"
	"testing"

	"github.com/pairpad/pairpad/crdt/internal/lib0"
)

// typed returns n updates of client, each typing one letter at the end of the text "t".
func typed(tb testing.TB, client uint64, n int) [][]byte {
	tb.Helper()
	doc, err := NewDoc(Options{ClientID: client})
	if err != nil {
		tb.Fatal(err)
	}
	text, err := doc.GetText("t")
	if err != nil {
		tb.Fatal(err)
	}
	updates := make([][]byte, n)
	for i := range updates {
		updates[i], err = doc.Transact(func(tx *Transaction) error { return text.Insert(tx, i, "a") })
		if err != nil {
			tb.Fatal(err)
		}
	}
	return updates
}

// deletions returns an update deleting n one-unit ranges of client, one every two clocks.
func deletions(client uint64, n int) []byte {
	ds := DeleteSet{}
	for i := range n {
		ds.add(client, uint64(2*i), 1)
	}
	var e lib0.Encoder
	e.WriteVarUint(0)
	writeDeleteSet(&e, ds)
	return e.Bytes()
}

func newCappedDoc(tb testing.TB, structs, ranges int) *Doc {
	tb.Helper()
	doc, err := NewDoc(Options{ClientID: 1, MaxPendingStructs: structs, MaxPendingDeleteRanges: ranges})
	if err != nil {
		tb.Fatal(err)
	}
	return doc
}

func mustState(tb testing.TB, doc *Doc) []byte {
	tb.Helper()
	state, err := doc.EncodeStateAsUpdate(nil)
	if err != nil {
		tb.Fatal(err)
	}
	return state
}

func TestPendingCapsRefuseAndChangeNothing(t *testing.T) {
	late := typed(t, 5, 5) // without late[0], the others wait
	tests := []struct {
		name    string
		before  [][]byte // applied first, within the caps
		refused []byte
	}{
		{"structs", [][]byte{late[1], late[2]}, mustMerge(t, late[3], late[4])},
		{"structs in one update", nil, mustMerge(t, late[1], late[2], late[3])},
		{"deletions", [][]byte{deletions(9, 2)}, deletions(8, 2)},
		{"deletions in one update", nil, deletions(9, 3)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := newCappedDoc(t, 2, 2)
			for _, u := range tt.before {
				if err := doc.ApplyUpdate(u); err != nil {
					t.Fatalf("under the caps: %v", err)
				}
			}
			want := mustState(t, doc)
			err := doc.ApplyUpdate(tt.refused)
			if !errors.Is(err, ErrTooMuchPending) {
				t.Fatalf("ApplyUpdate = %v, want ErrTooMuchPending", err)
			}
			if got := mustState(t, doc); !bytes.Equal(got, want) {
				t.Error("a refused update changed the document")
			}
		})
	}
}

func mustMerge(tb testing.TB, updates ...[]byte) []byte {
	tb.Helper()
	merged, err := MergeUpdates(updates...)
	if err != nil {
		tb.Fatal(err)
	}
	return merged
}

func TestPendingAtCapIntegratesWhenTheGapFills(t *testing.T) {
	late := typed(t, 5, 3)
	doc := newCappedDoc(t, 2, 2)
	for _, u := range [][]byte{late[1], late[2], deletions(5, 2)} {
		if err := doc.ApplyUpdate(u); err != nil {
			t.Fatalf("under the caps: %v", err)
		}
	}
	// The missing part comes with the whole state again, as a client's sync step 2 sends it.
	if err := doc.ApplyUpdate(mustMerge(t, late...)); err != nil {
		t.Fatal(err)
	}
	if doc.HasPending() {
		t.Error("content still pending after the gap filled")
	}
	text, _ := doc.GetText("t")
	if got, want := text.String(), "a"; got != want { // clocks 0 and 2 deleted
		t.Errorf("text = %q, want %q", got, want)
	}
}

func TestPendingDeletionsRetriedForAdvancedClients(t *testing.T) {
	doc := newCappedDoc(t, 0, 0)
	if err := doc.ApplyUpdate(deletions(9, 3)); err != nil {
		t.Fatal(err)
	}
	for _, u := range typed(t, 5, 3) {
		if err := doc.ApplyUpdate(u); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := doc.pendingRanges, 3; got != want {
		t.Errorf("pending ranges after others' edits = %d, want %d", got, want)
	}
	for _, u := range typed(t, 9, 5) {
		if err := doc.ApplyUpdate(u); err != nil {
			t.Fatal(err)
		}
	}
	if doc.HasPending() || doc.pendingRanges != 0 {
		t.Errorf("deletions still pending (%d ranges) after their client's content came", doc.pendingRanges)
	}
	text, _ := doc.GetText("t")
	if got, want := len(text.String()), 3+2; got != want {
		t.Errorf("text length = %d, want %d", got, want)
	}
}

// BenchmarkApplyWithPendingDeletions applies one-letter updates to a document holding
// DefaultMaxPendingDeleteRanges pending deletions of a client that never sends anything.
func BenchmarkApplyWithPendingDeletions(b *testing.B) {
	updates := typed(b, 5, 1000)
	for b.Loop() {
		b.StopTimer()
		doc := newCappedDoc(b, 0, 0)
		if err := doc.ApplyUpdate(deletions(9, DefaultMaxPendingDeleteRanges)); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		for _, u := range updates {
			if err := doc.ApplyUpdate(u); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// ExpirePending drops what was pending at its previous call and keeps what came since; a peer
// that later sends the missing part with all it has gives the same document as its own.
func TestExpirePending(t *testing.T) {
	late := typed(t, 5, 4)
	doc := newCappedDoc(t, 0, 0)
	apply := func(updates ...[]byte) {
		t.Helper()
		for _, u := range updates {
			if err := doc.ApplyUpdate(u); err != nil {
				t.Fatal(err)
			}
		}
	}
	apply(late[2], deletions(9, 2))
	if doc.ExpirePending() {
		t.Error("the first call dropped content pending since before it")
	}
	apply(late[3], deletions(8, 1))
	if !doc.ExpirePending() {
		t.Error("the second call dropped nothing")
	}
	if got, want := doc.pending.count, 1; got != want {
		t.Errorf("pending structs = %d, want %d (the newer one)", got, want)
	}
	if got, want := doc.pendingRanges, 1; got != want {
		t.Errorf("pending delete ranges = %d, want %d (the newer one)", got, want)
	}
	doc.ExpirePending()
	if doc.HasPending() {
		t.Error("content pending across two calls was kept")
	}
	apply(mustMerge(t, late...))
	text, _ := doc.GetText("t")
	if got, want := text.String(), "aaaa"; got != want {
		t.Errorf("text after the late peer's state = %q, want %q", got, want)
	}
}

func TestSubtractRanges(t *testing.T) {
	r := func(clock, length uint64) DeleteRange { return DeleteRange{Clock: clock, Len: length} }
	tests := []struct {
		a, b, want []DeleteRange
	}{
		{[]DeleteRange{r(0, 10)}, nil, []DeleteRange{r(0, 10)}},
		{[]DeleteRange{r(0, 10)}, []DeleteRange{r(0, 10)}, nil},
		{[]DeleteRange{r(0, 10)}, []DeleteRange{r(2, 3), r(7, 1)}, []DeleteRange{r(0, 2), r(5, 2), r(8, 2)}},
		{[]DeleteRange{r(0, 3), r(5, 3)}, []DeleteRange{r(2, 4)}, []DeleteRange{r(0, 2), r(6, 2)}},
	}
	for _, tt := range tests {
		if got := subtractRanges(tt.a, tt.b); !slices.Equal(got, tt.want) {
			t.Errorf("subtractRanges(%v, %v) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}
