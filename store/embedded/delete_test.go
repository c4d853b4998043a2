package embedded_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"

	"github.com/pairpad/pairpad/store"
	"github.com/pairpad/pairpad/store/embedded"
)

// readTombstones returns the tombstones in the file of a closed store in dir.
func readTombstones(t *testing.T, dir string) map[string]uint64 {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dir, embedded.FileName), 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tombstones := make(map[string]uint64)
	err = db.View(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("deleted")).ForEach(func(k, v []byte) error {
			tombstones[string(k)] = binary.BigEndian.Uint64(v)
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return tombstones
}

func deleteRoom(t *testing.T, s store.Store, id string) {
	t.Helper()
	if err := s.DeleteRoom(t.Context(), id); err != nil {
		t.Fatalf("DeleteRoom(%q): %v", id, err)
	}
}

// TestDeleteRoomJournal deletes rooms whose groups, live and dead, share journal records with
// a room that stays: the records stay for it, the store opens again without taking the
// deleted rooms' groups for corruption, folds them away past the journal's limit without
// writing them anywhere, and a room created again under a deleted id holds only its own
// entries, in the journal and folded, before and after reopening. Once no record holds
// their groups, the next deletion drops their tombstones.
func TestDeleteRoomJournal(t *testing.T) {
	const limit = 2 << 10
	dir := t.TempDir()
	s := openLimit(t, dir, limit)
	createRooms(t, s, "gone", "again", "kept")
	var kept []store.Entry
	for i := range 4 {
		e := updates(uint64(i+1), fmt.Sprint("k", i+1))
		kept = append(kept, e...)
		appendBatches(t, s,
			store.Batch{Room: "gone", Entries: updates(0, fmt.Sprint("g", i+1))},
			store.Batch{Room: "kept", Entries: e},
			store.Batch{Room: "again", Entries: updates(0, fmt.Sprint("a", i+1))})
	}
	compact(t, s, "gone", 2) // records 1 and 2 hold dead groups of gone, 3 and 4 live ones
	deleteRoom(t, s, "gone")
	deleteRoom(t, s, "again")
	createRooms(t, s, "again") // before reopening: its index starts empty
	rooms := []storedRoom{
		{store.Room{ID: "kept", CreatedAt: created}, store.Snapshot{State: []byte("init-kept")}, kept},
		{store.Room{ID: "again", CreatedAt: created}, store.Snapshot{State: []byte("init-again")}, nil},
	}
	checkRooms(t, s, rooms)
	closeStore(t, s)
	if diff := cmp.Diff([]uint64{1, 2, 3, 4}, readFile(t, dir).records); diff != "" {
		t.Errorf("journal records mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]uint64{"gone": 5, "again": 5}, readTombstones(t, dir)); diff != "" {
		t.Errorf("tombstones mismatch (-want +got):\n%s", diff)
	}

	s = openLimit(t, dir, limit)
	checkRooms(t, s, rooms)
	if _, _, err := s.Load(t.Context(), "gone"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Load of a deleted room after reopening: err = %v, want ErrNotFound", err)
	}
	// Past the limit, commits fold the old records, the deleted rooms' groups in them included.
	big := strings.Repeat("x", 200)
	for i := range 20 {
		seq := uint64(len(kept) + 1)
		e := updates(seq, fmt.Sprintf("k%d-%s", seq, big))
		kept = append(kept, e...)
		a := updates(uint64(i+1), fmt.Sprintf("a%d", i+1))
		rooms[1].log = append(rooms[1].log, a...)
		if got := appendBatches(t, s, store.Batch{Room: "kept", Entries: e}, store.Batch{Room: "again", Entries: a}); got[1] != uint64(i+1) {
			t.Fatalf("Append to the room created again = %d, want %d", got[1], i+1)
		}
	}
	rooms[0].log = kept
	checkRooms(t, s, rooms)
	closeStore(t, s)
	f := readFile(t, dir)
	if f.records[0] <= 4 {
		t.Fatalf("journal records %v: the records the deleted rooms shared were not folded", f.records)
	}
	if f.logs["kept"] < 4 || f.logs["again"] == 0 || f.logs["again"] >= 20 || f.lastSeqs["again"] != uint64(f.logs["again"]) {
		t.Errorf("folded entries: %d of kept, %d of again (last_seq %d); want kept's first 4 and more, and some of again's 20 with their last seq",
			f.logs["kept"], f.logs["again"], f.lastSeqs["again"])
	}

	s = openLimit(t, dir, limit)
	checkRooms(t, s, rooms)
	createRooms(t, s, "brief")
	deleteRoom(t, s, "brief")
	closeStore(t, s)
	if diff := cmp.Diff([]string{"brief"}, mapKeys(readTombstones(t, dir))); diff != "" {
		t.Errorf("tombstones after the old records were folded mismatch (-want +got):\n%s", diff)
	}
	checkRooms(t, openLimit(t, dir, limit), rooms)
}

func mapKeys(m map[string]uint64) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	return keys
}

// TestDeleteRoomEmptiesJournal deletes the only room with entries in the journal: its records
// go, no tombstone is needed, and the id created again numbers its journal records after them.
func TestDeleteRoomEmptiesJournal(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	createRooms(t, s, "r")
	appendBatches(t, s, store.Batch{Room: "r", Entries: updates(0, "a", "b")})
	appendBatches(t, s, store.Batch{Room: "r", Entries: updates(0, "c")})
	deleteRoom(t, s, "r")
	closeStore(t, s)
	if f, tombstones := readFile(t, dir), readTombstones(t, dir); len(f.records) != 0 || len(tombstones) != 0 {
		t.Fatalf("after deleting the only room: journal records %v and tombstones %v, want none", f.records, tombstones)
	}
	s = open(t, dir)
	createRooms(t, s, "r")
	entries := updates(1, "x")
	appendBatches(t, s, store.Batch{Room: "r", Entries: entries})
	rooms := []storedRoom{{store.Room{ID: "r", CreatedAt: created}, store.Snapshot{State: []byte("init-r")}, entries}}
	checkRooms(t, s, rooms)
	closeStore(t, s)
	checkRooms(t, open(t, dir), rooms)
}

// TestTombstoneOutlivesJournal empties the journal while a tombstone is kept: the store opened
// again must number its records after the tombstone, or it would take the new room's groups
// for the deleted room's.
func TestTombstoneOutlivesJournal(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	createRooms(t, s, "kept", "again")
	appendBatches(t, s, store.Batch{Room: "kept", Entries: updates(0, "k")}, store.Batch{Room: "again", Entries: updates(0, "a")})
	deleteRoom(t, s, "again") // record 1 stays for kept: a tombstone at 2
	createRooms(t, s, "again")
	keptSnap := compact(t, s, "kept", 1) // record 1 goes: the journal is empty
	closeStore(t, s)

	s = open(t, dir)
	entries := updates(1, "new")
	appendBatches(t, s, store.Batch{Room: "again", Entries: entries})
	closeStore(t, s)
	if f := readFile(t, dir); len(f.records) != 1 || f.records[0] < 2 {
		t.Errorf("journal records %v, want one numbered after the tombstone at 2", f.records)
	}
	checkRooms(t, open(t, dir), []storedRoom{
		{store.Room{ID: "kept", CreatedAt: created}, keptSnap, nil},
		{store.Room{ID: "again", CreatedAt: created}, store.Snapshot{State: []byte("init-again")}, entries},
	})
}

// TestJournalGroupOfUnknownRoom checks that Open still refuses a journal whose group names a
// room that does not exist and that no deletion explains: a group of a room with no
// tombstone, or one in a record written after the room's tombstone. The file is damaged by
// deleting the room's buckets behind the store's back.
func TestJournalGroupOfUnknownRoom(t *testing.T) {
	both := []store.Batch{{Room: "kept", Entries: updates(0, "k")}, {Room: "ghost", Entries: updates(0, "g")}}
	tests := []struct {
		name  string
		setup func(t *testing.T, s store.Store)
	}{
		{"no tombstone", func(t *testing.T, s store.Store) {
			appendBatches(t, s, both...)
		}},
		{"a record after the tombstone", func(t *testing.T, s store.Store) {
			appendBatches(t, s, both...)
			deleteRoom(t, s, "ghost") // record 1 stays, for kept
			createRooms(t, s, "ghost")
			appendBatches(t, s, both...)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			s := open(t, dir)
			createRooms(t, s, "kept", "ghost")
			tt.setup(t, s)
			closeStore(t, s)
			deleteBuckets(t, dir, "ghost")
			if s, err := embedded.Open(dir); err == nil {
				s.Close()
				t.Fatal("Open of a journal with entries of a room that does not exist: err = nil, want an error")
			} else if !strings.Contains(err.Error(), "does not exist") {
				t.Errorf("Open: err = %v, want one that says the room does not exist", err)
			}
		})
	}
}

// deleteBuckets damages the file in dir: room id's buckets go, and nothing else.
func deleteBuckets(t *testing.T, dir, id string) {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dir, embedded.FileName), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		return errors.Join(tx.Bucket([]byte("rooms")).DeleteBucket([]byte(id)), tx.Bucket([]byte("snapshots")).DeleteBucket([]byte(id)))
	})
	if err := errors.Join(err, db.Close()); err != nil {
		t.Fatal(err)
	}
}
