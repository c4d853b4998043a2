package crdt

import (
	"errors"
	"testing"
)

// mustTransact runs fn in a transaction of d and returns its update, failing t on an error.
func mustTransact(t testing.TB, d *Doc, fn func(tx *Transaction) error) []byte {
	t.Helper()
	update, err := d.Transact(fn)
	if err != nil {
		t.Fatal(err)
	}
	return update
}

// TestTransactError checks the contract of an error from Transact's function: nothing is rolled
// back, the transaction commits what fn did, and the update comes back with the error.
func TestTransactError(t *testing.T) {
	errStop := errors.New("stop")
	tests := []struct {
		name       string
		fn         func(tx *Transaction, x *Text) error
		wantErr    error
		wantText   string // on the document and on a peer that applied the update
		wantUpdate bool
	}{
		{
			name:       "success",
			fn:         func(tx *Transaction, x *Text) error { return x.Insert(tx, 0, "ab") },
			wantText:   "ab",
			wantUpdate: true,
		},
		{
			name:     "nothing done",
			fn:       func(tx *Transaction, x *Text) error { return nil },
			wantText: "",
		},
		{
			name:     "error before any edit",
			fn:       func(tx *Transaction, x *Text) error { return errStop },
			wantErr:  errStop,
			wantText: "",
		},
		{
			name: "edits before the error stay",
			fn: func(tx *Transaction, x *Text) error {
				if err := x.Insert(tx, 0, "ab"); err != nil {
					return err
				}
				return x.Delete(tx, 1, 5)
			},
			wantErr:    ErrIndexOutOfRange,
			wantText:   "ab",
			wantUpdate: true,
		},
		{
			name: "nested: the inner error reaches the outer function, the outer update has both edits",
			fn: func(tx *Transaction, x *Text) error {
				update, err := tx.doc.Transact(func(tx *Transaction) error {
					return errors.Join(x.Insert(tx, 0, "b"), errStop)
				})
				if update != nil {
					return errors.New("a nested Transact returned an update")
				}
				return errors.Join(x.Insert(tx, 0, "a"), err)
			},
			wantErr:    errStop,
			wantText:   "ab",
			wantUpdate: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, _ := NewDoc(Options{ClientID: 1})
			text, _ := doc.GetText("t")
			update, err := doc.Transact(func(tx *Transaction) error { return tt.fn(tx, text) })
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Transact error = %v, want %v", err, tt.wantErr)
			}
			if got := update != nil; got != tt.wantUpdate {
				t.Fatalf("Transact returned an update: %v, want %v", got, tt.wantUpdate)
			}
			peer, _ := NewDoc(Options{ClientID: 2})
			if update != nil {
				if err := peer.ApplyUpdate(update); err != nil {
					t.Fatal(err)
				}
			}
			peerText, _ := peer.GetText("t")
			for who, x := range map[string]*Text{"doc": text, "peer": peerText} {
				if got := x.String(); got != tt.wantText {
					t.Errorf("%s text = %q, want %q", who, got, tt.wantText)
				}
			}
			// The transaction ended: the next one starts afresh.
			next := mustTransact(t, doc, func(tx *Transaction) error { return text.Insert(tx, text.Len(), "z") })
			if next == nil {
				t.Error("the transaction after a failed one returned no update")
			}
		})
	}
}
