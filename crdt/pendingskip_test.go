package crdt

import "testing"

// A client with content and a struct waiting far ahead of it: the document's state holds a Skip
// longer than MaxStructLength between them, and decodes (the room checks every snapshot it writes
// by decoding it; the fuzzer found MergeUpdates writing such a Skip).
func TestStateWithLongGapDecodes(t *testing.T) {
	d, _ := NewDoc(Options{ClientID: 9})
	peer, _ := NewDoc(Options{ClientID: 5})
	text, _ := peer.GetText("t")
	typed, err := peer.Transact(func(tx *Transaction) error { return text.Insert(tx, 0, "ab") })
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range [][]byte{typed, wire(1, 1, 5, varUint(1<<40), 0, 1, 0)} {
		if err := d.ApplyUpdate(u); err != nil {
			t.Fatal(err)
		}
	}
	state, err := d.EncodeStateAsUpdate(nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeUpdate(state); err != nil {
		t.Errorf("the document's state does not decode: %v", err)
	}
	if _, err := MergeUpdates(state, typed); err != nil {
		t.Errorf("MergeUpdates: %v", err)
	}
}
