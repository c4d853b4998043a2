package room

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pairpad/pairpad/crdt"
	"github.com/pairpad/pairpad/crdt/protocol"
)

// TestNewSetsAsideBadEntries loads a room whose log holds an entry that does not decode between
// good ones, as the server's edit at clock 2^53-1 was in issue 12 (item 2): the room loads
// without it, says so, and never compacts the log, which would drop it from the store.
func TestNewSetsAsideBadEntries(t *testing.T) {
	initial, err := Initial("x", "python")
	if err != nil {
		t.Fatal(err)
	}
	client, err := crdt.NewDoc(crdt.Options{ClientID: 7})
	if err != nil {
		t.Fatal(err)
	}
	text, _ := client.GetText(CodeRoot)
	if err := client.ApplyUpdate(initial); err != nil {
		t.Fatal(err)
	}
	insert := func(s string) []byte {
		u, err := client.Transact(func(tx *crdt.Transaction) error { return text.Insert(tx, text.Len(), s) })
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	st := Stored{
		Snapshot: initial,
		Log:      []LogEntry{{Seq: 1, Update: insert("1")}, {Seq: 2, Update: []byte("garbage")}, {Seq: 3, Update: insert("3")}},
		LastSeq:  3,
	}
	r, err := New(Options{CompactEntries: 1}, st, scriptEpoch)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if got, want := r.text.String(), "x13"; got != want {
		t.Errorf("code %q, want %q", got, want)
	}
	set := r.SetAside()
	var de *crdt.DecodeError
	if len(set) != 1 || set[0].Seq != 2 || !errors.As(set[0].Err, &de) {
		t.Fatalf("SetAside() = %v, want entry 2 with a *crdt.DecodeError", set)
	}

	// Past the compaction threshold, and when stopping, no snapshot is handed out.
	r.Step(Join{Conn: "a", Role: Editor, Session: NewYjsSession(), At: scriptEpoch})
	r.Step(Receive{Conn: "a", Frame: binary(protocol.EncodeSyncUpdate(insert("4"))), At: scriptEpoch})
	var got []string
	for range 4 {
		rd := r.Ready()
		if len(rd.Append) > 0 {
			got = append(got, "append")
			r.Step(Committed{Seq: 4, At: scriptEpoch})
		}
		if rd.Snapshot != nil {
			got = append(got, "snapshot")
			r.Step(Compacted{})
		}
		if rd.Stopped {
			got = append(got, "stopped")
		}
		r.Step(Stop{})
	}
	if diff := cmp.Diff([]string{"append", "stopped"}, got); diff != "" {
		t.Errorf("what the room handed out (-want +got):\n%s", diff)
	}
}
