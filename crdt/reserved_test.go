package crdt

import (
	"bytes"
	"errors"
	"testing"
)

// TestApplyPeerUpdateReservedClient checks that a peer can delete a server's content but not
// write as the server: the attack of issue 12 (item 2) took the server's clock to 2^53-1 with
// a 21-byte GC struct.
func TestApplyPeerUpdateReservedClient(t *testing.T) {
	const server = MaxClientID
	newServer := func(t *testing.T) (*Doc, []byte) {
		t.Helper()
		d, err := NewDoc(Options{ClientID: server})
		if err != nil {
			t.Fatal(err)
		}
		text, _ := d.GetText("code")
		state, err := d.Transact(func(tx *Transaction) error { return text.Insert(tx, 0, "abc") })
		if err != nil {
			t.Fatal(err)
		}
		return d, state
	}
	_, state := newServer(t)
	peer, _ := NewDoc(Options{ClientID: 7})
	if err := peer.ApplyUpdate(state); err != nil {
		t.Fatal(err)
	}
	peerText, _ := peer.GetText("code")
	edit, err := peer.Transact(func(tx *Transaction) error { return peerText.Delete(tx, 1, 1) })
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		update  []byte
		wantErr error
	}{
		{"deleteServerContent", edit, nil},
		{"serverContentBack", state, nil},
		{"serverContentAndMore", wire(1, 2, maxVarUint, 0, 4, 1, "code", "abc", 0x84, maxVarUint, 2, "x", 0), ErrReservedClient},
		{"gcOfMaxLength", wire(1, 1, maxVarUint, 3, 0, varUint(MaxStructLength), 0), ErrReservedClient},
		{"gcOneUnit", wire(1, 1, maxVarUint, 3, 0, 1, 0), ErrReservedClient},
		{"itemOfServer", wire(1, 1, maxVarUint, 3, 4, 1, "code", "x", 0), ErrReservedClient},
		{"deleteBeyondClock", wire(0, 1, maxVarUint, 1, 2, 2), ErrReservedClient},
		{"deleteFutureContent", wire(0, 1, maxVarUint, 1, 10, 5), ErrReservedClient},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, _ := newServer(t)
			before, _ := d.EncodeStateAsUpdate(nil)
			_, err := d.ApplyPeerUpdate(tt.update, server)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("ApplyPeerUpdate: error %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr == nil {
				return
			}
			after, _ := d.EncodeStateAsUpdate(nil)
			if !bytes.Equal(before, after) || d.HasPending() {
				t.Errorf("a refused update changed the document")
			}
			// The document's own log, loaded with ApplyUpdate, may hold anything.
			if err := d.ApplyUpdate(tt.update); err != nil {
				t.Errorf("ApplyUpdate: %v", err)
			}
		})
	}
}
