package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/pairpad/pairpad/store"
)

// OldRoom is a room as stores kept it before entries had a time and a session, when a room's
// language had a copy beside its document.
type OldRoom struct {
	ID        string
	Language  string
	CreatedAt time.Time
	Snapshot  store.Snapshot
	Log       []store.Entry // Seq and Update only
	LastSeq   uint64
}

// OldRooms returns the rooms RunUpgrade expects to find: one with a log never compacted, one
// with a snapshot and the entries after it, one with binary and empty updates and a unicode id.
func OldRooms() []OldRoom {
	return []OldRoom{
		{
			ID: "plain", Language: "python", CreatedAt: created,
			Snapshot: store.Snapshot{State: []byte("init-plain")},
			Log:      entries(1, "a", "b", "c"),
			LastSeq:  3,
		},
		{
			ID: "compacted", Language: "rust", CreatedAt: created.Add(time.Hour),
			Snapshot: store.Snapshot{Seq: 3, State: []byte("state-3")},
			Log:      entries(4, "u4", "u5"),
			LastSeq:  5,
		},
		{
			ID: "ünï/✓", Language: "", CreatedAt: created.Add(time.Minute),
			Snapshot: store.Snapshot{Seq: 2, State: []byte{0xff, 0}},
			Log:      []store.Entry{{Seq: 3, Update: []byte{}}, {Seq: 4, Update: []byte{7}}},
			LastSeq:  4,
		},
	}
}

// RunUpgrade checks a store on storage that an older store filled with OldRooms, in its own
// format: every room must load as it was stored, its old entries with the zero time and the
// empty session, have its id as its edit link (and no other access), take new entries after
// its last seq, and load the same after the store is opened again; then one room's links must
// change as a new room's do. open must return a store on that storage each time it is called;
// the suite closes every store it opens.
func RunUpgrade(t *testing.T, open func(t *testing.T) store.Store) {
	rooms := OldRooms()
	s := open(t)
	for i, r := range rooms {
		added := store.Entry{Update: []byte("new"), Time: created.Add(24 * time.Hour), Session: r.ID}
		if got := mustAppendEntries(t, s, r.ID, added); got != r.LastSeq+1 {
			t.Errorf("room %q: Append = %d, want %d", r.ID, got, r.LastSeq+1)
		}
		added.Seq = r.LastSeq + 1
		rooms[i].Log = append(r.Log, added)
	}
	checkOldRooms(t, s, rooms)
	closeStore(t, s)
	s = open(t)
	checkOldRooms(t, s, rooms)
	changed := store.Room{ID: rooms[0].ID, CreatedAt: rooms[0].CreatedAt, Access: store.Access{EditID: "upgraded", ViewID: rooms[1].ID + "-view"}}
	if err := s.SetAccess(t.Context(), changed.ID, changed.Access); err != nil {
		t.Fatalf("SetAccess of an upgraded room: %v", err)
	}
	checkRoom(t, s, changed)
	checkNoLink(t, s, changed.ID)
	if err := s.SetAccess(t.Context(), changed.ID, store.Access{EditID: rooms[1].ID}); !errors.Is(err, store.ErrExists) {
		t.Errorf("SetAccess to the link of another upgraded room: err = %v, want ErrExists", err)
	}
	closeStore(t, s)
}

func checkOldRooms(t *testing.T, s store.Store, rooms []OldRoom) {
	t.Helper()
	for _, r := range rooms {
		checkRoom(t, s, store.Room{ID: r.ID, CreatedAt: r.CreatedAt})
		// Compaction deleted the entries before the snapshot: the room's history starts there.
		snap := r.Snapshot
		snap.Checkpoint = true
		checkLoad(t, s, r.ID, snap, r.Log)
		checkHistoryStart(t, s, r.ID, snap, r.Log)
	}
}
