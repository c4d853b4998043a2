package crdt

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pairpad/pairpad/crdt/internal/lib0"
)

// nestingFixture is testdata/yjs/nesting/arrays.json, written by nesting.mjs with yjs 13.6.
type nestingFixture struct {
	Depth            int   `json:"depth"`
	AtCap            b64   `json:"atCap"`
	BeyondCap        b64   `json:"beyondCap"`
	DeleteOutermost  b64   `json:"deleteOutermost"`
	StateAfterDelete b64   `json:"stateAfterDelete"`
	JSONAfterDelete  []any `json:"jsonAfterDelete"`
}

func loadNestingFixture(t *testing.T) nestingFixture {
	t.Helper()
	data, err := os.ReadFile("../testdata/yjs/nesting/arrays.json")
	if err != nil {
		t.Fatal(err)
	}
	var f nestingFixture
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	if f.Depth != MaxNestingDepth {
		t.Fatalf("the fixture nests %d arrays, MaxNestingDepth is %d: run make fixtures", f.Depth, MaxNestingDepth)
	}
	return f
}

// nestedArrays returns an update of n Arrays of client from clock, each in the one before, as
// yjs writes them when they are nested in one transaction. The first is in the root named root
// or, if root is "", in the type that the item parent holds.
func nestedArrays(client, clock uint64, n int, root string, parent ID) []byte {
	var e lib0.Encoder
	e.WriteVarUint(1)
	e.WriteVarUint(uint64(n))
	e.WriteVarUint(client)
	e.WriteVarUint(clock)
	for i := range n {
		e.WriteUint8(kindType)
		if i == 0 && root != "" {
			e.WriteVarUint(1) // the parent is a root, by name
			e.WriteVarString(root)
		} else {
			if i > 0 {
				parent = ID{client, clock + uint64(i) - 1}
			}
			e.WriteVarUint(0) // the parent is the type an item holds
			e.WriteVarUint(parent.Client)
			e.WriteVarUint(parent.Clock)
		}
		e.WriteVarUint(typeRefArray)
	}
	e.WriteVarUint(0) // no deletions
	return e.Bytes()
}

// deleteUpdate returns an update that deletes client's content in [clock, clock+n).
func deleteUpdate(client, clock, n uint64) []byte {
	var e lib0.Encoder
	e.WriteVarUint(0)
	writeDeleteSet(&e, DeleteSet{client: {{Clock: clock, Len: n}}})
	return e.Bytes()
}

// nestingDepth returns how deep the arrays nested in the root array "a" go.
func nestingDepth(t *testing.T, d *Doc) int {
	t.Helper()
	a, err := d.GetArray("a")
	if err != nil {
		t.Fatal(err)
	}
	depth := 0
	for n := a.Type().start; n != nil && n.kind == kindType && !n.deleted(); {
		depth++
		n = n.content.(*typeContent).t.start
	}
	return depth
}

func newTestDoc(t *testing.T, opts Options) *Doc {
	t.Helper()
	d, err := NewDoc(opts)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// applyRefused applies an update that must fail with ErrTooDeep and change nothing.
func applyRefused(t *testing.T, d *Doc, update []byte) {
	t.Helper()
	before := encodedState(t, d)
	pendingBefore := d.HasPending()
	err := d.ApplyUpdate(update)
	if !errors.Is(err, ErrTooDeep) {
		t.Fatalf("ApplyUpdate: got %v, want ErrTooDeep", err)
	}
	if after := encodedState(t, d); !bytes.Equal(before, after) || d.HasPending() != pendingBefore {
		t.Fatalf("a refused update changed the document (-before +after):\n%s", cmp.Diff(before, after))
	}
}

func encodedState(t *testing.T, d *Doc) []byte {
	t.Helper()
	state, err := d.EncodeStateAsUpdate(nil)
	if err != nil {
		t.Fatal(err)
	}
	return state
}

func mustApply(t *testing.T, d *Doc, update []byte) {
	t.Helper()
	if err := d.ApplyUpdate(update); err != nil {
		t.Fatal(err)
	}
}

// TestNestingYjs checks the cap against arrays nested by yjs: the cap's depth integrates, one
// more is refused, and deleting the outermost leaves what yjs leaves.
func TestNestingYjs(t *testing.T) {
	f := loadNestingFixture(t)
	if got := nestedArrays(1, 0, MaxNestingDepth, "a", ID{}); !bytes.Equal(got, f.AtCap) {
		t.Fatalf("nestedArrays does not write what yjs writes (-yjs +nestedArrays):\n%s", cmp.Diff(f.AtCap, b64(got)))
	}
	d := newTestDoc(t, Options{ClientID: 9})
	mustApply(t, d, f.AtCap)
	if got := nestingDepth(t, d); got != MaxNestingDepth {
		t.Fatalf("depth %d, want %d", got, MaxNestingDepth)
	}
	applyRefused(t, d, f.BeyondCap)
	mustApply(t, d, f.DeleteOutermost)
	if got := encodedState(t, d); !bytes.Equal(got, f.StateAfterDelete) {
		t.Errorf("state after the deletion mismatch (-yjs +pairpad):\n%s", cmp.Diff(f.StateAfterDelete, b64(got)))
	}
	a, _ := d.GetArray("a")
	if diff := cmp.Diff(f.JSONAfterDelete, a.ToJSON()); diff != "" {
		t.Errorf("JSON after the deletion mismatch (-yjs +pairpad):\n%s", diff)
	}
}

// TestNestingCap checks the cap on updates crafted as an attacker would.
func TestNestingCap(t *testing.T) {
	t.Run("one update beyond the cap", func(t *testing.T) {
		d := newTestDoc(t, Options{ClientID: 9})
		applyRefused(t, d, nestedArrays(1, 0, MaxNestingDepth+1, "a", ID{}))
	})
	t.Run("a million levels", func(t *testing.T) {
		d := newTestDoc(t, Options{ClientID: 9})
		applyRefused(t, d, nestedArrays(1, 0, 1_000_000, "a", ID{}))
	})
	t.Run("another client nests under the innermost", func(t *testing.T) {
		d := newTestDoc(t, Options{ClientID: 9})
		mustApply(t, d, nestedArrays(1, 0, MaxNestingDepth, "a", ID{}))
		applyRefused(t, d, nestedArrays(2, 0, 1, "", ID{1, MaxNestingDepth - 1}))
		mustApply(t, d, nestedArrays(2, 0, 1, "", ID{1, MaxNestingDepth - 2})) // a sibling
	})
	t.Run("a cycle between clients", func(t *testing.T) {
		// Each struct's parent is the other's: neither can integrate, and the check ends.
		d := newTestDoc(t, Options{ClientID: 9})
		update, err := MergeUpdates(nestedArrays(1, 0, 1, "", ID{2, 0}), nestedArrays(2, 0, 1, "", ID{1, 0}))
		if err != nil {
			t.Fatal(err)
		}
		mustApply(t, d, update)
		if !d.HasPending() {
			t.Fatal("the cycle integrated")
		}
	})
	t.Run("pending until its parent arrives", func(t *testing.T) {
		// Client 2's chain waits for client 3's array: accepted as pending, it integrates up to
		// the cap when that arrives, and what is beyond integrates as garbage-collected.
		d := newTestDoc(t, Options{ClientID: 9})
		mustApply(t, d, nestedArrays(2, 0, MaxNestingDepth+5, "", ID{3, 0}))
		mustApply(t, d, nestedArrays(3, 0, 1, "a", ID{}))
		checkCapped(t, d, StateVector{2: MaxNestingDepth + 5, 3: 1})
	})
	t.Run("pending for its own client's content", func(t *testing.T) {
		// Client 2's array at clock 1, under the innermost, waits for its clock 0: accepted as
		// pending, it is garbage-collected when that arrives.
		d := newTestDoc(t, Options{ClientID: 9})
		mustApply(t, d, nestedArrays(1, 0, MaxNestingDepth, "a", ID{}))
		mustApply(t, d, nestedArrays(2, 1, 1, "", ID{1, MaxNestingDepth - 1}))
		mustApply(t, d, nestedArrays(2, 0, 1, "b", ID{}))
		checkCapped(t, d, StateVector{1: MaxNestingDepth, 2: 2})
	})
	t.Run("delete and collect a chain at the cap", func(t *testing.T) {
		d := newTestDoc(t, Options{ClientID: 9})
		mustApply(t, d, nestedArrays(1, 0, MaxNestingDepth, "a", ID{}))
		mustApply(t, d, deleteUpdate(1, 0, 1))
		if got := nestingDepth(t, d); got != 0 {
			t.Errorf("depth %d after deleting the outermost, want 0", got)
		}
		if got := len(d.store.clients[1].chunks[0]); got != 2 {
			t.Errorf("%d structs of client 1 after garbage collection, want 2 (the deleted outermost and one GC)", got)
		}
	})
}

// checkCapped checks that the arrays in "a" nest exactly to the cap, that nothing is pending,
// the state vector, and that the document's state loads into another: a room's snapshot must.
func checkCapped(t *testing.T, d *Doc, want StateVector) {
	t.Helper()
	if got := nestingDepth(t, d); got != MaxNestingDepth {
		t.Errorf("depth %d, want %d", got, MaxNestingDepth)
	}
	if d.HasPending() {
		t.Error("structs are left pending")
	}
	if diff := cmp.Diff(want, d.StateVector()); diff != "" {
		t.Errorf("state vector mismatch (-want +got):\n%s", diff)
	}
	loaded := newTestDoc(t, Options{})
	mustApply(t, loaded, encodedState(t, d))
	if got := nestingDepth(t, loaded); got != MaxNestingDepth {
		t.Errorf("depth %d once the state is loaded, want %d", got, MaxNestingDepth)
	}
}

// TestDeepWalks deletes and garbage-collects types nested far deeper than the cap allows (built
// directly, as a document stored before the cap could hold them) with a goroutine stack of
// 1 MB: a walk that recursed once per level would overflow it.
func TestDeepWalks(t *testing.T) {
	const levels = 200_000
	defer debug.SetMaxStack(debug.SetMaxStack(1 << 20))
	for _, keepDeleted := range []bool{false, true} {
		d := newTestDoc(t, Options{ClientID: 9, KeepDeleted: keepDeleted})
		buildNestedArrays(t, d, levels)
		mustApply(t, d, deleteUpdate(1, 0, 1))
		if got := nestingDepth(t, d); got != 0 {
			t.Errorf("KeepDeleted %v: depth %d after deleting the outermost, want 0", keepDeleted, got)
		}
		state := encodedState(t, d)
		if err := newTestDoc(t, Options{}).ApplyUpdate(state); keepDeleted != errors.Is(err, ErrTooDeep) {
			t.Errorf("KeepDeleted %v: loading the deleted chain: %v", keepDeleted, err)
		}
	}
}

// TestDeepValues converts types nested far deeper than the cap allows to JSON and to strings
// with a goroutine stack of 1 MB, as TestDeepWalks does.
func TestDeepValues(t *testing.T) {
	const levels = 200_000
	defer debug.SetMaxStack(debug.SetMaxStack(1 << 20))
	d := newTestDoc(t, Options{ClientID: 9})
	buildNestedArrays(t, d, levels)
	a, _ := d.GetArray("a")
	json := a.ToJSON()
	for range levels {
		json = json[0].([]any)
	}
	if len(json) != 0 {
		t.Errorf("the innermost array's JSON is %v, want []", json)
	}
	if got := jsString(a.Type()); got != "" {
		t.Errorf("the arrays' string is %q, want empty", got)
	}
	x, err := d.GetXmlFragment("x")
	if err != nil {
		t.Fatal(err)
	}
	buildNested(d, x, typeRefXmlElement, levels, levels)
	want := strings.Repeat("<p>", levels) + strings.Repeat("</p>", levels)
	if got := x.ToJSON(); got != want {
		t.Errorf("the elements' string is %d bytes, want %d", len(got.(string)), len(want))
	}
}

// TestLoadTooDeep loads the state of a document nested beyond the cap, as a snapshot stored
// before the cap would be: it is refused, and nothing overflows.
func TestLoadTooDeep(t *testing.T) {
	defer debug.SetMaxStack(debug.SetMaxStack(1 << 20))
	d := newTestDoc(t, Options{ClientID: 9})
	buildNestedArrays(t, d, 200_000)
	applyRefused(t, newTestDoc(t, Options{}), encodedState(t, d))
}

// buildNested nests levels types of kind ref, the first in parent, integrating them directly so
// that the cap does not apply. Their ids are client 1's from clock.
func buildNested(d *Doc, parent *Type, ref uint8, clock uint64, levels int) {
	tx := d.begin(false)
	for i := range levels {
		child := &Type{ref: ref, nodeName: "p"}
		id := ID{1, clock + uint64(i)}
		tx.integrate(&item{id: id, length: 1, kind: kindType, content: &typeContent{t: child}, parent: parent}, 0)
		parent = child
	}
	d.commit(tx, false)
}

// buildNestedArrays nests levels arrays in the root array "a".
func buildNestedArrays(t *testing.T, d *Doc, levels int) {
	t.Helper()
	a, err := d.GetArray("a")
	if err != nil {
		t.Fatal(err)
	}
	buildNested(d, a.Type(), typeRefArray, 0, levels)
	if got := nestingDepth(t, d); got != levels {
		t.Fatalf("built %d levels, want %d", got, levels)
	}
}
