package embedded_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"

	"github.com/pairpad/pairpad/store"
	"github.com/pairpad/pairpad/store/embedded"
)

var foldSeed = flag.Uint64("fold-seed", 0, "the seed of TestFoldModel's run (0: a new one)")

// created is the CreatedAt of the rooms these tests create.
var created = time.Date(2026, 1, 2, 3, 4, 5, 6_000_000, time.UTC)

// fileState is what a closed store's file holds in its journal and its rooms' logs.
type fileState struct {
	records  []uint64          // the journal's record numbers, in order
	bytes    int               // the size of their values
	largest  int               // the size of the largest
	logs     map[string]int    // how many entries each room's log holds
	lastSeqs map[string]uint64 // each room's stored last_seq
}

// readFile reads the file of a closed store in dir.
func readFile(t *testing.T, dir string) fileState {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dir, embedded.FileName), 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	f := fileState{logs: make(map[string]int), lastSeqs: make(map[string]uint64)}
	err = db.View(func(tx *bolt.Tx) error {
		err := tx.Bucket([]byte("journal")).ForEach(func(k, v []byte) error {
			f.records = append(f.records, binary.BigEndian.Uint64(k))
			f.bytes += len(v)
			f.largest = max(f.largest, len(v))
			return nil
		})
		if err != nil {
			return err
		}
		rooms := tx.Bucket([]byte("rooms"))
		return rooms.ForEachBucket(func(id []byte) error {
			f.logs[string(id)] = rooms.Bucket(id).Bucket([]byte("log")).Stats().KeyN
			f.lastSeqs[string(id)] = binary.BigEndian.Uint64(rooms.Bucket(id).Get([]byte("last_seq")))
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func openLimit(t *testing.T, dir string, limit int) *embedded.Store {
	t.Helper()
	s, err := embedded.OpenJournalLimit(dir, limit)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func closeStore(t *testing.T, s store.Store) {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

func createRooms(t *testing.T, s store.Store, ids ...string) {
	t.Helper()
	for _, id := range ids {
		if err := s.CreateRoom(t.Context(), store.Room{ID: id, CreatedAt: created}, []byte("init-"+id)); err != nil {
			t.Fatal(err)
		}
	}
}

// appendBatches appends batches in one commit and returns each batch's last seq.
func appendBatches(t *testing.T, s store.Store, batches ...store.Batch) []uint64 {
	t.Helper()
	var seqs []uint64
	for i, r := range s.AppendBatches(t.Context(), batches) {
		if r.Err != nil {
			t.Fatalf("batch %d: %v", i, r.Err)
		}
		seqs = append(seqs, r.LastSeq)
	}
	return seqs
}

func compact(t *testing.T, s store.Store, id string, seq uint64) store.Snapshot {
	t.Helper()
	snap := store.Snapshot{Seq: seq, State: fmt.Appendf(nil, "state-%s-%d", id, seq)}
	if err := s.Compact(t.Context(), id, snap); err != nil {
		t.Fatalf("Compact(%q, %d): %v", id, seq, err)
	}
	return snap
}

// updates returns one entry per update, numbered from first, with a time and a session.
func updates(first uint64, us ...string) []store.Entry {
	var entries []store.Entry
	for i, u := range us {
		entries = append(entries, store.Entry{
			Seq:     first + uint64(i),
			Update:  []byte(u),
			Time:    created.Add(time.Duration(first+uint64(i)) * time.Millisecond),
			Session: "session-" + u[:1],
		})
	}
	return entries
}

// TestJournalReopen checks that entries still in the journal, of rooms compacted or not, load
// the same after the store is opened again, and that their rooms' seqs go on after them.
func TestJournalReopen(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	createRooms(t, s, "a", "b", "c")
	a, b, c := updates(1, "a1", "a2", "a3"), updates(1, "b1", "b2", "b3"), updates(1, "c1", "c2", "c3")
	appendBatches(t, s, store.Batch{Room: "a", Entries: a[:2]}, store.Batch{Room: "b", Entries: b[:1]})
	appendBatches(t, s, store.Batch{Room: "a", Entries: a[2:]})
	appendBatches(t, s, store.Batch{Room: "c", Entries: c}, store.Batch{Room: "b", Entries: b[1:]})
	bSnap := compact(t, s, "b", 1)
	rooms := []storedRoom{
		{store.Room{ID: "a", CreatedAt: created}, store.Snapshot{State: []byte("init-a")}, a},
		{store.Room{ID: "b", CreatedAt: created}, bSnap, b[1:]},
		{store.Room{ID: "c", CreatedAt: created}, store.Snapshot{State: []byte("init-c")}, c},
	}
	checkRooms(t, s, rooms)
	closeStore(t, s)

	f := readFile(t, dir)
	if diff := cmp.Diff([]uint64{1, 2, 3}, f.records); diff != "" {
		t.Errorf("journal records mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]int{"a": 0, "b": 0, "c": 0}, f.logs); diff != "" {
		t.Errorf("entries in the rooms' logs mismatch (-want +got):\n%s", diff)
	}

	s = open(t, dir)
	checkRooms(t, s, rooms)
	for i, r := range rooms {
		added := updates(4, "new")
		if got := appendBatches(t, s, store.Batch{Room: r.room.ID, Entries: added}); got[0] != 4 {
			t.Errorf("room %q: Append after reopening = %d, want 4", r.room.ID, got[0])
		}
		rooms[i].log = append(r.log, added...)
	}
	closeStore(t, s)
	checkRooms(t, open(t, dir), rooms)
}

// TestCompactSpread compacts rooms whose groups are spread over several records, at seqs in
// the middle of a group: a record goes when no room has a live entry in it, the entries after
// a snapshot stay, and a room's seqs go on after its snapshot even once the journal holds none
// of its entries.
func TestCompactSpread(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	createRooms(t, s, "a", "b")
	var a, b []store.Entry
	for i := range 5 {
		ea := updates(uint64(2*i+1), fmt.Sprint("a", 2*i+1), fmt.Sprint("a", 2*i+2))
		eb := updates(uint64(2*i+1), fmt.Sprint("b", 2*i+1), fmt.Sprint("b", 2*i+2))
		appendBatches(t, s, store.Batch{Room: "a", Entries: ea}, store.Batch{Room: "b", Entries: eb})
		a, b = append(a, ea...), append(b, eb...)
	}
	// Record i holds a's and b's seqs 2i-1 and 2i.
	aSnap := compact(t, s, "a", 5) // inside record 3: its group stays live
	bSnap := compact(t, s, "b", 4) // records 1 and 2 are dead for both
	rooms := []storedRoom{
		{store.Room{ID: "a", CreatedAt: created}, aSnap, a[5:]},
		{store.Room{ID: "b", CreatedAt: created}, bSnap, b[4:]},
	}
	checkRooms(t, s, rooms)
	closeStore(t, s)
	if diff := cmp.Diff([]uint64{3, 4, 5}, readFile(t, dir).records); diff != "" {
		t.Errorf("journal records mismatch (-want +got):\n%s", diff)
	}

	s = open(t, dir)
	checkRooms(t, s, rooms)
	rooms[0].snap = compact(t, s, "a", 10)
	rooms[1].snap = compact(t, s, "b", 9)
	rooms[0].log, rooms[1].log = nil, b[9:]
	checkRooms(t, s, rooms)
	closeStore(t, s)
	if diff := cmp.Diff([]uint64{5}, readFile(t, dir).records); diff != "" {
		t.Errorf("journal records mismatch (-want +got):\n%s", diff)
	}

	s = open(t, dir)
	rooms[1].snap = compact(t, s, "b", 10)
	rooms[1].log = nil
	closeStore(t, s)
	if f := readFile(t, dir); len(f.records) != 0 {
		t.Errorf("journal records %v, want none", f.records)
	}
	s = open(t, dir)
	checkRooms(t, s, rooms)
	if got := appendBatches(t, s, store.Batch{Room: "a", Entries: updates(0, "x")}); got[0] != 11 {
		t.Errorf("Append after compacting every entry = %d, want 11", got[0])
	}
}

// TestSlowRoomFolded has a slow room put an entry in every record while a busy room, whose
// entries are most of each record, compacts after every commit: the slow room keeps every
// record alive, so the journal reaches its limit, and folding moves the slow room's entries to
// its log.
func TestSlowRoomFolded(t *testing.T) {
	const limit = 4 << 10
	dir := t.TempDir()
	s := openLimit(t, dir, limit)
	createRooms(t, s, "slow", "busy")
	var slow []store.Entry
	var busySnap store.Snapshot
	big := string(bytes.Repeat([]byte("b"), 300))
	for i := range 100 {
		e := updates(uint64(i+1), fmt.Sprint("s", i))
		seqs := appendBatches(t, s, store.Batch{Room: "slow", Entries: e}, store.Batch{Room: "busy", Entries: updates(0, big)})
		slow = append(slow, e...)
		busySnap = compact(t, s, "busy", seqs[1])
	}
	rooms := []storedRoom{
		{store.Room{ID: "slow", CreatedAt: created}, store.Snapshot{State: []byte("init-slow")}, slow},
		{store.Room{ID: "busy", CreatedAt: created}, busySnap, nil},
	}
	checkRooms(t, s, rooms)
	closeStore(t, s)

	f := readFile(t, dir)
	if f.bytes > limit+f.largest {
		t.Errorf("journal of %d bytes, want at most the limit %d and a record (%d)", f.bytes, limit, f.largest)
	}
	if f.logs["slow"] == 0 || f.logs["slow"]+len(f.records) != len(slow) {
		t.Errorf("slow room: %d entries folded into its log and %d records in the journal, want some folded and %d in all", f.logs["slow"], len(f.records), len(slow))
	}
	if f.lastSeqs["slow"] != uint64(f.logs["slow"]) {
		t.Errorf("slow room's stored last_seq = %d, want its last folded seq %d", f.lastSeqs["slow"], f.logs["slow"])
	}
	s = openLimit(t, dir, limit)
	checkRooms(t, s, rooms)
	if got := appendBatches(t, s, store.Batch{Room: "slow", Entries: updates(0, "x")}); got[0] != 101 {
		t.Errorf("Append = %d, want 101", got[0])
	}
}

// TestJournalBounded appends to rooms that never compact: folding keeps the journal within its
// limit and a record, and every entry loads, in order, from the logs and the journal.
func TestJournalBounded(t *testing.T) {
	const limit = 8 << 10
	dir := t.TempDir()
	s := openLimit(t, dir, limit)
	ids := []string{"a", "b", "c"}
	createRooms(t, s, ids...)
	logs := make(map[string][]store.Entry)
	for i := range 200 {
		var batches []store.Batch
		for _, id := range ids[:1+i%len(ids)] {
			n := uint64(len(logs[id]))
			e := updates(n+1, fmt.Sprintf("%s%d-%s", id, n+1, bytes.Repeat([]byte{'x'}, 40)))
			logs[id] = append(logs[id], e...)
			batches = append(batches, store.Batch{Room: id, Entries: e})
		}
		appendBatches(t, s, batches...)
	}
	var rooms []storedRoom
	for _, id := range ids {
		rooms = append(rooms, storedRoom{store.Room{ID: id, CreatedAt: created}, store.Snapshot{State: []byte("init-" + id)}, logs[id]})
	}
	checkRooms(t, s, rooms)
	closeStore(t, s)
	f := readFile(t, dir)
	if f.bytes > limit+f.largest || f.bytes < limit/2 {
		t.Errorf("journal of %d bytes, want about the limit %d (at most a record of %d more)", f.bytes, limit, f.largest)
	}
	checkRooms(t, openLimit(t, dir, limit), rooms)
}

// modelRoom is what TestFoldModel expects a room to hold.
type modelRoom struct {
	snap    store.Snapshot
	entries []store.Entry // every entry ever appended: entries[i] has seq i+1
}

// TestFoldModel runs random appends, compactions, deletions of rooms (each created again at
// once) and reopenings against a store with a small journal limit, and checks after each step
// that every room loads as a naive model says: every entry after the snapshot once, in seq
// order, wherever the journal and its folding put it, and nothing of a deleted room.
func TestFoldModel(t *testing.T) {
	seed := *foldSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (go test -run TestFoldModel -fold-seed %d replays it)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	const limit = 3 << 10
	dir := t.TempDir()
	s := openLimit(t, dir, limit)
	ids := []string{"r0", "r1", "r2", "r3", "r4"}
	createRooms(t, s, ids...)
	model := make(map[string]*modelRoom)
	for _, id := range ids {
		model[id] = &modelRoom{snap: store.Snapshot{State: []byte("init-" + id)}}
	}
	// folded is the most entries the rooms' logs held at a reopening: deletions empty them.
	folded := 0
	countFolded := func() fileState {
		f := readFile(t, dir)
		n := 0
		for _, entries := range f.logs {
			n += entries
		}
		folded = max(folded, n)
		return f
	}
	for step := range 400 {
		switch op := rng.IntN(11); {
		case op < 6:
			var batches []store.Batch
			for range 1 + rng.IntN(4) {
				id := ids[rng.IntN(len(ids))]
				batches = append(batches, store.Batch{Room: id, Entries: randomEntries(rng)})
			}
			for i, seq := range appendBatches(t, s, batches...) {
				m := model[batches[i].Room]
				for _, e := range batches[i].Entries {
					e.Seq = uint64(len(m.entries) + 1)
					m.entries = append(m.entries, e)
				}
				if seq != uint64(len(m.entries)) {
					t.Fatalf("step %d: batch %d of room %q ends at seq %d, want %d", step, i, batches[i].Room, seq, len(m.entries))
				}
			}
		case op < 9:
			id := ids[rng.IntN(len(ids))]
			m := model[id]
			seq := m.snap.Seq + rng.Uint64N(uint64(len(m.entries))-m.snap.Seq+1)
			m.snap = compact(t, s, id, seq)
		case op < 10:
			id := ids[rng.IntN(len(ids))]
			deleteRoom(t, s, id)
			createRooms(t, s, id)
			model[id] = &modelRoom{snap: store.Snapshot{State: []byte("init-" + id)}}
		default:
			closeStore(t, s)
			countFolded()
			s = openLimit(t, dir, limit)
		}
		checkModel(t, s, model)
	}
	closeStore(t, s)
	f := countFolded()
	if folded == 0 {
		t.Errorf("no entry was folded (journal of %d bytes): the test does not test folding", f.bytes)
	}
	if f.bytes > limit+f.largest {
		t.Errorf("journal of %d bytes, want at most the limit %d and a record (%d)", f.bytes, limit, f.largest)
	}
	checkModel(t, open(t, dir), model)
}

// randomEntries returns 1 to 3 entries of random updates, times and sessions, with a zero
// time and an empty session now and then.
func randomEntries(rng *rand.Rand) []store.Entry {
	entries := make([]store.Entry, 1+rng.IntN(3))
	for i := range entries {
		update := make([]byte, rng.IntN(120))
		for k := range update {
			update[k] = byte(rng.UintN(256))
		}
		entries[i].Update = update
		if rng.IntN(5) > 0 {
			entries[i].Time = time.UnixMicro(rng.Int64N(4e15)).UTC()
		}
		entries[i].Session = []string{"", "alice", "bob"}[rng.IntN(3)]
	}
	return entries
}

func checkModel(t *testing.T, s store.Store, model map[string]*modelRoom) {
	t.Helper()
	for id, m := range model {
		snap, log, err := s.Load(t.Context(), id)
		if err != nil {
			t.Fatalf("Load(%q): %v", id, err)
		}
		// bytes.Equal, not cmp's walk of every byte: these logs are long.
		equalBytes := cmp.Comparer(bytes.Equal)
		want := m.snap
		want.Checkpoint = want.Seq == 0 // the initial state is a checkpoint; the model's others are not
		if diff := cmp.Diff(want, snap, equalBytes); diff != "" {
			t.Fatalf("room %q: snapshot mismatch (-want +got):\n%s", id, diff)
		}
		// Compaction kept every entry for history.
		if all, err := s.Entries(t.Context(), id, 0, uint64(len(m.entries)), len(m.entries)+1); err != nil {
			t.Fatalf("Entries(%q): %v", id, err)
		} else if len(m.entries)+len(all) > 0 {
			if diff := cmp.Diff(m.entries, all, equalBytes); diff != "" {
				t.Fatalf("room %q: history mismatch (-want +got):\n%s", id, diff)
			}
		}
		if want := m.entries[m.snap.Seq:]; len(want)+len(log) > 0 {
			if diff := cmp.Diff(want, log, equalBytes); diff != "" {
				t.Fatalf("room %q: log mismatch (-want +got):\n%s", id, diff)
			}
		}
	}
}

// TestLoadDuringAppends loads rooms while a writer appends to them in group commits, compacts
// them and, past a small journal limit, folds their records: every Load must see a snapshot and
// the entries after it without a gap or a repeat, up to at least every entry whose commit
// returned before the Load began. Run it with -race.
func TestLoadDuringAppends(t *testing.T) {
	s := openLimit(t, t.TempDir(), 2<<10)
	ids := []string{"a", "b", "c"}
	createRooms(t, s, ids...)
	var acked [3]atomic.Uint64
	ctx, stop := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Go(func() {
		defer stop()
		for commit := range 300 {
			var batches []store.Batch
			for r, id := range ids {
				seq := acked[r].Load() + 1
				batches = append(batches, store.Batch{Room: id, Entries: []store.Entry{{Update: fmt.Appendf(nil, "%s/%d", id, seq)}}})
			}
			for r, res := range s.AppendBatches(t.Context(), batches) {
				if res.Err != nil {
					t.Error(res.Err)
					return
				}
				acked[r].Store(res.LastSeq)
			}
			if r := commit % 5; r < len(ids) {
				seq := acked[r].Load() - uint64(commit%3)
				if err := s.Compact(t.Context(), ids[r], store.Snapshot{Seq: seq, State: fmt.Appendf(nil, "%s@%d", ids[r], seq)}); err != nil {
					t.Error(err)
					return
				}
			}
		}
	})
	for range 2 {
		wg.Go(func() {
			for ctx.Err() == nil {
				for r, id := range ids {
					if err := checkPrefix(s, id, acked[r].Load()); err != nil {
						t.Error(err)
						stop()
						return
					}
				}
			}
		})
	}
	wg.Wait()
}

// checkPrefix loads room id and checks that it holds a snapshot and the entries after it
// without a gap or a repeat, up to at least seq acked.
func checkPrefix(s store.Store, id string, acked uint64) error {
	snap, log, err := s.Load(context.Background(), id)
	if err != nil {
		return err
	}
	if want := fmt.Sprintf("%s@%d", id, snap.Seq); snap.Seq > 0 && string(snap.State) != want {
		return fmt.Errorf("room %q: snapshot at %d holds %q, want %q", id, snap.Seq, snap.State, want)
	}
	for i, e := range log {
		seq := snap.Seq + uint64(i) + 1
		if want := fmt.Sprintf("%s/%d", id, seq); e.Seq != seq || string(e.Update) != want {
			return fmt.Errorf("room %q: entry %d after the snapshot at %d is %d %q, want %d %q", id, i, snap.Seq, e.Seq, e.Update, seq, want)
		}
	}
	if last := snap.Seq + uint64(len(log)); last < acked {
		return fmt.Errorf("room %q: loaded up to seq %d, but %d was committed before the Load", id, last, acked)
	}
	return nil
}

// TestFailedCommit checks that a commit that fails (here, for its cancelled context) changes
// neither the file nor what the store knows of its rooms: the next append takes the seq the
// failed one would have taken.
func TestFailedCommit(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	createRooms(t, s, "a")
	log := updates(1, "a1", "a2", "a3")
	appendBatches(t, s, store.Batch{Room: "a", Entries: log[:2]})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if r := s.AppendBatches(ctx, []store.Batch{{Room: "a", Entries: updates(0, "lost")}}); r[0].Err == nil {
		t.Fatal("AppendBatches with a cancelled context: err = nil")
	}
	if err := s.Compact(ctx, "a", store.Snapshot{Seq: 2}); err == nil {
		t.Fatal("Compact with a cancelled context: err = nil")
	}
	if got := appendBatches(t, s, store.Batch{Room: "a", Entries: log[2:]}); got[0] != 3 {
		t.Errorf("Append after a failed commit = %d, want 3", got[0])
	}
	rooms := []storedRoom{{store.Room{ID: "a", CreatedAt: created}, store.Snapshot{State: []byte("init-a")}, log}}
	checkRooms(t, s, rooms)
	closeStore(t, s)
	checkRooms(t, open(t, dir), rooms)
}
