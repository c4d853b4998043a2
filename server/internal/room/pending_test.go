package room

import (
	"testing"

	"github.com/pairpad/pairpad/crdt"
	"github.com/pairpad/pairpad/crdt/protocol"
)

// Content pending across a compaction is dropped at the next one, and is not in the snapshot;
// the honest client whose edit never arrived reconnects, sends what the room lacks in its sync
// step 2, and converges with the room, keeping the edits others made meanwhile.
func TestPendingExpiresAtCompaction(t *testing.T) {
	r, err := New(Options{CompactEntries: 1}, Stored{}, scriptEpoch)
	if err != nil {
		t.Fatal(err)
	}
	seq := uint64(0)
	var snapshot []byte
	settle := func() {
		t.Helper()
		for range 4 {
			rd := r.Ready()
			if len(rd.Closes) > 0 || len(rd.Errors) > 0 {
				t.Fatalf("closes %+v, errors %v", rd.Closes, rd.Errors)
			}
			if len(rd.Append) > 0 {
				seq += uint64(len(rd.Append))
				r.Step(Committed{Seq: seq, At: scriptEpoch})
			}
			if rd.Snapshot != nil {
				snapshot = rd.Snapshot.State
				r.Step(Compacted{})
			}
		}
	}
	late, err := crdt.NewDoc(crdt.Options{ClientID: 7})
	if err != nil {
		t.Fatal(err)
	}
	text, _ := late.GetText(CodeRoot)
	var edits [][]byte
	for _, s := range []string{"hello", " world"} {
		u, err := late.Transact(func(tx *crdt.Transaction) error { return text.Insert(tx, text.Len(), s) })
		if err != nil {
			t.Fatal(err)
		}
		edits = append(edits, u)
	}

	r.Step(Join{Conn: "late", Role: Editor, Session: NewYjsSession(), At: scriptEpoch})
	r.Step(Join{Conn: "other", Role: Editor, Session: NewYjsSession(), At: scriptEpoch})
	r.Step(syncUpdate("late", edits[1])) // "hello" was lost on the way
	r.Step(Leave{Conn: "late"})
	settle()
	for client := uint64(20); client < 23; client++ { // others edit: the room compacts each time
		r.Step(syncUpdate("other", insertion(t, client, 1)))
		settle()
	}
	if r.doc.HasPending() {
		t.Fatal("content pending across compactions is kept")
	}
	stored, _ := crdt.NewDoc(crdt.Options{ClientID: 1})
	if err := stored.ApplyUpdate(snapshot); err != nil || stored.HasPending() {
		t.Fatalf("the snapshot (error %v) holds pending content", err)
	}

	r.Step(Join{Conn: "late", Role: Editor, Session: NewYjsSession(), At: scriptEpoch})
	state, err := late.EncodeStateAsUpdate(r.doc.EncodeStateVector())
	if err != nil {
		t.Fatal(err)
	}
	r.Step(Receive{Conn: "late", Frame: binary(protocol.EncodeSyncStep2(state)), At: scriptEpoch})
	settle()
	roomState, err := r.doc.EncodeStateAsUpdate(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := late.ApplyUpdate(roomState); err != nil {
		t.Fatal(err)
	}
	if got, want := r.text.String(), text.String(); got != want || len(got) != len("hello world")+3 {
		t.Errorf("room %q, the late client %q: want both to hold \"hello world\" and the others' 3 letters", got, want)
	}
}

// A snapshot holding more pending content than the caps, as rooms attacked before there were
// caps stored, loads without it.
func TestSnapshotBeyondPendingCapsLoads(t *testing.T) {
	doc, err := crdt.NewDoc(crdt.Options{ClientID: 1, MaxPendingDeleteRanges: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.ApplyUpdate(deletionsOf(9, 200)); err != nil {
		t.Fatal(err)
	}
	if err := doc.ApplyUpdate(insertion(t, 6, 3)); err != nil {
		t.Fatal(err)
	}
	snapshot, err := doc.EncodeStateAsUpdate(nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := New(Options{MaxPendingDeleteRanges: 100}, Stored{Snapshot: snapshot}, scriptEpoch)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if got, want := r.text.String(), "yyy"; got != want || r.doc.HasPending() {
		t.Errorf("code %q (want %q), pending %v (want none)", got, want, r.doc.HasPending())
	}
}
