package embedded_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	bolt "go.etcd.io/bbolt"
	"go.uber.org/goleak"

	"github.com/pairpad/pairpad/store"
	"github.com/pairpad/pairpad/store/embedded"
	"github.com/pairpad/pairpad/store/storetest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t, t.TempDir()) })
}

func TestDurable(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nested", "data") // Open creates missing directories
	storetest.RunDurable(t, func(t *testing.T) store.Store { return open(t, dir) })
}

func BenchmarkAppend(b *testing.B) {
	storetest.BenchmarkAppend(b, func(b *testing.B) store.Store { return open(b, b.TempDir()) })
}

// TestOpenInUse checks that a second Open of a directory in use fails (after bbolt's lock
// timeout) instead of sharing the file.
func TestOpenInUse(t *testing.T) {
	dir := t.TempDir()
	open(t, dir)
	if s, err := embedded.Open(dir); err == nil {
		s.Close()
		t.Fatal("second Open of a directory in use: err = nil, want an error")
	}
}

// TestLayout1 opens testdata/v1.db, a file in the layout the store wrote before entries had a
// time and a session (doc.go), holding storetest.OldRooms. The program testdata/genv1 wrote it
// with the store of commit cc9f3d4 ("git show cc9f3d4:store/embedded/testdata/genv1/main.go";
// a later commit deleted it, as today's store has no language to set).
func TestLayout1(t *testing.T) {
	dir := fixtureDir(t, "v1.db")
	storetest.RunUpgrade(t, func(t *testing.T) store.Store { return open(t, dir) })
	checkLayout(t, dir)
}

// fixtureDir returns a new data directory whose database file is a copy of testdata/name.
func fixtureDir(t *testing.T, name string) string {
	t.Helper()
	dir := t.TempDir()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, embedded.FileName), data, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// storedRoom is a room as Load returns it.
type storedRoom struct {
	room store.Room
	snap store.Snapshot
	log  []store.Entry
}

// v2Rooms returns the rooms in testdata/v2.db and testdata/v3.db.
func v2Rooms() []storedRoom {
	created := time.Date(2025, 3, 14, 15, 9, 26, 535_000_000, time.UTC)
	entry := func(seq uint64, update string, second int) store.Entry {
		return store.Entry{Seq: seq, Update: []byte(update), Time: created.Add(time.Duration(second) * time.Second), Session: "conn-" + update}
	}
	var bigLog []store.Entry
	for i := 100; i < 200; i++ {
		bigLog = append(bigLog, store.Entry{Seq: uint64(i + 1), Update: bytes.Repeat([]byte{byte(i)}, 40), Time: created.Add(time.Duration(i) * time.Millisecond), Session: "big"})
	}
	return []storedRoom{
		{
			store.Room{ID: "plain", CreatedAt: created},
			store.Snapshot{State: []byte("init-plain")},
			[]store.Entry{entry(1, "a", 1), entry(2, "b", 2), {Seq: 3, Update: []byte("c")}},
		},
		{
			store.Room{ID: "compacted", CreatedAt: created.Add(time.Hour)},
			store.Snapshot{Seq: 3, State: []byte("state-3")},
			[]store.Entry{entry(4, "u4", 4), entry(5, "u5", 5)},
		},
		{
			store.Room{ID: "ünï/✓", CreatedAt: created.Add(time.Minute)},
			store.Snapshot{Seq: 2, State: []byte{0xff, 0}},
			[]store.Entry{{Seq: 3, Update: []byte{}, Session: "é"}, {Seq: 4, Update: []byte{7}, Time: created}},
		},
		{
			store.Room{ID: "emptied", CreatedAt: created.Add(2 * time.Hour)},
			store.Snapshot{Seq: 2, State: []byte("state-2")},
			nil,
		},
		{
			store.Room{ID: "big", CreatedAt: created.Add(3 * time.Hour)},
			store.Snapshot{Seq: 100, State: bytes.Repeat([]byte("fedcba9876543210"), 2560)},
			bigLog,
		},
	}
}

// TestLayout2 opens testdata/v2.db, a file in the layout the store wrote before snapshots moved
// out of the rooms' buckets (doc.go), holding v2Rooms. The program testdata/genv2 wrote it with
// the store of commit 5ecf005 ("git show 5ecf005:store/embedded/testdata/genv2/main.go"; a
// later commit deleted it, as today's store writes layout 3).
func TestLayout2(t *testing.T) {
	testOldLayout(t, "v2.db")
}

// TestLayout3 opens testdata/v3.db, a file in the layout the store wrote before it had a
// journal (doc.go), holding v2Rooms. The program testdata/genv3 wrote it with the store of
// commit 6cda639 ("git show 6cda639:store/embedded/testdata/genv3/main.go"; a later commit
// deleted it, as today's store writes layout 4).
func TestLayout3(t *testing.T) {
	testOldLayout(t, "v3.db")
}

// TestLayout4 opens testdata/v4.db, a file in the layout the store wrote before rooms could
// be deleted (doc.go), holding v2Rooms, most of their entries in the journal. The program
// testdata/genv4 wrote it with the store of commit 6e9cf33 ("git show
// 6e9cf33:store/embedded/testdata/genv4/main.go"; a later commit deleted it, as the store went
// on to write layout 5).
func TestLayout4(t *testing.T) {
	testOldLayout(t, "v4.db")
}

// TestLayout5 opens testdata/v5.db, a file in the layout the store wrote before it wrote large
// snapshots in chunks (doc.go), holding v2Rooms: genv4's program run with the store of commit
// e22b138, which wrote layout 5.
func TestLayout5(t *testing.T) {
	testOldLayout(t, "v5.db")
}

// TestLayout6 opens testdata/v6.db, a file in the layout the store wrote before rooms had
// links and an owner (doc.go), holding v2Rooms: genv4's program run with the store of commit
// 0970446, which wrote layout 6.
func TestLayout6(t *testing.T) {
	testOldLayout(t, "v6.db")
}

// TestLayout7 opens testdata/v7.db, a file in the layout the store wrote before it kept
// history (doc.go), holding v2Rooms: genv4's program run with the store of commit 1126654,
// which wrote layout 7.
func TestLayout7(t *testing.T) {
	testOldLayout(t, "v7.db")
}

// testOldLayout opens a copy of testdata/fixture, which holds v2Rooms. Every room must load as
// it was stored, take new entries after its last seq, and load the same after the store is
// opened again.
func testOldLayout(t *testing.T, fixture string) {
	dir := fixtureDir(t, fixture)
	rooms := v2Rooms()
	for i := range rooms {
		// Compaction deleted the entries before the snapshot: the room's history starts there.
		rooms[i].snap.Checkpoint = true
	}
	s := open(t, dir)
	checkRooms(t, s, rooms)
	for i, r := range rooms {
		added := store.Entry{Update: []byte("new"), Time: time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC), Session: "new"}
		added.Seq = max(r.snap.Seq, lastSeq(r.log)) + 1
		if got, err := s.Append(t.Context(), r.room.ID, []store.Entry{added}); err != nil || got != added.Seq {
			t.Errorf("room %q: Append = %d, %v; want %d", r.room.ID, got, err, added.Seq)
		}
		rooms[i].log = append(r.log, added)
	}
	checkRooms(t, s, rooms)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	checkLayout(t, dir)
	s = open(t, dir)
	checkRooms(t, s, rooms)
	for _, r := range rooms {
		checkHistory(t, s, r)
	}
}

// checkHistory checks that an upgraded room's history starts at its snapshot, with the entries
// after it, and holds nothing before.
func checkHistory(t *testing.T, s store.Store, r storedRoom) {
	t.Helper()
	id := r.room.ID
	if snap, err := s.Checkpoint(t.Context(), id, r.snap.Seq); err != nil || !cmp.Equal(snap, r.snap, cmpopts.EquateEmpty()) {
		t.Errorf("Checkpoint(%q, %d) = seq %d, %v; want the snapshot", id, r.snap.Seq, snap.Seq, err)
	}
	log, err := s.Entries(t.Context(), id, r.snap.Seq, 1<<40, 1000)
	if diff := cmp.Diff(r.log, log, cmpopts.EquateEmpty()); err != nil || diff != "" {
		t.Errorf("Entries(%q) after the snapshot: %v, mismatch (-want +got):\n%s", id, err, diff)
	}
	if r.snap.Seq > 0 {
		if _, err := s.Entries(t.Context(), id, r.snap.Seq-1, 1<<40, 1000); !errors.Is(err, store.ErrTrimmed) {
			t.Errorf("Entries(%q) before the snapshot: err = %v, want ErrTrimmed", id, err)
		}
	}
}

func lastSeq(log []store.Entry) uint64 {
	if len(log) == 0 {
		return 0
	}
	return log[len(log)-1].Seq
}

// checkRooms checks that s holds rooms as they are, and finds each by its edit link; a room
// without OpenedAt must have been opened when it was created, one without an EditID must have
// its ID as its edit link, and a snapshot at seq 0, the initial state, must be a checkpoint.
func checkRooms(t *testing.T, s store.Store, rooms []storedRoom) {
	t.Helper()
	for _, want := range rooms {
		want.snap.Checkpoint = want.snap.Checkpoint || want.snap.Seq == 0
		if want.room.OpenedAt.IsZero() {
			want.room.OpenedAt = want.room.CreatedAt
		}
		if want.room.Access.EditID == "" {
			want.room.Access.EditID = want.room.ID
		}
		var got storedRoom
		var err error
		if got.room, err = s.Room(t.Context(), want.room.ID); err != nil {
			t.Errorf("Room(%q): %v", want.room.ID, err)
			continue
		}
		if byLink, err := s.RoomByLink(t.Context(), want.room.Access.EditID); err != nil || byLink.ID != want.room.ID {
			t.Errorf("RoomByLink(%q) = room %q, %v; want room %q", want.room.Access.EditID, byLink.ID, err, want.room.ID)
		}
		if got.snap, got.log, err = s.Load(t.Context(), want.room.ID); err != nil {
			t.Errorf("Load(%q): %v", want.room.ID, err)
			continue
		}
		if diff := cmp.Diff(want, got, cmp.AllowUnexported(storedRoom{}), cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("room %q mismatch (-want +got):\n%s", want.room.ID, diff)
		}
	}
}

// checkLayout checks the file in dir as doc.go describes layout 8: the layout version, a
// journal bucket, a bucket of tombstones, each room's snapshot in the snapshots bucket, not in
// its bucket in rooms, which has no language key left from layout 1 either, each room's edit
// link in its bucket and in the links bucket, and each room's history bucket.
func checkLayout(t *testing.T, dir string) {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dir, embedded.FileName), 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.View(func(tx *bolt.Tx) error {
		if got := tx.Bucket([]byte("meta")).Get([]byte("layout")); binary.BigEndian.Uint64(got) != 8 {
			t.Errorf("layout = %x, want 8", got)
		}
		for _, name := range []string{"journal", "deleted", "links", "history"} {
			if tx.Bucket([]byte(name)) == nil {
				t.Errorf("no %s bucket", name)
			}
		}
		rooms, snapshots := tx.Bucket([]byte("rooms")), tx.Bucket([]byte("snapshots"))
		return rooms.ForEachBucket(func(id []byte) error {
			for _, key := range []string{"language", "snapshot_seq", "snapshot"} {
				if v := rooms.Bucket(id).Get([]byte(key)); v != nil {
					t.Errorf("room %q still has a %s key (%q)", id, key, v)
				}
			}
			if snapshots.Bucket(id) == nil {
				t.Errorf("room %q has no bucket in snapshots", id)
			}
			if h := tx.Bucket([]byte("history")).Bucket(id); h == nil || h.Bucket([]byte("entries")) == nil || h.Bucket([]byte("versions")) == nil {
				t.Errorf("room %q has no history bucket with entries and versions", id)
			}
			edit := rooms.Bucket(id).Get([]byte("edit_id"))
			if owner := tx.Bucket([]byte("links")).Get(edit); edit == nil || !bytes.Equal(owner, id) {
				t.Errorf("room %q: edit_id %q, which the links bucket maps to %q", id, edit, owner)
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestNewerLayout checks that Open refuses a file of a layout it does not know, rather than
// reading it wrong.
func TestNewerLayout(t *testing.T) {
	dir := t.TempDir()
	db, err := bolt.Open(filepath.Join(dir, embedded.FileName), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		if _, err := tx.CreateBucket([]byte("rooms")); err != nil {
			return err
		}
		meta, err := tx.CreateBucket([]byte("meta"))
		if err != nil {
			return err
		}
		return meta.Put([]byte("layout"), binary.BigEndian.AppendUint64(nil, 99))
	})
	if err := errors.Join(err, db.Close()); err != nil {
		t.Fatal(err)
	}
	s, err := embedded.Open(dir)
	if err == nil {
		s.Close()
		t.Fatal("Open of a file of layout 99: err = nil, want an error")
	}
	if !strings.Contains(err.Error(), "newer") {
		t.Errorf("Open of a file of layout 99: err = %v, want one that says a newer pairpad wrote it", err)
	}
}

// TestIgnoresEpochs checks that the store, for one node, has no leases and writes what lease
// epochs fence as if they were not there.
func TestIgnoresEpochs(t *testing.T) {
	var s store.Store = open(t, t.TempDir())
	if _, ok := s.(store.Leases); ok {
		t.Fatal("the embedded store implements store.Leases")
	}
	if err := s.CreateRoom(t.Context(), store.Room{ID: "r", CreatedAt: time.Now()}, []byte("init")); err != nil {
		t.Fatal(err)
	}
	batch := store.Batch{Room: "r", Entries: []store.Entry{{Update: []byte("a")}, {Update: []byte("b")}}, Epoch: 7}
	if res := s.AppendBatches(t.Context(), []store.Batch{batch}); res[0].Err != nil || res[0].LastSeq != 2 {
		t.Fatalf("AppendBatches of a fenced batch = %+v, want seq 2", res[0])
	}
	if err := s.Compact(t.Context(), "r", store.Snapshot{Seq: 1, State: []byte("A"), Epoch: 7}); err != nil {
		t.Fatalf("fenced Compact: %v", err)
	}
	snap, log, err := s.Load(t.Context(), "r")
	if err != nil {
		t.Fatal(err)
	}
	want := store.Snapshot{Seq: 1, State: []byte("A")}
	if diff := cmp.Diff(want, snap); diff != "" {
		t.Errorf("snapshot mismatch (-want +got):\n%s", diff)
	}
	if len(log) != 1 || string(log[0].Update) != "b" {
		t.Errorf("log after the snapshot = %+v, want b alone", log)
	}
}

// TestAppendBatches checks the group commit: batches keep their order, batches of one room go
// in turn, and a batch refused on its own writes nothing and fails alone while the others commit.
func TestAppendBatches(t *testing.T) {
	entries := func(updates ...string) []store.Entry {
		var es []store.Entry
		for _, u := range updates {
			es = append(es, store.Entry{Update: []byte(u), Session: "s"})
		}
		return es
	}
	invalid := store.Entry{Update: []byte("invalid"), Session: "nul\x00"}
	tests := []struct {
		name    string
		batches []store.Batch
		cancel  bool
		want    []store.BatchResult
		logs    map[string]string // each room's updates afterwards, concatenated
	}{
		{
			name:    "order",
			batches: []store.Batch{{Room: "a", Entries: entries("x", "y")}, {Room: "b", Entries: entries("z")}},
			want:    []store.BatchResult{{LastSeq: 2}, {LastSeq: 1}},
			logs:    map[string]string{"a": "xy", "b": "z"},
		},
		{
			name:    "two batches of one room",
			batches: []store.Batch{{Room: "a", Entries: entries("x")}, {Room: "b", Entries: entries("z")}, {Room: "a", Entries: entries("y", "w")}},
			want:    []store.BatchResult{{LastSeq: 1}, {LastSeq: 1}, {LastSeq: 3}},
			logs:    map[string]string{"a": "xyw", "b": "z"},
		},
		{
			name:    "unknown room fails alone",
			batches: []store.Batch{{Room: "a", Entries: entries("x")}, {Room: "missing", Entries: entries("y")}, {Room: "b", Entries: entries("z")}},
			want:    []store.BatchResult{{LastSeq: 1}, {Err: store.ErrNotFound}, {LastSeq: 1}},
			logs:    map[string]string{"a": "x", "b": "z"},
		},
		{
			name: "invalid entry fails its whole batch alone",
			batches: []store.Batch{
				{Room: "a", Entries: entries("x")},
				{Room: "b", Entries: append(entries("y"), invalid)},
				{Room: "b", Entries: entries("z")},
			},
			want: []store.BatchResult{{LastSeq: 1}, {Err: store.ErrInvalidEntry}, {LastSeq: 1}},
			logs: map[string]string{"a": "x", "b": "z"},
		},
		{
			name:    "empty batches read the last seq",
			batches: []store.Batch{{Room: "a"}, {Room: "a", Entries: entries("x")}, {Room: "a", Entries: []store.Entry{}}},
			want:    []store.BatchResult{{LastSeq: 0}, {LastSeq: 1}, {LastSeq: 1}},
			logs:    map[string]string{"a": "x", "b": ""},
		},
		{
			name:    "every batch refused",
			batches: []store.Batch{{Room: "missing", Entries: entries("x")}, {Room: "a", Entries: []store.Entry{invalid}}, {Room: "missing"}},
			want:    []store.BatchResult{{Err: store.ErrNotFound}, {Err: store.ErrInvalidEntry}, {Err: store.ErrNotFound}},
			logs:    map[string]string{"a": "", "b": ""},
		},
		{
			name: "no batches",
			want: []store.BatchResult{},
			logs: map[string]string{"a": "", "b": ""},
		},
		{
			name:    "a failed commit fails every batch",
			batches: []store.Batch{{Room: "a", Entries: entries("x")}, {Room: "b"}},
			cancel:  true,
			want:    []store.BatchResult{{Err: context.Canceled}, {Err: context.Canceled}},
			logs:    map[string]string{"a": "", "b": ""},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t, t.TempDir())
			for _, id := range []string{"a", "b"} {
				if err := s.CreateRoom(t.Context(), store.Room{ID: id}, nil); err != nil {
					t.Fatal(err)
				}
			}
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			if tt.cancel {
				cancel()
			}
			got := s.AppendBatches(ctx, tt.batches)
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateErrors()); diff != "" {
				t.Errorf("AppendBatches mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.logs, loadUpdates(t, s, "a", "b")); diff != "" {
				t.Errorf("logs mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// loadUpdates returns the updates in the logs of rooms ids, concatenated per room.
func loadUpdates(t *testing.T, s store.Store, ids ...string) map[string]string {
	t.Helper()
	logs := make(map[string]string)
	for _, id := range ids {
		_, log, err := s.Load(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		var updates []byte
		for _, e := range log {
			updates = append(updates, e.Update...)
		}
		logs[id] = string(updates)
	}
	return logs
}

// TestAppendLeavesSnapshot checks what issue 16 asks: an append writes none of its room's
// snapshot. bbolt never writes a page in place, so a snapshot written again moves: the page
// that holds it must be the one Compact put it in.
func TestAppendLeavesSnapshot(t *testing.T) {
	dir := t.TempDir()
	ctx := t.Context()
	snapshot := bytes.Repeat([]byte("snapshot"), 8<<10) // 64 KiB, in overflow pages
	s := open(t, dir)
	for _, id := range []string{"big", "other"} {
		if err := s.CreateRoom(ctx, store.Room{ID: id}, snapshot); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Compact(ctx, "big", store.Snapshot{State: snapshot}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	before := snapshotPage(t, dir, "big")
	s = open(t, dir)
	for i := range 20 {
		entries := []store.Entry{{Update: fmt.Appendf(nil, "u%d", i), Session: "s"}}
		results := s.AppendBatches(ctx, []store.Batch{{Room: "big", Entries: entries}, {Room: "other", Entries: entries}})
		if err := errors.Join(results[0].Err, results[1].Err); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	if after := snapshotPage(t, dir, "big"); after != before {
		t.Errorf("after 20 appends the snapshot moved from page %d to page %d: appends wrote it again", before, after)
	}
}

// snapshotPage returns the page of room id's snapshot in the file in dir.
func snapshotPage(t *testing.T, dir, id string) uint64 {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dir, embedded.FileName), 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var page uint64
	err = db.View(func(tx *bolt.Tx) error {
		page = uint64(tx.Bucket([]byte("snapshots")).Bucket([]byte(id)).Root())
		return nil
	})
	if err != nil || page == 0 {
		t.Fatalf("room %q's snapshot: page %d, %v; want a page of its own", id, page, err)
	}
	return page
}

// crashDirEnv, when set, makes TestCrashChild append to the store in that directory until it
// is killed.
const crashDirEnv = "PAIRPAD_EMBEDDED_CRASH_DIR"

// TestCrash kills a process that is appending (SIGKILL, no chance to close the store) and
// checks that every Append it saw succeed is in the store after reopening, with contiguous seqs.
func TestCrash(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The child prints the seq of every Append that returned nil.
	var acked uint64
	lines := bufio.NewScanner(stdout)
	for acked < 200 && lines.Scan() {
		if seq, ok := strings.CutPrefix(lines.Text(), "acked "); ok {
			if acked, err = strconv.ParseUint(seq, 10, 64); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if acked < 200 {
		t.Fatalf("the child stopped after %d appends: %v", acked, lines.Err())
	}

	s := open(t, dir)
	_, log, err := s.Load(t.Context(), "crash")
	if err != nil {
		t.Fatal(err)
	}
	if uint64(len(log)) < acked {
		t.Fatalf("after the crash the log has %d entries, want at least the %d acknowledged", len(log), acked)
	}
	for i, e := range log {
		if want := crashUpdate(uint64(i + 1)); e.Seq != uint64(i+1) || string(e.Update) != want || e.Session != "crash" {
			t.Fatalf("entry %d = {%d %q %q}, want {%d %q \"crash\"}", i, e.Seq, e.Update, e.Session, i+1, want)
		}
	}
	// The store still takes writes where the log left off.
	if got, err := s.Append(t.Context(), "crash", []store.Entry{{Update: []byte("after")}}); err != nil || got != uint64(len(log))+1 {
		t.Fatalf("Append after the crash = %d, %v; want %d", got, err, len(log)+1)
	}
}

func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("run by TestCrash")
	}
	s, err := embedded.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if err := s.CreateRoom(ctx, store.Room{ID: "crash", CreatedAt: time.Now()}, nil); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute) // stop by itself if the parent never kills it
	for seq := uint64(1); time.Now().Before(deadline); seq++ {
		if _, err := s.Append(ctx, "crash", []store.Entry{{Update: []byte(crashUpdate(seq)), Time: time.Now(), Session: "crash"}}); err != nil {
			t.Fatal(err)
		}
		fmt.Printf("acked %d\n", seq)
	}
	t.Fatal("not killed within a minute")
}

func crashUpdate(seq uint64) string { return fmt.Sprintf("update %d", seq) }

func open(tb testing.TB, dir string) *embedded.Store {
	tb.Helper()
	s, err := embedded.Open(dir)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// BenchmarkOpenFullJournal measures Open (and Close) of a store whose journal is at its limit,
// DefaultJournalLimit bytes of records of 100 rooms' keystrokes each: one entry of 25 bytes
// per room, as a group commit under load carries them. Open reads every record's groups.
func BenchmarkOpenFullJournal(b *testing.B) {
	dir := b.TempDir()
	s := open(b, dir)
	ctx := b.Context()
	const rooms = 1000
	for i := range rooms {
		if err := s.CreateRoom(ctx, store.Room{ID: benchRoomID(i), CreatedAt: time.Now()}, nil); err != nil {
			b.Fatal(err)
		}
	}
	update := bytes.Repeat([]byte{7}, 25)
	written := 0
	for commit := 0; written < embedded.DefaultJournalLimit; commit++ {
		batches := make([]store.Batch, 100)
		for i := range batches {
			room := benchRoomID((commit*len(batches) + i) % rooms)
			batches[i] = store.Batch{Room: room, Entries: []store.Entry{{Update: update, Time: time.Now(), Session: room}}}
			written += 85 // about what one such group takes in a record (doc.go)
		}
		for _, r := range s.AppendBatches(ctx, batches) {
			if r.Err != nil {
				b.Fatal(r.Err)
			}
		}
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		s, err := embedded.Open(dir)
		if err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
}

// benchRoomID returns a room id of 22 characters, the length of the server's.
func benchRoomID(i int) string { return fmt.Sprintf("room-%017d", i) }

// TestChunkedSnapshot: a large snapshot is written in chunks, each in a transaction of its
// own, and loads whole; chunks of a Compact that never finished (a crash between chunks) are
// ignored by loads and deleted by the next Compact, as the chunks of a snapshot replaced are.
func TestChunkedSnapshot(t *testing.T) {
	dir := t.TempDir()
	ctx := t.Context()
	s := open(t, dir)
	if err := s.CreateRoom(ctx, store.Room{ID: "big"}, []byte("init")); err != nil {
		t.Fatal(err)
	}
	seq := uint64(0)
	compact := func(size int) []byte {
		t.Helper()
		seq++
		if _, err := s.Append(ctx, "big", []store.Entry{{Update: []byte("u")}}); err != nil {
			t.Fatal(err)
		}
		state := make([]byte, size)
		for i := range state {
			state[i] = byte(i * 7 / 5)
		}
		if err := s.Compact(ctx, "big", store.Snapshot{Seq: seq, State: state}); err != nil {
			t.Fatal(err)
		}
		return state
	}
	check := func(want []byte, chunks int) {
		t.Helper()
		snap, entries, err := s.Load(ctx, "big")
		if err != nil || snap.Seq != seq || !bytes.Equal(snap.State, want) || len(entries) != 0 {
			t.Fatalf("Load = seq %d, %d bytes, %d entries, %v; want seq %d, the %d bytes compacted", snap.Seq, len(snap.State), len(entries), err, seq, len(want))
		}
		s.Close()
		if got := chunkKeys(t, dir, "big"); got != chunks {
			t.Errorf("the snapshot bucket holds %d chunks, want %d", got, chunks)
		}
		s = open(t, dir)
	}
	const chunk = embedded.SnapshotChunk
	want := compact(3*chunk + 5)
	check(want, 4)
	// A crash after writing a chunk of the next snapshot, before the Compact's last transaction.
	s.Close()
	putLeftoverChunk(t, dir, "big")
	s = open(t, dir)
	check(want, 5)
	check(compact(2*chunk), 2)
	check(compact(100), 0)
	s.Close()
}

// chunkKeys counts the snapshot chunks in room id's snapshot bucket of the file in dir.
func chunkKeys(t *testing.T, dir, id string) int {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dir, embedded.FileName), 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	n := 0
	err = db.View(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("snapshots")).Bucket([]byte(id)).ForEach(func(k, _ []byte) error {
			if k[0] == 0xff {
				n++
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// putLeftoverChunk puts the first chunk of a later generation into room id's snapshot bucket,
// as a Compact that wrote it and crashed would have left it.
func putLeftoverChunk(t *testing.T, dir, id string) {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dir, embedded.FileName), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	key := binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint64([]byte{0xff}, 1<<40), 0)
	if err := db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("snapshots")).Bucket([]byte(id)).Put(key, []byte("a chunk never used"))
	}); err != nil {
		t.Fatal(err)
	}
}
