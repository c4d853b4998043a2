package crdt

import (
	"bytes"
	"errors"
	"testing"
)

// TestStructBounds checks the bounds on clocks (MaxClock) and on the free lengths of GC and
// ContentDeleted structs and delete ranges (MaxStructLength; Skips may be longer): every decoder
// refuses what passes them, and ApplyUpdate changes nothing.
func TestStructBounds(t *testing.T) {
	tooLong := varUint(MaxStructLength + 1)
	tests := []struct {
		name    string
		update  []byte
		wantErr error // nil for success
	}{
		{"gc/maxLength", wire(1, 1, 1, 0, 0, varUint(MaxStructLength), 0), nil},
		{"gc/tooLong", wire(1, 1, 1, 0, 0, tooLong, 0), ErrStructTooLong},
		// issue 12 item 2: 21 bytes took the server's clock from 2 to 2^53-1.
		{"gc/attack", wire(1, 1, maxVarUint, 2, 0, varUint(MaxClock-2), 0), ErrStructTooLong},
		{"gc/endsAtMaxClock", wire(1, 1, 1, varUint(MaxClock-5), 0, 5, 0), nil},
		{"gc/endsBeyondMaxClock", wire(1, 1, 1, varUint(MaxClock-5), 0, 6, 0), ErrClockOverflow},
		// A Skip holds nothing: a document's own state has one as long as the gap between a
		// client's content and a struct of it waiting far ahead.
		{"skip/long", wire(1, 2, 1, 0, 10, tooLong, 0, 1, 0), nil},
		{"skip/endsBeyondMaxClock", wire(1, 2, 1, varUint(MaxClock-5), 10, 6, 0, 1, 0), ErrClockOverflow},
		{"deleted/maxLength", wire(1, 1, 1, 0, 1, 1, "t", varUint(MaxStructLength), 0), nil},
		{"deleted/tooLong", wire(1, 1, 1, 0, 1, 1, "t", tooLong, 0), ErrStructTooLong},
		{"deleteRange/maxLength", wire(0, 1, 1, 1, 0, varUint(MaxStructLength)), nil},
		{"deleteRange/tooLong", wire(0, 1, 1, 1, 0, tooLong), ErrStructTooLong},
		{"deleteRange/endsAtMaxClock", wire(0, 1, 1, 1, varUint(MaxClock-5), 5), nil},
		{"deleteRange/endsBeyondMaxClock", wire(0, 1, 1, 1, varUint(MaxClock-5), 6), ErrClockOverflow},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := DecodeUpdate(tt.update); !errors.Is(err, tt.wantErr) {
				t.Errorf("DecodeUpdate: error %v, want %v", err, tt.wantErr)
			}
			if _, err := MergeUpdates(tt.update, wire(0, 0)); !errors.Is(err, tt.wantErr) {
				t.Errorf("MergeUpdates: error %v, want %v", err, tt.wantErr)
			}
			d, _ := NewDoc(Options{ClientID: 9})
			text, _ := d.GetText("t")
			if _, err := d.Transact(func(tx *Transaction) error { return text.Insert(tx, 0, "ab") }); err != nil {
				t.Fatal(err)
			}
			before, _ := d.EncodeStateAsUpdate(nil)
			err := d.ApplyUpdate(tt.update)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("ApplyUpdate: error %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr == nil {
				return
			}
			checkDecodeError(t, err, len(tt.update))
			if after, _ := d.EncodeStateAsUpdate(nil); !bytes.Equal(before, after) || d.HasPending() {
				t.Errorf("a refused update changed the document")
			}
		})
	}
}

// TestLocalEditsStopAtMaxClock checks that a local edit that would give content a clock beyond
// MaxClock fails with ErrClockOverflow and changes nothing, so that what a document writes it
// can read back: the server's edits in issue 12 (item 2) went to clock 2^53-1 and the room's log
// never loaded again.
func TestLocalEditsStopAtMaxClock(t *testing.T) {
	const client = 5
	d, _ := NewDoc(Options{ClientID: client})
	// Content of the document's own client up to MaxClock-2, as no update could bring it in.
	d.store.add(&item{id: ID{client, 0}, kind: kindGC, length: MaxClock - 2})
	text, _ := d.GetText("t")
	array, _ := d.GetArray("a")
	m, _ := d.GetMap("m")
	update, err := d.Transact(func(tx *Transaction) error { return text.Insert(tx, 0, "ab") })
	if err != nil {
		t.Fatalf("inserting up to MaxClock: %v", err)
	}
	if _, err := DecodeUpdate(update); err != nil {
		t.Fatalf("the update ending at MaxClock does not decode: %v", err)
	}
	state, _ := d.EncodeStateAsUpdate(nil)
	version := text.Version()
	edits := map[string]func(tx *Transaction) error{
		"text.Insert":   func(tx *Transaction) error { return text.Insert(tx, 1, "c") },
		"text.InsertAt": func(tx *Transaction) error { return text.InsertAt(tx, version, 1, "c") },
		"array.Insert":  func(tx *Transaction) error { return array.Insert(tx, 0, 1) },
		"map.Set":       func(tx *Transaction) error { return m.Set(tx, "k", "v") },
	}
	for name, edit := range edits {
		update, err := d.Transact(edit)
		if !errors.Is(err, ErrClockOverflow) || update != nil {
			t.Errorf("%s: update %x, error %v; want none and %v", name, update, err, ErrClockOverflow)
		}
	}
	if after, _ := d.EncodeStateAsUpdate(nil); !bytes.Equal(state, after) {
		t.Errorf("a refused edit changed the document")
	}
}
