// Package storetest is the conformance suite of store.Store (store.Rooms, store.Log and
// store.History together). Every backend's test file calls Run, and RunDurable when its storage can be closed
// and opened again, so all backends keep one contract.
//
// Where store's documentation leaves a case open, the suite settles it, and every backend
// must agree:
//   - Append with no entries (nil or empty) is a no-op that returns the room's current last
//     seq: 0 before any append, and still the highest seq ever given out after compaction. It
//     commits nothing, so the room layer may flush an empty batch for free. An unknown room is
//     still ErrNotFound.
//   - A zero-length (or nil) update is a valid entry; it loads back as a zero-length update.
//   - Append numbers entries whatever Seq they carry (0, repeated, out of order).
//   - An entry store.CheckEntries refuses (a session past store.MaxSessionLen, say) fails its
//     whole batch with ErrInvalidEntry and leaves the log and its seqs as they were.
//   - Compact at the same Seq as the stored snapshot replaces it (only a higher stored Seq makes
//     ErrStaleSnapshot). Compact past the last seq given out is an error and changes nothing:
//     accepting it would let the next Append reuse a seq the snapshot claims to cover.
//   - Byte slices compare with bytes.Equal: nil and empty are the same state or update.
//   - Room ids are non-empty valid UTF-8 without NUL bytes (Postgres text holds no NUL);
//     CreateRoom rejects "" with an error.
//   - CreatedAt, OpenedAt and an entry's Time load back in UTC, within a millisecond of the
//     stored instant, and exactly when that instant is a whole millisecond; a zero Time loads
//     back zero.
//   - RoomsOpenedBefore is strict (a room opened exactly at t is not listed), and refuses a
//     limit below 1 with an error.
//   - A deleted room's id, created again, is a new room: its seqs start again at 1, and
//     nothing of the deleted room's log or snapshot comes back.
//     An entry's Session loads back byte for byte.
//   - A cancelled ctx makes every method return an error wrapping context.Canceled, with no
//     effect on the stored data.
//   - A store does not keep the caller's slices: changing them after a call changes nothing
//     stored, and changing returned slices changes nothing either.
//   - After Close every method returns an error (never a panic); Close may be called again.
//   - RoomByLink of a string that is no room's link is ErrNotFound, also for one no link can
//     be ("", not UTF-8, a NUL byte, past store.MaxLinkLen) and for a room's ID once its
//     EditID is another; Room(id), Load and Append of that room go on working.
//   - SetAccess may keep a room's links or swap its edit and view links; a link is another
//     room's only while that room holds it, so one DeleteRoom or SetAccess dropped is free.
//   - A CreateRoom or SetAccess refused (ErrExists, ErrInvalidAccess) changes nothing; a room
//     whose ID is longer than store.MaxLinkLen needs an EditID of its own.
//   - Access.OwnerHash, like the other slices, is the caller's: nil loads back nil.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/pairpad/pairpad/store"
)

// Run checks that the stores newStore returns keep the store.Store contract. newStore must
// return a new, empty store each time, and close it when t ends (t.Cleanup); the suite closes
// some stores itself too, so Close must be safe to call twice. Subtests run in parallel.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"CreateAndGet", testCreateAndGet},
		{"CreatedAt", testCreatedAt},
		{"CreateExisting", testCreateExisting},
		{"CreateEmptyID", testCreateEmptyID},
		{"NotFound", testNotFound},
		{"CountRooms", testCountRooms},
		{"OpenedAt", testOpenedAt},
		{"RoomsOpenedBefore", testRoomsOpenedBefore},
		{"DeleteRoom", testDeleteRoom},
		{"DeleteRoomJournal", testDeleteRoomJournal},
		{"Access", testAccess},
		{"SetAccess", testSetAccess},
		{"LinksTaken", testLinksTaken},
		{"InvalidAccess", testInvalidAccess},
		{"ConcurrentLinks", testConcurrentLinks},
		{"AppendSeqs", testAppendSeqs},
		{"AppendEmpty", testAppendEmpty},
		{"AppendEmptyUpdate", testAppendEmptyUpdate},
		{"TimeAndSession", testTimeAndSession},
		{"InvalidEntries", testInvalidEntries},
		{"RoomsIndependent", testRoomsIndependent},
		{"AppendBatches", testAppendBatches},
		{"AppendBatchesRefusals", testAppendBatchesRefusals},
		{"AppendBatchesConcurrent", testAppendBatchesConcurrent},
		{"Compact", testCompact},
		{"CompactSameSeq", testCompactSameSeq},
		{"CompactStale", testCompactStale},
		{"CompactPastLastSeq", testCompactPastLastSeq},
		{"SeqsNeverReused", testSeqsNeverReused},
		{"LargeUpdates", testLargeUpdates},
		{"BinaryRoundTrip", testBinaryRoundTrip},
		{"CallerOwnsSlices", testCallerOwnsSlices},
		{"ConcurrentRooms", testConcurrentRooms},
		{"ConcurrentSameRoom", testConcurrentSameRoom},
		{"ConcurrentCreate", testConcurrentCreate},
		{"Author", testAuthor},
		{"CompactKeepsEntries", testCompactKeepsEntries},
		{"Checkpoints", testCheckpoints},
		{"LargeCheckpoint", testLargeCheckpoint},
		{"Versions", testVersions},
		{"TrimHistory", testTrimHistory},
		{"HistoryBytes", testHistoryBytes},
		{"DeleteRoomHistory", testDeleteRoomHistory},
		{"CancelledContext", testCancelledContext},
		{"Close", testClose},
	}
	for _, tt := range append(tests, runsTests...) {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, newStore(t))
		})
	}
}

// created is the CreatedAt the helpers give rooms: a whole millisecond, so it round-trips exactly.
var created = time.Date(2025, 3, 14, 15, 9, 26, 535_000_000, time.UTC)

func testCreateAndGet(t *testing.T, s store.Store) {
	tests := []struct {
		name    string
		room    store.Room
		initial []byte
	}{
		{"plain", store.Room{ID: "abc123", CreatedAt: created}, []byte("# Write your Python code here\n\n")},
		{"url-safe", store.Room{ID: "Room-1_x.y~z", CreatedAt: created}, []byte{0, 1, 2}},
		{"unicode and slashes", store.Room{ID: "ünï/cødé ✓?&=", CreatedAt: created}, []byte("x")},
		{"long id", store.Room{ID: strings.Repeat("r", 1000), CreatedAt: created, Access: store.Access{EditID: "long"}}, []byte("y")},
		{"nil initial", store.Room{ID: "nil-initial", CreatedAt: created}, nil},
		{"prefix of another", store.Room{ID: "abc", CreatedAt: created}, []byte("p")},
	}
	for _, tt := range tests {
		if err := s.CreateRoom(t.Context(), tt.room, tt.initial); err != nil {
			t.Fatalf("%s: CreateRoom: %v", tt.name, err)
		}
	}
	for _, tt := range tests {
		checkRoom(t, s, tt.room)
		checkLoad(t, s, tt.room.ID, store.Snapshot{Seq: 0, State: tt.initial}, nil)
	}
}

func testCountRooms(t *testing.T, s store.Store) {
	count := func() int {
		t.Helper()
		n, err := s.CountRooms(t.Context())
		if err != nil {
			t.Fatalf("CountRooms: %v", err)
		}
		return n
	}
	if n := count(); n != 0 {
		t.Fatalf("CountRooms of an empty store = %d", n)
	}
	for i := range 3 {
		if err := s.CreateRoom(t.Context(), store.Room{ID: fmt.Sprint("count-", i), CreatedAt: created}, nil); err != nil {
			t.Fatal(err)
		}
	}
	_ = s.CreateRoom(t.Context(), store.Room{ID: "count-0", CreatedAt: created}, nil) // exists: not counted twice
	if n := count(); n != 3 {
		t.Errorf("CountRooms = %d, want 3", n)
	}
}

// CreateRoom sets OpenedAt to CreatedAt, whatever the Room it is given says; MarkOpened sets
// it to the time it is given, later or earlier, and changes nothing else.
func testOpenedAt(t *testing.T, s store.Store) {
	mustCreate(t, s, store.Room{ID: "r", CreatedAt: created, OpenedAt: created.Add(time.Hour)}, []byte("init"))
	checkRoom(t, s, store.Room{ID: "r", CreatedAt: created, OpenedAt: created})
	mustAppend(t, s, "r", []byte("a"))
	tests := []struct {
		name  string
		at    time.Time
		exact bool
	}{
		{"later, in another zone", time.Date(2025, 4, 1, 12, 0, 0, 250_000_000, time.FixedZone("X", 3600)), true},
		{"nanoseconds", created.Add(48*time.Hour + 123_456_789), false},
		{"earlier than the last", created.Add(time.Minute), true},
	}
	for _, tt := range tests {
		if err := s.MarkOpened(t.Context(), "r", tt.at); err != nil {
			t.Fatalf("%s: MarkOpened: %v", tt.name, err)
		}
		got, err := s.Room(t.Context(), "r")
		if err != nil {
			t.Fatalf("%s: Room: %v", tt.name, err)
		}
		checkTime(t, tt.name+": OpenedAt", got.OpenedAt, tt.at, tt.exact)
		checkTime(t, tt.name+": CreatedAt", got.CreatedAt, created, true)
	}
	checkLoad(t, s, "r", store.Snapshot{State: []byte("init")}, entries(1, "a"))
	if err := s.MarkOpened(t.Context(), "unknown", created); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("MarkOpened of an unknown room: err = %v, want ErrNotFound", err)
	}
}

func testRoomsOpenedBefore(t *testing.T, s store.Store) {
	list := func(before time.Time, limit int) []string {
		t.Helper()
		ids, err := s.RoomsOpenedBefore(t.Context(), before, limit)
		if err != nil {
			t.Fatalf("RoomsOpenedBefore(%v, %d): %v", before, limit, err)
		}
		slices.Sort(ids)
		return ids
	}
	if got := list(created.Add(time.Hour), 10); len(got) != 0 {
		t.Errorf("RoomsOpenedBefore in an empty store = %q, want none", got)
	}
	// Room ri is created i minutes after created; r1 is opened an hour after, r3 an hour before.
	for i := range 5 {
		mustCreate(t, s, store.Room{ID: fmt.Sprint("r", i), CreatedAt: created.Add(time.Duration(i) * time.Minute)}, nil)
	}
	for id, at := range map[string]time.Time{"r1": created.Add(time.Hour), "r3": created.Add(-time.Hour)} {
		if err := s.MarkOpened(t.Context(), id, at); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		before time.Time
		want   []string
	}{
		{created, []string{"r3"}},
		{created.Add(2 * time.Minute), []string{"r0", "r3"}}, // r2 was opened then: not before
		{created.Add(time.Hour), []string{"r0", "r2", "r3", "r4"}},
		{created.Add(time.Hour + time.Millisecond), []string{"r0", "r1", "r2", "r3", "r4"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, list(tt.before, 10), cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("RoomsOpenedBefore(%v) mismatch (-want +got):\n%s", tt.before, diff)
		}
	}
	// A limit: some of the rooms, each once.
	got := list(created.Add(2*time.Hour), 3)
	if len(got) != 3 || len(slices.Compact(slices.Clone(got))) != 3 {
		t.Errorf("RoomsOpenedBefore with limit 3 = %q, want 3 different rooms", got)
	}
	for _, limit := range []int{0, -1} {
		if _, err := s.RoomsOpenedBefore(t.Context(), created.Add(time.Hour), limit); err == nil {
			t.Errorf("RoomsOpenedBefore with limit %d: err = nil, want an error", limit)
		}
	}
}

// DeleteRoom removes a room whose log was compacted and appended to since, and nothing of the
// rooms beside it (one whose id it is a prefix of among them); its id created again is a new,
// empty room.
func testDeleteRoom(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustCreate(t, s, store.Room{ID: "doomed", CreatedAt: created, Access: store.Access{EditID: "doomed-edit", ViewID: "doomed-view"}}, []byte("init"))
	mustCreate(t, s, store.Room{ID: "doomed-not", CreatedAt: created}, []byte("init-not"))
	mustCreate(t, s, store.Room{ID: "kept", CreatedAt: created}, []byte("init-kept"))
	mustAppend(t, s, "doomed", []byte("d1"), []byte("d2"), []byte("d3"))
	mustCompact(t, s, "doomed", store.Snapshot{Seq: 2, State: []byte("s2")})
	mustAppend(t, s, "doomed", []byte("d4"))
	mustAppend(t, s, "doomed-not", []byte("n1"))
	mustAppend(t, s, "kept", []byte("k1"), []byte("k2"))
	if err := s.DeleteRoom(ctx, "doomed"); err != nil {
		t.Fatalf("DeleteRoom: %v", err)
	}

	ops := []struct {
		name string
		call func() error
	}{
		{"Room", func() error { _, err := s.Room(ctx, "doomed"); return err }},
		{"Load", func() error { _, _, err := s.Load(ctx, "doomed"); return err }},
		{"Append", func() error { _, err := s.Append(ctx, "doomed", entries(0, "x")); return err }},
		{"empty Append", func() error { _, err := s.Append(ctx, "doomed", nil); return err }},
		{"AppendBatches", func() error {
			return s.AppendBatches(ctx, []store.Batch{{Room: "doomed", Entries: entries(0, "x")}})[0].Err
		}},
		{"Compact", func() error { return s.Compact(ctx, "doomed", store.Snapshot{Seq: 3}) }},
		{"MarkOpened", func() error { return s.MarkOpened(ctx, "doomed", created) }},
		{"Checkpoint", func() error { _, err := s.Checkpoint(ctx, "doomed", 2); return err }},
		{"Entries", func() error { _, err := s.Entries(ctx, "doomed", 2, 4, 10); return err }},
		{"PutVersion", func() error { return s.PutVersion(ctx, "doomed", version(1, 1)) }},
		{"Versions", func() error { _, err := s.Versions(ctx, "doomed", 0, 10); return err }},
		{"TrimHistory", func() error { return s.TrimHistory(ctx, "doomed", 1) }},
		{"HistoryBytes", func() error { _, err := s.HistoryBytes(ctx, "doomed"); return err }},
		{"RoomByLink of the edit link", func() error { _, err := s.RoomByLink(ctx, "doomed-edit"); return err }},
		{"RoomByLink of the view link", func() error { _, err := s.RoomByLink(ctx, "doomed-view"); return err }},
		{"SetAccess", func() error { return s.SetAccess(ctx, "doomed", store.Access{EditID: "doomed-edit"}) }},
		{"DeleteRoom again", func() error { return s.DeleteRoom(ctx, "doomed") }},
		{"DeleteRoom of a room never created", func() error { return s.DeleteRoom(ctx, "never") }},
	}
	for _, op := range ops {
		if err := op.call(); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s after DeleteRoom: err = %v, want ErrNotFound", op.name, err)
		}
	}
	if n, err := s.CountRooms(ctx); err != nil || n != 2 {
		t.Errorf("CountRooms after DeleteRoom = %d, %v; want 2", n, err)
	}
	checkRoom(t, s, store.Room{ID: "doomed-not", CreatedAt: created})
	ids, err := s.RoomsOpenedBefore(ctx, created.Add(time.Hour), 10)
	slices.Sort(ids)
	if diff := cmp.Diff([]string{"doomed-not", "kept"}, ids); err != nil || diff != "" {
		t.Errorf("RoomsOpenedBefore after DeleteRoom: %v, mismatch (-want +got):\n%s", err, diff)
	}
	checkRoom(t, s, store.Room{ID: "kept", CreatedAt: created})
	checkLoad(t, s, "kept", store.Snapshot{State: []byte("init-kept")}, entries(1, "k1", "k2"))
	checkLoad(t, s, "doomed-not", store.Snapshot{State: []byte("init-not")}, entries(1, "n1"))

	// The deleted room's links are free: another room takes one, the id created again the other.
	mustCreate(t, s, store.Room{ID: "heir", CreatedAt: created, Access: store.Access{EditID: "doomed-view"}}, nil)
	again := store.Room{ID: "doomed", CreatedAt: created.Add(time.Hour), Access: store.Access{EditID: "doomed-edit"}}
	mustCreate(t, s, again, []byte("again"))
	checkRoom(t, s, again)
	checkLoad(t, s, "doomed", store.Snapshot{State: []byte("again")}, nil)
	if got := mustAppend(t, s, "doomed", []byte("a1")); got != 1 {
		t.Errorf("first Append to the room created again = %d, want 1", got)
	}
	checkLoad(t, s, "doomed", store.Snapshot{State: []byte("again")}, entries(1, "a1"))
}

// A room deleted after group commits that carried other rooms' entries with its own: the
// others keep all of theirs, and the id created again holds only what comes after, also when
// the others compact past the commits the deleted room shared with them.
func testDeleteRoomJournal(t *testing.T, s store.Store) {
	mustCreate(t, s, store.Room{ID: "a", CreatedAt: created}, []byte("init-a"))
	mustCreate(t, s, store.Room{ID: "b", CreatedAt: created}, []byte("init-b"))
	for i := range 3 {
		appendBoth := []store.Batch{
			{Room: "a", Entries: entries(0, fmt.Sprint("a", i))},
			{Room: "b", Entries: entries(0, fmt.Sprint("b", i))},
		}
		for _, r := range s.AppendBatches(t.Context(), appendBoth) {
			if r.Err != nil {
				t.Fatal(r.Err)
			}
		}
	}
	mustCompact(t, s, "a", store.Snapshot{Seq: 1, State: []byte("a-1")})
	if err := s.DeleteRoom(t.Context(), "a"); err != nil {
		t.Fatalf("DeleteRoom: %v", err)
	}
	checkLoad(t, s, "b", store.Snapshot{State: []byte("init-b")}, entries(1, "b0", "b1", "b2"))
	mustCreate(t, s, store.Room{ID: "a", CreatedAt: created}, []byte("again"))
	got := s.AppendBatches(t.Context(), []store.Batch{{Room: "b", Entries: entries(0, "b3")}, {Room: "a", Entries: entries(0, "x")}})
	if diff := cmp.Diff([]store.BatchResult{{LastSeq: 4}, {LastSeq: 1}}, got); diff != "" {
		t.Fatalf("AppendBatches after DeleteRoom and CreateRoom mismatch (-want +got):\n%s", diff)
	}
	checkLoad(t, s, "a", store.Snapshot{State: []byte("again")}, entries(1, "x"))
	mustCompact(t, s, "b", store.Snapshot{Seq: 3, State: []byte("b-3")})
	checkLoad(t, s, "b", store.Snapshot{Seq: 3, State: []byte("b-3")}, entries(4, "b3"))
	checkLoad(t, s, "a", store.Snapshot{State: []byte("again")}, entries(1, "x"))
}

func testCreatedAt(t *testing.T, s store.Store) {
	tests := []struct {
		name  string
		at    time.Time
		exact bool // a whole millisecond must come back exactly
	}{
		{"whole millisecond", created, true},
		{"nanoseconds", time.Date(2024, 2, 29, 23, 59, 59, 123_456_789, time.UTC), false},
		{"microseconds", time.Date(2024, 2, 29, 23, 59, 59, 999_999_000, time.UTC), false},
		{"other zone", time.Date(2025, 1, 2, 3, 4, 5, 6_000_000, time.FixedZone("X", 5*3600+1800)), true},
		{"unix epoch", time.Unix(0, 0), true},
		{"last century", time.Date(1999, 12, 31, 23, 59, 59, 0, time.UTC), true},
		{"far future", time.Date(2999, 6, 1, 0, 0, 0, 1_000_000, time.UTC), true},
		{"monotonic clock reading", time.Now(), false},
	}
	for i, tt := range tests {
		id := fmt.Sprintf("room%d", i)
		if err := s.CreateRoom(t.Context(), store.Room{ID: id, CreatedAt: tt.at}, nil); err != nil {
			t.Fatalf("%s: CreateRoom: %v", tt.name, err)
		}
		got, err := s.Room(t.Context(), id)
		if err != nil {
			t.Fatalf("%s: Room: %v", tt.name, err)
		}
		checkTime(t, tt.name+": CreatedAt", got.CreatedAt, tt.at, tt.exact)
	}
}

func testCreateExisting(t *testing.T, s store.Store) {
	want := store.Room{ID: "taken", CreatedAt: created}
	mustCreate(t, s, want, []byte("first"))
	mustAppend(t, s, "taken", []byte("u1"))

	other := store.Room{ID: "taken", CreatedAt: created.Add(time.Hour)}
	if err := s.CreateRoom(t.Context(), other, []byte("second")); !errors.Is(err, store.ErrExists) {
		t.Fatalf("CreateRoom of a taken id: err = %v, want ErrExists", err)
	}
	checkRoom(t, s, want)
	checkLoad(t, s, "taken", store.Snapshot{State: []byte("first")}, []store.Entry{{Seq: 1, Update: []byte("u1")}})
}

func testCreateEmptyID(t *testing.T, s store.Store) {
	if err := s.CreateRoom(t.Context(), store.Room{ID: "", CreatedAt: created}, nil); err == nil {
		t.Fatal("CreateRoom with an empty id: err = nil, want an error")
	}
	if _, err := s.Room(t.Context(), ""); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Room(\"\"): err = %v, want ErrNotFound", err)
	}
}

func testNotFound(t *testing.T, s store.Store) {
	// The store is not empty, and holds ids that share a prefix with the ones looked up.
	mustCreate(t, s, store.Room{ID: "room", CreatedAt: created}, []byte("s"))
	mustAppend(t, s, "room", []byte("u"))

	ops := []struct {
		name string
		call func(ctx context.Context, id string) error
	}{
		{"Room", func(ctx context.Context, id string) error { _, err := s.Room(ctx, id); return err }},
		{"Load", func(ctx context.Context, id string) error { _, _, err := s.Load(ctx, id); return err }},
		{"Append", func(ctx context.Context, id string) error {
			_, err := s.Append(ctx, id, []store.Entry{{Update: []byte("x")}})
			return err
		}},
		{"Append empty", func(ctx context.Context, id string) error { _, err := s.Append(ctx, id, nil); return err }},
		{"Compact", func(ctx context.Context, id string) error { return s.Compact(ctx, id, store.Snapshot{}) }},
		{"RoomByLink", func(ctx context.Context, id string) error { _, err := s.RoomByLink(ctx, id); return err }},
		{"SetAccess", func(ctx context.Context, id string) error { return s.SetAccess(ctx, id, store.Access{EditID: "x"}) }},
		{"Checkpoint", func(ctx context.Context, id string) error { _, err := s.Checkpoint(ctx, id, 0); return err }},
		{"Entries", func(ctx context.Context, id string) error { _, err := s.Entries(ctx, id, 0, 10, 10); return err }},
		{"PutVersion", func(ctx context.Context, id string) error { return s.PutVersion(ctx, id, version(1, 1)) }},
		{"Versions", func(ctx context.Context, id string) error { _, err := s.Versions(ctx, id, 0, 10); return err }},
		{"TrimHistory", func(ctx context.Context, id string) error { return s.TrimHistory(ctx, id, 1) }},
		{"HistoryBytes", func(ctx context.Context, id string) error { _, err := s.HistoryBytes(ctx, id); return err }},
	}
	for _, op := range ops {
		for _, id := range []string{"roo", "room2", "ROOM", "nope"} {
			if err := op.call(t.Context(), id); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("%s(%q): err = %v, want ErrNotFound", op.name, id, err)
			}
		}
	}
	// Nothing above created a room or touched the existing one.
	for _, id := range []string{"roo", "room2", "ROOM", "nope"} {
		if _, err := s.Room(t.Context(), id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("after the calls, Room(%q): err = %v, want ErrNotFound", id, err)
		}
	}
	checkRoom(t, s, store.Room{ID: "room", CreatedAt: created})
	checkLoad(t, s, "room", store.Snapshot{State: []byte("s")}, []store.Entry{{Seq: 1, Update: []byte("u")}})
}

func testAppendSeqs(t *testing.T, s store.Store) {
	mustCreate(t, s, store.Room{ID: "r", CreatedAt: created}, []byte("init"))
	steps := []struct {
		updates [][]byte
		want    uint64
	}{
		{[][]byte{[]byte("a")}, 1},
		{[][]byte{[]byte("b"), []byte("c"), []byte("d")}, 4},
		{[][]byte{[]byte("e")}, 5},
		{[][]byte{[]byte("f"), []byte("g")}, 7},
	}
	var want []store.Entry
	for _, st := range steps {
		batch := updateEntries(st.updates)
		for i := range batch {
			batch[i].Seq = 7 - uint64(i) // Append numbers the entries itself
		}
		got, err := s.Append(t.Context(), "r", batch)
		if err != nil {
			t.Fatalf("Append: %v", err)
		}
		if got != st.want {
			t.Fatalf("Append of %d updates: lastSeq = %d, want %d", len(st.updates), got, st.want)
		}
		for _, u := range st.updates {
			want = append(want, store.Entry{Seq: uint64(len(want) + 1), Update: u})
		}
	}
	checkLoad(t, s, "r", store.Snapshot{State: []byte("init")}, want)
}

func testAppendEmpty(t *testing.T, s store.Store) {
	mustCreate(t, s, store.Room{ID: "r", CreatedAt: created}, nil)
	checkAppendEmpty := func(want uint64) {
		t.Helper()
		for _, batch := range [][]store.Entry{nil, {}} {
			got, err := s.Append(t.Context(), "r", batch)
			if err != nil {
				t.Fatalf("Append(%#v): %v", batch, err)
			}
			if got != want {
				t.Fatalf("Append(%#v) = %d, want the current last seq %d", batch, got, want)
			}
		}
	}
	checkAppendEmpty(0)
	mustAppend(t, s, "r", []byte("a"), []byte("b"))
	checkAppendEmpty(2)
	checkLoad(t, s, "r", store.Snapshot{}, []store.Entry{{Seq: 1, Update: []byte("a")}, {Seq: 2, Update: []byte("b")}})
	mustCompact(t, s, "r", store.Snapshot{Seq: 2, State: []byte("ab")})
	checkAppendEmpty(2)
	checkLoad(t, s, "r", store.Snapshot{Seq: 2, State: []byte("ab")}, nil)
}

func testAppendEmptyUpdate(t *testing.T, s store.Store) {
	mustCreate(t, s, store.Room{ID: "r", CreatedAt: created}, nil)
	if got := mustAppend(t, s, "r", []byte{}, nil, []byte{7}); got != 3 {
		t.Fatalf("Append = %d, want 3", got)
	}
	checkLoad(t, s, "r", store.Snapshot{}, []store.Entry{{Seq: 1}, {Seq: 2}, {Seq: 3, Update: []byte{7}}})
}

func testTimeAndSession(t *testing.T, s store.Store) {
	mustCreate(t, s, store.Room{ID: "r", CreatedAt: created}, nil)
	tests := []struct {
		name  string
		entry store.Entry
		exact bool // Time must come back exactly
	}{
		{"server's own edit, no time", store.Entry{}, true},
		{"whole millisecond", store.Entry{Time: created, Session: "conn-1"}, true},
		{"nanoseconds", store.Entry{Time: time.Date(2024, 2, 29, 23, 59, 59, 123_456_789, time.UTC), Session: "c"}, false},
		{"other zone", store.Entry{Time: time.Date(2025, 1, 2, 3, 4, 5, 6_000_000, time.FixedZone("X", -9000)), Session: "c"}, true},
		{"monotonic clock reading", store.Entry{Time: time.Now(), Session: "c"}, false},
		{"before the unix epoch", store.Entry{Time: time.Date(1969, 7, 20, 20, 17, 40, 0, time.UTC)}, true},
		{"last year allowed", store.Entry{Time: time.Date(9999, 12, 31, 23, 59, 59, 999_000_000, time.UTC)}, true},
		{"first year allowed", store.Entry{Time: time.Date(1, 1, 1, 0, 0, 0, 1_000_000, time.UTC)}, true},
		{"longest session", store.Entry{Time: created, Session: strings.Repeat("s", store.MaxSessionLen)}, true},
		{"multi-byte session at the limit", store.Entry{Time: created, Session: strings.Repeat("é", store.MaxSessionLen/2)}, true},
		{"session of any text", store.Entry{Time: created, Session: "a/b c?d=e&✓\t'\""}, true},
	}
	var batch []store.Entry
	for i, tt := range tests {
		tt.entry.Update = fmt.Appendf(nil, "u%d", i)
		batch = append(batch, tt.entry)
	}
	// Once in a batch, then one entry per call, and after compacting the first batch away.
	mustAppendEntries(t, s, "r", batch...)
	for _, e := range batch {
		mustAppendEntries(t, s, "r", e)
	}
	mustCompact(t, s, "r", store.Snapshot{Seq: uint64(len(batch)), State: []byte("state")})
	mustAppendEntries(t, s, "r", batch...)
	_, log := mustLoad(t, s, "r")
	if len(log) != 2*len(tests) {
		t.Fatalf("Load: %d entries, want %d", len(log), 2*len(tests))
	}
	for i, got := range log {
		tt, want := tests[i%len(tests)], batch[i%len(tests)]
		if seq := uint64(len(tests) + i + 1); got.Seq != seq || !bytes.Equal(got.Update, want.Update) {
			t.Errorf("%s: entry {%d %q}, want {%d %q}", tt.name, got.Seq, got.Update, seq, want.Update)
		}
		if got.Session != want.Session {
			t.Errorf("%s: Session = %q, want %q", tt.name, got.Session, want.Session)
		}
		checkTime(t, tt.name+": Time", got.Time, want.Time, tt.exact)
	}
}

func testInvalidEntries(t *testing.T, s store.Store) {
	mustCreate(t, s, store.Room{ID: "r", CreatedAt: created}, nil)
	mustAppend(t, s, "r", []byte("a"))
	tests := []struct {
		name  string
		entry store.Entry
	}{
		{"session one byte too long", store.Entry{Session: strings.Repeat("s", store.MaxSessionLen+1)}},
		{"multi-byte session past the limit", store.Entry{Session: strings.Repeat("é", store.MaxSessionLen/2) + "x"}},
		{"session not UTF-8", store.Entry{Session: "\xff"}},
		{"session with a NUL byte", store.Entry{Session: "a\x00b"}},
		{"time past the year 9999", store.Entry{Time: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}},
		{"time before the year 1", store.Entry{Time: time.Date(0, 12, 31, 23, 59, 59, 0, time.UTC)}},
	}
	for _, tt := range tests {
		// After a valid entry: the whole batch is refused.
		batch := []store.Entry{{Update: []byte("ok"), Time: created}, tt.entry}
		if _, err := s.Append(t.Context(), "r", batch); !errors.Is(err, store.ErrInvalidEntry) {
			t.Errorf("%s: Append: err = %v, want ErrInvalidEntry", tt.name, err)
		}
	}
	checkLoad(t, s, "r", store.Snapshot{}, entries(1, "a"))
	if got := mustAppend(t, s, "r", []byte("b")); got != 2 {
		t.Fatalf("Append after the refused ones = %d, want 2", got)
	}
}

func testRoomsIndependent(t *testing.T, s store.Store) {
	for _, id := range []string{"a", "b", "ab"} {
		mustCreate(t, s, store.Room{ID: id, CreatedAt: created}, []byte("init-"+id))
	}
	want := map[string][]store.Entry{}
	for i := range 4 {
		for _, id := range []string{"a", "b", "ab"} {
			u := []byte(fmt.Sprintf("%s-%d", id, i))
			if got := mustAppend(t, s, id, u); got != uint64(i+1) {
				t.Fatalf("Append to %q = %d, want %d", id, got, i+1)
			}
			want[id] = append(want[id], store.Entry{Seq: uint64(i + 1), Update: u})
		}
	}
	mustCompact(t, s, "b", store.Snapshot{Seq: 3, State: []byte("b-state")})
	checkLoad(t, s, "a", store.Snapshot{State: []byte("init-a")}, want["a"])
	checkLoad(t, s, "b", store.Snapshot{Seq: 3, State: []byte("b-state")}, want["b"][3:])
	checkLoad(t, s, "ab", store.Snapshot{State: []byte("init-ab")}, want["ab"])
	checkRoom(t, s, store.Room{ID: "a", CreatedAt: created})
	checkRoom(t, s, store.Room{ID: "ab", CreatedAt: created})
}

func testCompact(t *testing.T, s store.Store) {
	mustCreate(t, s, store.Room{ID: "r", CreatedAt: created}, []byte("init"))
	log := entries(1, "u1", "u2", "u3", "u4", "u5")
	mustAppend(t, s, "r", updatesOf(log)...)

	mustCompact(t, s, "r", store.Snapshot{Seq: 3, State: []byte("s3")})
	checkLoad(t, s, "r", store.Snapshot{Seq: 3, State: []byte("s3")}, log[3:])

	if got := mustAppend(t, s, "r", []byte("u6")); got != 6 {
		t.Fatalf("Append after Compact = %d, want 6", got)
	}
	log = append(log, store.Entry{Seq: 6, Update: []byte("u6")})
	checkLoad(t, s, "r", store.Snapshot{Seq: 3, State: []byte("s3")}, log[3:])

	mustCompact(t, s, "r", store.Snapshot{Seq: 5, State: []byte("s5")})
	checkLoad(t, s, "r", store.Snapshot{Seq: 5, State: []byte("s5")}, log[5:])

	mustCompact(t, s, "r", store.Snapshot{Seq: 6, State: []byte("s6")})
	checkLoad(t, s, "r", store.Snapshot{Seq: 6, State: []byte("s6")}, nil)
}

func testCompactSameSeq(t *testing.T, s store.Store) {
	mustCreate(t, s, store.Room{ID: "r", CreatedAt: created}, []byte("init"))
	// Seq 0 replaces the initial state.
	mustCompact(t, s, "r", store.Snapshot{Seq: 0, State: []byte("init2")})
	checkLoad(t, s, "r", store.Snapshot{State: []byte("init2")}, nil)

	mustAppend(t, s, "r", []byte("a"), []byte("b"), []byte("c"))
	mustCompact(t, s, "r", store.Snapshot{Seq: 2, State: []byte("A")})
	mustCompact(t, s, "r", store.Snapshot{Seq: 2, State: []byte("B")})
	checkLoad(t, s, "r", store.Snapshot{Seq: 2, State: []byte("B")}, entries(3, "c"))
}

func testCompactStale(t *testing.T, s store.Store) {
	mustCreate(t, s, store.Room{ID: "r", CreatedAt: created}, []byte("init"))
	log := entries(1, "a", "b", "c", "d", "e")
	mustAppend(t, s, "r", updatesOf(log)...)
	mustCompact(t, s, "r", store.Snapshot{Seq: 4, State: []byte("s4")})
	for _, seq := range []uint64{3, 1, 0} {
		err := s.Compact(t.Context(), "r", store.Snapshot{Seq: seq, State: []byte("old")})
		if !errors.Is(err, store.ErrStaleSnapshot) {
			t.Errorf("Compact at %d after 4: err = %v, want ErrStaleSnapshot", seq, err)
		}
	}
	checkLoad(t, s, "r", store.Snapshot{Seq: 4, State: []byte("s4")}, log[4:])
}

func testCompactPastLastSeq(t *testing.T, s store.Store) {
	mustCreate(t, s, store.Room{ID: "r", CreatedAt: created}, []byte("init"))
	if err := s.Compact(t.Context(), "r", store.Snapshot{Seq: 1, State: []byte("s1")}); err == nil {
		t.Error("Compact at 1 in an empty log: err = nil, want an error")
	}
	mustAppend(t, s, "r", []byte("a"), []byte("b"))
	if err := s.Compact(t.Context(), "r", store.Snapshot{Seq: 3, State: []byte("s3")}); err == nil {
		t.Error("Compact at 3 after 2 appends: err = nil, want an error")
	}
	checkLoad(t, s, "r", store.Snapshot{State: []byte("init")}, entries(1, "a", "b"))
	if got := mustAppend(t, s, "r", []byte("c")); got != 3 {
		t.Fatalf("Append = %d, want 3", got)
	}
}

func testSeqsNeverReused(t *testing.T, s store.Store) {
	mustCreate(t, s, store.Room{ID: "r", CreatedAt: created}, nil)
	mustAppend(t, s, "r", []byte("a"), []byte("b"), []byte("c"))
	// Compact the whole log away: the next seq must still be 4.
	mustCompact(t, s, "r", store.Snapshot{Seq: 3, State: []byte("abc")})
	if got := mustAppend(t, s, "r", []byte("d"), []byte("e")); got != 5 {
		t.Fatalf("Append after compacting everything = %d, want 5", got)
	}
	checkLoad(t, s, "r", store.Snapshot{Seq: 3, State: []byte("abc")}, entries(4, "d", "e"))
	mustCompact(t, s, "r", store.Snapshot{Seq: 5, State: []byte("abcde")})
	if got := mustAppend(t, s, "r", []byte("f")); got != 6 {
		t.Fatalf("Append = %d, want 6", got)
	}
	checkLoad(t, s, "r", store.Snapshot{Seq: 5, State: []byte("abcde")}, entries(6, "f"))
}

func testLargeUpdates(t *testing.T, s store.Store) {
	const size = 8 << 20
	rng := rand.NewChaCha8([32]byte{1, 2, 3})
	big := func() []byte {
		b := make([]byte, size)
		rng.Read(b)
		return b
	}
	initial, u1, u3, state := big(), big(), big(), big()
	mustCreate(t, s, store.Room{ID: "big", CreatedAt: created}, initial)
	if got := mustAppend(t, s, "big", u1, []byte("small"), u3); got != 3 {
		t.Fatalf("Append = %d, want 3", got)
	}
	snap, log := mustLoad(t, s, "big")
	checkBytes(t, "initial state", snap.State, initial)
	if len(log) != 3 {
		t.Fatalf("Load: %d entries, want 3", len(log))
	}
	for i, want := range [][]byte{u1, []byte("small"), u3} {
		if log[i].Seq != uint64(i+1) {
			t.Errorf("entry %d: Seq = %d, want %d", i, log[i].Seq, i+1)
		}
		checkBytes(t, fmt.Sprintf("entry %d", i), log[i].Update, want)
	}
	mustCompact(t, s, "big", store.Snapshot{Seq: 2, State: state})
	snap, log = mustLoad(t, s, "big")
	if snap.Seq != 2 || len(log) != 1 || log[0].Seq != 3 {
		t.Fatalf("Load after Compact: snapshot seq %d and %d entries, want seq 2 and one entry (3)", snap.Seq, len(log))
	}
	checkBytes(t, "compacted state", snap.State, state)
	checkBytes(t, "entry 3", log[0].Update, u3)
}

func testBinaryRoundTrip(t *testing.T, s store.Store) {
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	reversed := make([]byte, 256)
	for i := range reversed {
		reversed[i] = byte(255 - i)
	}
	mustCreate(t, s, store.Room{ID: "bin", CreatedAt: created}, all)
	checkLoad(t, s, "bin", store.Snapshot{State: all}, nil)

	// Every byte value as an update of its own, then the whole range in both orders.
	var want []store.Entry
	var updates [][]byte
	for i := range 256 {
		updates = append(updates, []byte{byte(i)})
		want = append(want, store.Entry{Seq: uint64(i + 1), Update: []byte{byte(i)}})
	}
	mustAppend(t, s, "bin", updates...)
	mustAppend(t, s, "bin", all, reversed)
	want = append(want, store.Entry{Seq: 257, Update: all}, store.Entry{Seq: 258, Update: reversed})
	checkLoad(t, s, "bin", store.Snapshot{State: all}, want)

	mustCompact(t, s, "bin", store.Snapshot{Seq: 257, State: reversed})
	checkLoad(t, s, "bin", store.Snapshot{Seq: 257, State: reversed}, want[257:])
}

func testCallerOwnsSlices(t *testing.T, s store.Store) {
	// Slices passed in are not kept.
	initial := []byte("init")
	mustCreate(t, s, store.Room{ID: "r", CreatedAt: created}, initial)
	copy(initial, "XXXX")
	u1, u2 := []byte("one"), []byte("two")
	updates := [][]byte{u1, u2}
	mustAppend(t, s, "r", updates...)
	copy(u1, "XXX")
	updates[1] = []byte("XXX")
	checkLoad(t, s, "r", store.Snapshot{State: []byte("init")}, entries(1, "one", "two"))

	state := []byte("state1")
	mustCompact(t, s, "r", store.Snapshot{Seq: 1, State: state})
	copy(state, "XXXXXX")
	checkLoad(t, s, "r", store.Snapshot{Seq: 1, State: []byte("state1")}, entries(2, "two"))

	// Slices returned belong to the caller.
	snap, log := mustLoad(t, s, "r")
	for i := range snap.State {
		snap.State[i] = 0xff
	}
	for _, e := range log {
		for i := range e.Update {
			e.Update[i] = 0xff
		}
	}
	log[0].Seq = 99
	_ = append(log[:0], store.Entry{Seq: 42, Update: []byte("junk")})
	checkLoad(t, s, "r", store.Snapshot{Seq: 1, State: []byte("state1")}, entries(2, "two"))
}

func testConcurrentRooms(t *testing.T, s store.Store) {
	const rooms, appends = 8, 12
	var wg sync.WaitGroup
	errs := make(chan error, rooms)
	for r := range rooms {
		id := fmt.Sprintf("room-%d", r)
		wg.Go(func() {
			if err := s.CreateRoom(t.Context(), store.Room{ID: id, CreatedAt: created}, []byte(id)); err != nil {
				errs <- err
				return
			}
			var seq uint64
			for i := range appends {
				n := 1 + i%3
				batch := make([][]byte, n)
				for k := range batch {
					batch[k] = []byte(fmt.Sprintf("%s/%d/%d", id, i, k))
				}
				got, err := s.Append(t.Context(), id, updateEntries(batch))
				if err != nil {
					errs <- err
					return
				}
				if seq += uint64(n); got != seq {
					errs <- fmt.Errorf("%s: Append = %d, want %d", id, got, seq)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for r := range rooms {
		id := fmt.Sprintf("room-%d", r)
		var want []store.Entry
		for i := range appends {
			for k := range 1 + i%3 {
				want = append(want, store.Entry{Seq: uint64(len(want) + 1), Update: []byte(fmt.Sprintf("%s/%d/%d", id, i, k))})
			}
		}
		checkLoad(t, s, id, store.Snapshot{State: []byte(id)}, want)
	}
}

func testConcurrentSameRoom(t *testing.T, s store.Store) {
	const writers, appends = 8, 12
	mustCreate(t, s, store.Room{ID: "r", CreatedAt: created}, nil)
	type call struct {
		last  uint64
		batch [][]byte
	}
	calls := make([][]call, writers)
	errs := make(chan error, writers)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range appends {
				batch := make([][]byte, 1+(w+i)%3)
				for k := range batch {
					batch[k] = []byte(fmt.Sprintf("w%d/%d/%d", w, i, k))
				}
				last, err := s.Append(t.Context(), "r", updateEntries(batch))
				if err != nil {
					errs <- err
					return
				}
				calls[w] = append(calls[w], call{last, batch})
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	_, log := mustLoad(t, s, "r")
	total := 0
	for _, cs := range calls {
		for _, c := range cs {
			total += len(c.batch)
		}
	}
	if len(log) != total {
		t.Fatalf("Load: %d entries, want %d", len(log), total)
	}
	seen := map[string]bool{}
	for i, e := range log {
		if e.Seq != uint64(i+1) {
			t.Fatalf("entry %d: Seq = %d, want %d (seqs must be contiguous)", i, e.Seq, i+1)
		}
		if seen[string(e.Update)] {
			t.Fatalf("update %q stored twice", e.Update)
		}
		seen[string(e.Update)] = true
	}
	// Each call's updates are contiguous and end at the seq it returned.
	for _, cs := range calls {
		for _, c := range cs {
			first := int(c.last) - len(c.batch)
			if first < 0 {
				t.Fatalf("Append of %d updates returned %d", len(c.batch), c.last)
			}
			for k, u := range c.batch {
				if got := log[first+k].Update; !bytes.Equal(got, u) {
					t.Fatalf("seq %d = %q, want %q (the batch that returned %d)", first+k+1, got, u, c.last)
				}
			}
		}
	}
}

func testConcurrentCreate(t *testing.T, s store.Store) {
	const creators = 8
	results := make([]error, creators)
	var wg sync.WaitGroup
	for c := range creators {
		wg.Go(func() {
			room := store.Room{ID: "contested", CreatedAt: created}
			results[c] = s.CreateRoom(t.Context(), room, fmt.Appendf(nil, "state%d", c))
		})
	}
	wg.Wait()
	winner := -1
	for c, err := range results {
		switch {
		case err == nil && winner >= 0:
			t.Fatalf("CreateRoom succeeded for both creator %d and %d", winner, c)
		case err == nil:
			winner = c
		case !errors.Is(err, store.ErrExists):
			t.Fatalf("creator %d: err = %v, want nil or ErrExists", c, err)
		}
	}
	if winner < 0 {
		t.Fatal("no CreateRoom succeeded")
	}
	checkRoom(t, s, store.Room{ID: "contested", CreatedAt: created})
	checkLoad(t, s, "contested", store.Snapshot{State: fmt.Appendf(nil, "state%d", winner)}, nil)
}

func testCancelledContext(t *testing.T, s store.Store) {
	mustCreate(t, s, store.Room{ID: "r", CreatedAt: created}, []byte("init"))
	mustAppend(t, s, "r", []byte("a"), []byte("b"))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	ops := []struct {
		name string
		call func() error
	}{
		{"CreateRoom", func() error {
			return s.CreateRoom(ctx, store.Room{ID: "new", CreatedAt: created}, nil)
		}},
		{"Room", func() error { _, err := s.Room(ctx, "r"); return err }},
		{"Load", func() error { _, _, err := s.Load(ctx, "r"); return err }},
		{"Append", func() error { _, err := s.Append(ctx, "r", []store.Entry{{Update: []byte("c")}}); return err }},
		{"Compact", func() error { return s.Compact(ctx, "r", store.Snapshot{Seq: 2, State: []byte("ab")}) }},
		{"MarkOpened", func() error { return s.MarkOpened(ctx, "r", created.Add(time.Hour)) }},
		{"RoomsOpenedBefore", func() error { _, err := s.RoomsOpenedBefore(ctx, created.Add(time.Hour), 10); return err }},
		{"DeleteRoom", func() error { return s.DeleteRoom(ctx, "r") }},
		{"Ping", func() error { return s.Ping(ctx) }},
		{"RoomByLink", func() error { _, err := s.RoomByLink(ctx, "r"); return err }},
		{"SetAccess", func() error { return s.SetAccess(ctx, "r", store.Access{EditID: "r2", Locked: true}) }},
		{"Checkpoint", func() error { _, err := s.Checkpoint(ctx, "r", 1); return err }},
		{"Entries", func() error { _, err := s.Entries(ctx, "r", 0, 2, 10); return err }},
		{"PutVersion", func() error { return s.PutVersion(ctx, "r", version(1, 2)) }},
		{"Versions", func() error { _, err := s.Versions(ctx, "r", 0, 10); return err }},
		{"TrimHistory", func() error { return s.TrimHistory(ctx, "r", 2) }},
		{"HistoryBytes", func() error { _, err := s.HistoryBytes(ctx, "r"); return err }},
	}
	for _, op := range ops {
		if err := op.call(); !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a cancelled ctx: err = %v, want context.Canceled", op.name, err)
		}
	}
	if _, err := s.Room(t.Context(), "new"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Room(new) after a cancelled CreateRoom: err = %v, want ErrNotFound", err)
	}
	checkRoom(t, s, store.Room{ID: "r", CreatedAt: created})
	checkLoad(t, s, "r", store.Snapshot{State: []byte("init")}, entries(1, "a", "b"))
	checkHistoryStart(t, s, "r", store.Snapshot{State: []byte("init"), Checkpoint: true}, entries(1, "a", "b"))
	checkVersions(t, s, "r", 0, 10, nil)
}

func testClose(t *testing.T, s store.Store) {
	mustCreate(t, s, store.Room{ID: "r", CreatedAt: created}, nil)
	if err := s.Ping(t.Context()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	ops := []struct {
		name string
		call func(ctx context.Context) error
	}{
		{"Ping", s.Ping},
		{"CreateRoom", func(ctx context.Context) error {
			return s.CreateRoom(ctx, store.Room{ID: "new", CreatedAt: created}, nil)
		}},
		{"Room", func(ctx context.Context) error { _, err := s.Room(ctx, "r"); return err }},
		{"Load", func(ctx context.Context) error { _, _, err := s.Load(ctx, "r"); return err }},
		{"Append", func(ctx context.Context) error {
			_, err := s.Append(ctx, "r", []store.Entry{{Update: []byte("c")}})
			return err
		}},
		{"Compact", func(ctx context.Context) error { return s.Compact(ctx, "r", store.Snapshot{}) }},
		{"MarkOpened", func(ctx context.Context) error { return s.MarkOpened(ctx, "r", created) }},
		{"RoomsOpenedBefore", func(ctx context.Context) error {
			_, err := s.RoomsOpenedBefore(ctx, created.Add(time.Hour), 10)
			return err
		}},
		{"DeleteRoom", func(ctx context.Context) error { return s.DeleteRoom(ctx, "r") }},
		{"RoomByLink", func(ctx context.Context) error { _, err := s.RoomByLink(ctx, "r"); return err }},
		{"SetAccess", func(ctx context.Context) error { return s.SetAccess(ctx, "r", store.Access{EditID: "r2"}) }},
		{"Checkpoint", func(ctx context.Context) error { _, err := s.Checkpoint(ctx, "r", 0); return err }},
		{"Entries", func(ctx context.Context) error { _, err := s.Entries(ctx, "r", 0, 2, 10); return err }},
		{"PutVersion", func(ctx context.Context) error { return s.PutVersion(ctx, "r", version(1, 1)) }},
		{"Versions", func(ctx context.Context) error { _, err := s.Versions(ctx, "r", 0, 10); return err }},
		{"TrimHistory", func(ctx context.Context) error { return s.TrimHistory(ctx, "r", 0) }},
		{"HistoryBytes", func(ctx context.Context) error { _, err := s.HistoryBytes(ctx, "r"); return err }},
	}
	for _, op := range ops {
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		if err := op.call(ctx); err == nil {
			t.Errorf("%s after Close: err = nil, want an error", op.name)
		}
		cancel()
	}
	_ = s.Close() // must not panic
}

// RunDurable checks that what a store commits survives Close and a new open of the same
// storage: open must return a store on the same underlying data each time it is called. The
// suite closes every store it opens.
func RunDurable(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := t.Context()
	rooms := []store.Room{
		{ID: "durable-a", CreatedAt: created},
		{ID: "durable-b", CreatedAt: created.Add(time.Minute), Access: store.Access{
			EditID: "durable-b-edit", ViewID: "durable-b-view", OwnerHash: ownerHash("b"), Locked: true,
		}},
		{ID: "durable-c", CreatedAt: created.Add(time.Hour)},
	}
	binary := make([]byte, 8<<10)
	for i := range binary {
		binary[i] = byte(i * 7)
	}

	s := open(t)
	for _, r := range rooms {
		mustCreate(t, s, r, []byte("init-"+r.ID))
	}
	logA := entries(1, "a1", "a2", "a3", "a4", "a5")
	for i := range logA {
		logA[i].Time = created.Add(time.Duration(i) * time.Second)
		logA[i].Session = fmt.Sprintf("session-%d", i%2)
		logA[i].Author = fmt.Sprintf("author-%d", i%3)
	}
	mustAppendEntries(t, s, "durable-a", logA[:2]...)
	mustAppendEntries(t, s, "durable-a", logA[2:]...)
	mustCompact(t, s, "durable-a", store.Snapshot{Seq: 1, State: []byte("a-1"), Checkpoint: true})
	mustCompact(t, s, "durable-a", store.Snapshot{Seq: 3, State: []byte("a-state")})
	versionA := version(1, 4, "author-0", "author-1")
	mustPutVersion(t, s, "durable-a", versionA)
	mustAppend(t, s, "durable-b", binary)
	// c's whole log is compacted away: only its last seq remembers it.
	mustAppend(t, s, "durable-c", []byte("c1"), []byte("c2"))
	mustCompact(t, s, "durable-c", store.Snapshot{Seq: 2, State: []byte("c-state")})
	rooms[1].OpenedAt = created.Add(24 * time.Hour)
	if err := s.MarkOpened(ctx, "durable-b", rooms[1].OpenedAt); err != nil {
		t.Fatal(err)
	}
	// a's links are replaced twice: its id, then its first view link, stop being links.
	for _, view := range []string{"durable-a-view", "durable-a-view2"} {
		rooms[0].Access = store.Access{EditID: "durable-a-edit", ViewID: view}
		if err := s.SetAccess(ctx, "durable-a", rooms[0].Access); err != nil {
			t.Fatal(err)
		}
	}
	// "gone" is deleted, and "again" deleted and created again, after a commit they shared
	// with "witness".
	shared := []store.Batch{{Room: "gone"}, {Room: "again"}, {Room: "witness"}}
	for i, b := range shared {
		mustCreate(t, s, store.Room{ID: b.Room, CreatedAt: created}, []byte("init-"+b.Room))
		shared[i].Entries = entries(0, b.Room+"1", b.Room+"2")
	}
	for _, r := range s.AppendBatches(ctx, shared) {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	for _, id := range []string{"gone", "again"} {
		if err := s.DeleteRoom(ctx, id); err != nil {
			t.Fatalf("DeleteRoom(%q): %v", id, err)
		}
	}
	mustCreate(t, s, store.Room{ID: "again", CreatedAt: created.Add(time.Hour)}, []byte("new-again"))
	mustAppend(t, s, "again", []byte("z"))
	closeStore(t, s)

	check := func(s store.Store) {
		t.Helper()
		for _, r := range rooms {
			checkRoom(t, s, r)
		}
		checkLoad(t, s, "durable-a", store.Snapshot{Seq: 3, State: []byte("a-state")}, logA[3:])
		checkEntries(t, s, "durable-a", 0, 10, 10, logA)
		checkCheckpoint(t, s, "durable-a", 2, store.Snapshot{Seq: 1, State: []byte("a-1"), Checkpoint: true})
		checkVersions(t, s, "durable-a", 0, 10, []store.Version{versionA})
		checkLoad(t, s, "durable-b", store.Snapshot{State: []byte("init-durable-b")}, []store.Entry{{Seq: 1, Update: binary}})
		if _, _, err := s.Load(ctx, "gone"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Load of a deleted room after reopening: err = %v, want ErrNotFound", err)
		}
		for _, link := range []string{"gone", "durable-a", "durable-a-view"} {
			checkNoLink(t, s, link)
		}
		checkRoom(t, s, store.Room{ID: "again", CreatedAt: created.Add(time.Hour)})
		checkLoad(t, s, "again", store.Snapshot{State: []byte("new-again")}, entries(1, "z"))
		checkLoad(t, s, "witness", store.Snapshot{State: []byte("init-witness")}, entries(1, "witness1", "witness2"))
	}

	s = open(t)
	check(s)
	checkLoad(t, s, "durable-c", store.Snapshot{Seq: 2, State: []byte("c-state")}, nil)
	if err := s.CreateRoom(ctx, rooms[0], nil); !errors.Is(err, store.ErrExists) {
		t.Fatalf("CreateRoom of a room stored before reopening: err = %v, want ErrExists", err)
	}
	if got, err := s.Append(ctx, "durable-c", nil); err != nil || got != 2 {
		t.Fatalf("empty Append after reopening = %d, %v; want 2, nil", got, err)
	}
	if got := mustAppend(t, s, "durable-c", []byte("c3")); got != 3 {
		t.Fatalf("Append after reopening = %d, want 3 (seqs are never reused)", got)
	}
	closeStore(t, s)

	s = open(t)
	check(s)
	checkLoad(t, s, "durable-c", store.Snapshot{Seq: 2, State: []byte("c-state")}, entries(3, "c3"))
	checkEntries(t, s, "durable-c", 0, 10, 10, entries(1, "c1", "c2", "c3"))
	if err := s.TrimHistory(ctx, "durable-a", 4); err != nil {
		t.Fatal(err)
	}
	closeStore(t, s)

	s = open(t)
	checkHistoryStart(t, s, "durable-a", store.Snapshot{Seq: 3, State: []byte("a-state"), Checkpoint: true}, logA[3:])
	closeStore(t, s)
}

// BenchmarkAppend measures Append of one small update per call against batches of 100, each
// call one durable commit, and reports updates/s: the difference is what the room layer's group
// commit buys. newStore returns a new, empty store and closes it when b ends.
func BenchmarkAppend(b *testing.B, newStore func(b *testing.B) store.Store) {
	for _, batch := range []int{1, 100} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			s := newStore(b)
			ctx := b.Context()
			if err := s.CreateRoom(ctx, store.Room{ID: "bench", CreatedAt: created}, nil); err != nil {
				b.Fatal(err)
			}
			// About the size of one keystroke's Yjs update, and of a session id (128 random bits).
			entries := make([]store.Entry, batch)
			for i := range entries {
				entries[i] = store.Entry{Update: bytes.Repeat([]byte{byte(i)}, 24), Time: time.Now(), Session: "N2Rk0b3hS8GJm5xQe1Vw_A"}
			}
			calls := 0
			for b.Loop() {
				if _, err := s.Append(ctx, "bench", entries); err != nil {
					b.Fatal(err)
				}
				calls++
			}
			b.ReportMetric(float64(calls*batch)/b.Elapsed().Seconds(), "updates/s")
		})
	}
}

// One group commit carries several rooms' batches, two of them for one room: each batch is
// numbered after the room's last seq, in order, and each result names its batch's last seq.
func testAppendBatches(t *testing.T, s store.Store) {
	mustCreate(t, s, store.Room{ID: "a", CreatedAt: created}, []byte("A"))
	mustCreate(t, s, store.Room{ID: "b", CreatedAt: created}, []byte("B"))
	mustAppend(t, s, "b", []byte("b1"))
	at := created.Add(time.Second)
	got := s.AppendBatches(t.Context(), []store.Batch{
		{Room: "b", Entries: []store.Entry{{Update: []byte("b2"), Time: at, Session: "s1"}}},
		{Room: "a", Entries: updateEntries([][]byte{[]byte("a1"), []byte("a2")})},
		{Room: "b", Entries: updateEntries([][]byte{[]byte("b3"), []byte("b4")})},
		{Room: "a", Entries: nil},
	})
	want := []store.BatchResult{{LastSeq: 2}, {LastSeq: 2}, {LastSeq: 4}, {LastSeq: 2}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("AppendBatches mismatch (-want +got):\n%s", diff)
	}
	checkLoad(t, s, "a", store.Snapshot{State: []byte("A")}, entries(1, "a1", "a2"))
	_, log := mustLoad(t, s, "b")
	if diff := cmp.Diff([]string{"b1", "b2", "b3", "b4"}, updateStrings(log)); diff != "" {
		t.Errorf("room b's log mismatch (-want +got):\n%s", diff)
	}
	checkTime(t, "b2's time", log[1].Time, at, false)
	if log[1].Session != "s1" {
		t.Errorf("b2's session = %q, want s1", log[1].Session)
	}
	if got := s.AppendBatches(t.Context(), nil); len(got) != 0 {
		t.Errorf("AppendBatches(nil) = %v, want no results", got)
	}
}

// A batch refused on its own (an unknown room, an invalid entry) fails alone, whole: the other
// batches of the commit are kept.
func testAppendBatchesRefusals(t *testing.T, s store.Store) {
	mustCreate(t, s, store.Room{ID: "a", CreatedAt: created}, []byte("A"))
	mustCreate(t, s, store.Room{ID: "b", CreatedAt: created}, []byte("B"))
	bad := []store.Entry{{Update: []byte("ok")}, {Update: []byte("x"), Session: strings.Repeat("s", store.MaxSessionLen+1)}}
	got := s.AppendBatches(t.Context(), []store.Batch{
		{Room: "a", Entries: updateEntries([][]byte{[]byte("a1")})},
		{Room: "nope", Entries: updateEntries([][]byte{[]byte("lost")})},
		{Room: "b", Entries: bad},
		{Room: "b", Entries: updateEntries([][]byte{[]byte("b1")})},
	})
	if len(got) != 4 {
		t.Fatalf("AppendBatches returned %d results for 4 batches", len(got))
	}
	for i, want := range []error{nil, store.ErrNotFound, store.ErrInvalidEntry, nil} {
		if want == nil && got[i].Err != nil || want != nil && !errors.Is(got[i].Err, want) {
			t.Errorf("batch %d: error %v, want %v", i, got[i].Err, want)
		}
	}
	if got[0].LastSeq != 1 || got[3].LastSeq != 1 {
		t.Errorf("last seqs %d and %d, want 1 and 1", got[0].LastSeq, got[3].LastSeq)
	}
	checkLoad(t, s, "a", store.Snapshot{State: []byte("A")}, entries(1, "a1"))
	checkLoad(t, s, "b", store.Snapshot{State: []byte("B")}, entries(1, "b1"))
}

// Group commits and single appends from several goroutines: every room's log holds each
// batch whole, in one of the orders the calls could have taken, with seqs consecutive.
func testAppendBatchesConcurrent(t *testing.T, s store.Store) {
	const rooms, writers, rounds = 3, 4, 10
	for r := range rooms {
		mustCreate(t, s, store.Room{ID: fmt.Sprint("r", r), CreatedAt: created}, nil)
	}
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range rounds {
				var batches []store.Batch
				for r := range rooms {
					u := fmt.Sprintf("w%d-%d", w, i)
					batches = append(batches, store.Batch{Room: fmt.Sprint("r", r), Entries: updateEntries([][]byte{[]byte(u + "a"), []byte(u + "b")})})
				}
				for j, res := range s.AppendBatches(t.Context(), batches) {
					if res.Err != nil {
						t.Errorf("writer %d round %d batch %d: %v", w, i, j, res.Err)
					}
				}
			}
		})
	}
	wg.Wait()
	for r := range rooms {
		_, log := mustLoad(t, s, fmt.Sprint("r", r))
		if len(log) != 2*writers*rounds {
			t.Fatalf("room r%d: %d entries, want %d", r, len(log), 2*writers*rounds)
		}
		for i := 0; i < len(log); i += 2 {
			a, b := string(log[i].Update), string(log[i+1].Update)
			if log[i].Seq != uint64(i+1) || log[i+1].Seq != uint64(i+2) || !strings.HasSuffix(a, "a") || b != strings.TrimSuffix(a, "a")+"b" {
				t.Fatalf("room r%d: entries %d and %d are %q (seq %d) and %q (seq %d): a batch was split", r, i, i+1, a, log[i].Seq, b, log[i+1].Seq)
			}
		}
	}
}

func updateStrings(log []store.Entry) []string {
	out := make([]string, len(log))
	for i, e := range log {
		out[i] = string(e.Update)
	}
	return out
}

func mustCreate(t *testing.T, s store.Store, room store.Room, initial []byte) {
	t.Helper()
	if err := s.CreateRoom(t.Context(), room, initial); err != nil {
		t.Fatalf("CreateRoom(%q): %v", room.ID, err)
	}
}

// mustAppend appends updates with no time or session.
func mustAppend(t *testing.T, s store.Store, id string, updates ...[]byte) uint64 {
	t.Helper()
	return mustAppendEntries(t, s, id, updateEntries(updates)...)
}

func mustAppendEntries(t *testing.T, s store.Store, id string, entries ...store.Entry) uint64 {
	t.Helper()
	seq, err := s.Append(t.Context(), id, entries)
	if err != nil {
		t.Fatalf("Append(%q): %v", id, err)
	}
	return seq
}

func mustCompact(t *testing.T, s store.Store, id string, snap store.Snapshot) {
	t.Helper()
	if err := s.Compact(t.Context(), id, snap); err != nil {
		t.Fatalf("Compact(%q, seq %d): %v", id, snap.Seq, err)
	}
}

func mustLoad(t *testing.T, s store.Store, id string) (store.Snapshot, []store.Entry) {
	t.Helper()
	snap, log, err := s.Load(t.Context(), id)
	if err != nil {
		t.Fatalf("Load(%q): %v", id, err)
	}
	return snap, log
}

func closeStore(t *testing.T, s store.Store) {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

// checkRoom checks Room's answer for want.ID, and RoomByLink's for each of its links; a want
// without OpenedAt expects CreatedAt, as a room that was never marked opened has, and one
// without an EditID its ID, as CreateRoom sets.
func checkRoom(t *testing.T, s store.Store, want store.Room) {
	t.Helper()
	if want.OpenedAt.IsZero() {
		want.OpenedAt = want.CreatedAt
	}
	if want.Access.EditID == "" {
		want.Access.EditID = want.ID
	}
	got, err := s.Room(t.Context(), want.ID)
	if err != nil {
		t.Fatalf("Room(%q): %v", want.ID, err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Room(%q) mismatch (-want +got):\n%s", want.ID, diff)
	}
	for _, link := range []string{want.Access.EditID, want.Access.ViewID} {
		if link == "" {
			continue
		}
		got, err := s.RoomByLink(t.Context(), link)
		if err != nil {
			t.Fatalf("RoomByLink(%q) of room %q: %v", link, want.ID, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("RoomByLink(%q) mismatch (-want +got):\n%s", link, diff)
		}
	}
}

// checkNoLink checks that RoomByLink finds no room by link.
func checkNoLink(t *testing.T, s store.Store, link string) {
	t.Helper()
	if room, err := s.RoomByLink(t.Context(), link); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RoomByLink(%q) = room %q, %v; want ErrNotFound", link, room.ID, err)
	}
}

// checkLoad checks Load's answer; a snapshot at seq 0, the initial state, must be a checkpoint.
func checkLoad(t *testing.T, s store.Store, id string, wantSnap store.Snapshot, wantLog []store.Entry) {
	t.Helper()
	wantSnap.Checkpoint = wantSnap.Checkpoint || wantSnap.Seq == 0
	snap, log := mustLoad(t, s, id)
	if diff := cmp.Diff(wantSnap, snap, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Load(%q) snapshot mismatch (-want +got):\n%s", id, diff)
	}
	if diff := cmp.Diff(wantLog, log, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Load(%q) entries mismatch (-want +got):\n%s", id, diff)
	}
}

// checkBytes compares large values without printing them.
func checkBytes(t *testing.T, what string, got, want []byte) {
	t.Helper()
	if !bytes.Equal(got, want) {
		t.Errorf("%s: got %d bytes, want %d bytes, and they differ", what, len(got), len(want))
	}
}

// entries returns log entries with seqs from first on, one per update.
func entries(first uint64, updates ...string) []store.Entry {
	es := make([]store.Entry, len(updates))
	for i, u := range updates {
		es[i] = store.Entry{Seq: first + uint64(i), Update: []byte(u)}
	}
	return es
}

// updateEntries returns an entry for each update, with no time or session.
func updateEntries(updates [][]byte) []store.Entry {
	es := make([]store.Entry, len(updates))
	for i, u := range updates {
		es[i] = store.Entry{Update: u}
	}
	return es
}

// checkTime checks a time loaded back: the zero time as the zero time, any other in UTC and
// within a millisecond of want, exactly want when exact.
func checkTime(t *testing.T, what string, got, want time.Time, exact bool) {
	t.Helper()
	switch d := got.Sub(want); {
	case got.IsZero() || want.IsZero():
		if got.IsZero() != want.IsZero() {
			t.Errorf("%s = %v, want %v", what, got, want)
		}
	case got.Location() != time.UTC:
		t.Errorf("%s location = %v, want UTC", what, got.Location())
	case d <= -time.Millisecond || d >= time.Millisecond:
		t.Errorf("%s = %v, want %v (±1ms)", what, got, want)
	case exact && !got.Equal(want):
		t.Errorf("%s = %v, want exactly %v", what, got, want)
	}
}

func updatesOf(log []store.Entry) [][]byte {
	us := make([][]byte, len(log))
	for i, e := range log {
		us[i] = e.Update
	}
	return us
}
