package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/pairpad/pairpad/store"
)

// Where store.History leaves a case open, the suite settles it:
//   - Entries with upto <= after, or after past the last seq, returns no entries and no error.
//   - Checkpoint of a seq past the last seq returns the current snapshot.
//   - TrimHistory before the room's history starts, or at 0, changes nothing; TrimHistory at or
//     past the current snapshot's seq keeps it, as a checkpoint, and the entries after it.
//   - PutVersion refuses a version that ends past the room's last seq.
//   - Versions' Authors load back as stored; nil and empty are the same.

// authored returns entries with seqs from first on, one per update, each with a time a second
// after the previous one, and authors taking turns.
func authored(first uint64, updates ...string) []store.Entry {
	es := entries(first, updates...)
	for i := range es {
		es[i].Time = created.Add(time.Duration(first+uint64(i)) * time.Second)
		es[i].Session = fmt.Sprint("conn-", i%2)
		es[i].Author = []string{"Ada", "Grace", "legacy client", "server"}[i%4]
	}
	return es
}

func mustEntries(t *testing.T, s store.Store, id string, after, upto uint64, limit int) []store.Entry {
	t.Helper()
	log, err := s.Entries(t.Context(), id, after, upto, limit)
	if err != nil {
		t.Fatalf("Entries(%q, %d, %d, %d): %v", id, after, upto, limit, err)
	}
	return log
}

func checkEntries(t *testing.T, s store.Store, id string, after, upto uint64, limit int, want []store.Entry) {
	t.Helper()
	got := mustEntries(t, s, id, after, upto, limit)
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Entries(%q, %d, %d, %d) mismatch (-want +got):\n%s", id, after, upto, limit, diff)
	}
}

func checkCheckpoint(t *testing.T, s store.Store, id string, seq uint64, want store.Snapshot) {
	t.Helper()
	got, err := s.Checkpoint(t.Context(), id, seq)
	if err != nil {
		t.Fatalf("Checkpoint(%q, %d): %v", id, seq, err)
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Checkpoint(%q, %d) mismatch (-want +got):\n%s", id, seq, diff)
	}
}

func checkBytesOfHistory(t *testing.T, s store.Store, id string, want int64) {
	t.Helper()
	got, err := s.HistoryBytes(t.Context(), id)
	if err != nil {
		t.Fatalf("HistoryBytes(%q): %v", id, err)
	}
	if got != want {
		t.Errorf("HistoryBytes(%q) = %d, want %d", id, got, want)
	}
}

// checkHistoryStart checks a room whose history starts at snap, followed by log: both reads
// find them, and nothing before.
func checkHistoryStart(t *testing.T, s store.Store, id string, snap store.Snapshot, log []store.Entry) {
	t.Helper()
	checkCheckpoint(t, s, id, snap.Seq, snap)
	checkEntries(t, s, id, snap.Seq, math.MaxUint64, len(log)+1, log)
	if snap.Seq == 0 {
		return
	}
	if _, err := s.Checkpoint(t.Context(), id, snap.Seq-1); !errors.Is(err, store.ErrTrimmed) {
		t.Errorf("Checkpoint(%q, %d) before the history starts: err = %v, want ErrTrimmed", id, snap.Seq-1, err)
	}
	if _, err := s.Entries(t.Context(), id, snap.Seq-1, math.MaxUint64, 10); !errors.Is(err, store.ErrTrimmed) {
		t.Errorf("Entries(%q, %d) before the history starts: err = %v, want ErrTrimmed", id, snap.Seq-1, err)
	}
}

// Authors load back byte for byte, through Load and Entries, in a batch and one per call, in the
// journal and after compaction; those CheckEntries refuses fail the batch.
func testAuthor(t *testing.T, s store.Store) {
	mustCreate(t, s, store.Room{ID: "r", CreatedAt: created}, nil)
	authors := []string{
		"", "Ada", "Ada", "", "legacy client", "server",
		strings.Repeat("a", store.MaxAuthorLen), strings.Repeat("é", store.MaxAuthorLen/2), "Ada ✓ 'x' \"y\"\t",
	}
	var want []store.Entry
	for i, a := range authors {
		want = append(want, store.Entry{Seq: uint64(i + 1), Update: fmt.Appendf(nil, "u%d", i), Time: created, Session: "s", Author: a})
	}
	mustAppendEntries(t, s, "r", want[:5]...)
	for _, e := range want[5:] {
		mustAppendEntries(t, s, "r", e)
	}
	checkLoad(t, s, "r", store.Snapshot{}, want)
	checkEntries(t, s, "r", 0, 100, 100, want)
	mustCompact(t, s, "r", store.Snapshot{Seq: 4, State: []byte("s4")})
	checkLoad(t, s, "r", store.Snapshot{Seq: 4, State: []byte("s4")}, want[4:])
	checkEntries(t, s, "r", 0, 100, 100, want)

	for _, bad := range []string{strings.Repeat("a", store.MaxAuthorLen+1), strings.Repeat("é", store.MaxAuthorLen/2) + "x", "\xff", "a\x00b"} {
		batch := []store.Entry{{Update: []byte("ok"), Author: "fine"}, {Update: []byte("bad"), Author: bad}}
		if _, err := s.Append(t.Context(), "r", batch); !errors.Is(err, store.ErrInvalidEntry) {
			t.Errorf("Append with author %q: err = %v, want ErrInvalidEntry", bad, err)
		}
	}
	checkEntries(t, s, "r", 0, 100, 100, want)
}

// Compact keeps the entries it covers for Entries, while Load returns only those after the
// snapshot; Entries honours after, upto and limit across what compaction moved and what it did
// not, over many entries.
func testCompactKeepsEntries(t *testing.T, s store.Store) {
	mustCreate(t, s, store.Room{ID: "r", CreatedAt: created}, []byte("init"))
	var updates []string
	for i := range 300 {
		updates = append(updates, fmt.Sprintf("%04d-%s", i+1, strings.Repeat("x", i%7*100)))
	}
	log := authored(1, updates...)
	mustAppendEntries(t, s, "r", log[:100]...)
	mustCompact(t, s, "r", store.Snapshot{Seq: 60, State: []byte("s60")})
	mustAppendEntries(t, s, "r", log[100:250]...)
	mustCompact(t, s, "r", store.Snapshot{Seq: 230, State: []byte("s230")})
	mustAppendEntries(t, s, "r", log[250:]...)
	checkLoad(t, s, "r", store.Snapshot{Seq: 230, State: []byte("s230")}, log[230:])

	tests := []struct {
		after, upto uint64
		limit       int
		want        []store.Entry
	}{
		{0, 300, 1000, log},
		{0, math.MaxUint64, 1000, log},
		{0, 300, 7, log[:7]},
		{59, 61, 10, log[59:61]},
		{100, 240, 1000, log[100:240]},
		{229, 231, 10, log[229:231]},
		{1, 299, 298, log[1:299]},
		{150, 300, 20, log[150:170]},
		{290, 400, 100, log[290:]},
		{300, 400, 10, nil},
		{10, 10, 10, nil},
		{20, 10, 10, nil},
	}
	for _, tt := range tests {
		checkEntries(t, s, "r", tt.after, tt.upto, tt.limit, tt.want)
	}
	for _, limit := range []int{0, -1} {
		if _, err := s.Entries(t.Context(), "r", 0, 10, limit); err == nil {
			t.Errorf("Entries with limit %d: err = nil, want an error", limit)
		}
	}
}

// Checkpoint finds the newest snapshot kept at or before a seq: the initial state, the
// snapshots stored as checkpoints, and the current one; a snapshot that was not a checkpoint
// is gone once another replaces it. With the entries after it, it rebuilds every seq.
func testCheckpoints(t *testing.T, s store.Store) {
	mustCreate(t, s, store.Room{ID: "r", CreatedAt: created}, []byte("init"))
	log := authored(1, "1", "2", "3", "4", "5", "6", "7", "8", "9", "10")
	mustAppendEntries(t, s, "r", log...)
	init := store.Snapshot{State: []byte("init"), Checkpoint: true}
	s4 := store.Snapshot{Seq: 4, State: []byte("s4"), Checkpoint: true}
	s8 := store.Snapshot{Seq: 8, State: []byte("s8")}
	for _, snap := range []store.Snapshot{{Seq: 2, State: []byte("s2")}, s4, {Seq: 6, State: []byte("s6")}, s8} {
		mustCompact(t, s, "r", snap)
	}
	want := []store.Snapshot{init, init, init, init, s4, s4, s4, s4, s8, s8, s8}
	for seq, snap := range want {
		checkCheckpoint(t, s, "r", uint64(seq), snap)
		checkEntries(t, s, "r", snap.Seq, uint64(seq), 100, log[snap.Seq:seq])
	}
	checkCheckpoint(t, s, "r", math.MaxUint64, s8)
	checkLoad(t, s, "r", s8, log[8:])

	// At the same seq, a checkpoint stays one whatever replaces its state.
	mustCompact(t, s, "r", store.Snapshot{Seq: 8, State: []byte("s8'"), Checkpoint: true})
	mustCompact(t, s, "r", store.Snapshot{Seq: 8, State: []byte("s8''")})
	s8 = store.Snapshot{Seq: 8, State: []byte("s8''"), Checkpoint: true}
	checkLoad(t, s, "r", s8, log[8:])
	mustCompact(t, s, "r", store.Snapshot{Seq: 10, State: []byte("s10")})
	checkCheckpoint(t, s, "r", 9, s8)
	checkCheckpoint(t, s, "r", 10, store.Snapshot{Seq: 10, State: []byte("s10")})
	checkCheckpoint(t, s, "r", 3, init)
	checkEntries(t, s, "r", 0, 10, 100, log)
	// The initial state, replaced at seq 0, is still the checkpoint at 0.
	mustCreate(t, s, store.Room{ID: "r0", CreatedAt: created}, []byte("init"))
	mustCompact(t, s, "r0", store.Snapshot{State: []byte("init2")})
	checkCheckpoint(t, s, "r0", 0, store.Snapshot{State: []byte("init2"), Checkpoint: true})
}

// A large checkpoint (in chunks, in the embedded store) stays readable when newer snapshots
// replace it, and the chunks of the snapshots between go.
func testLargeCheckpoint(t *testing.T, s store.Store) {
	big := func(b byte) []byte { return bytes.Repeat([]byte{b}, 700<<10) }
	mustCreate(t, s, store.Room{ID: "r", CreatedAt: created}, big(0))
	mustAppend(t, s, "r", []byte("1"), []byte("2"), []byte("3"), []byte("4"))
	mustCompact(t, s, "r", store.Snapshot{Seq: 1, State: big(1), Checkpoint: true})
	mustCompact(t, s, "r", store.Snapshot{Seq: 2, State: big(2)})
	mustCompact(t, s, "r", store.Snapshot{Seq: 3, State: big(3), Checkpoint: true})
	mustCompact(t, s, "r", store.Snapshot{Seq: 4, State: big(4)})
	for seq, state := range [][]byte{big(0), big(1), big(1), big(3), big(4)} {
		snap, err := s.Checkpoint(t.Context(), "r", uint64(seq))
		if err != nil {
			t.Fatalf("Checkpoint(%d): %v", seq, err)
		}
		checkBytes(t, fmt.Sprintf("checkpoint at %d", seq), snap.State, state)
	}
	checkBytesOfHistory(t, s, "r", 3*(700<<10)+4)
	if err := s.TrimHistory(t.Context(), "r", 2); err != nil {
		t.Fatal(err)
	}
	snap, err := s.Checkpoint(t.Context(), "r", 2)
	if err != nil || snap.Seq != 1 {
		t.Fatalf("Checkpoint(2) after TrimHistory(2) = seq %d, %v; want 1", snap.Seq, err)
	}
	checkBytes(t, "checkpoint at 1", snap.State, big(1))
	checkBytesOfHistory(t, s, "r", 2*(700<<10)+3)
}

func version(from, to uint64, authors ...string) store.Version {
	return store.Version{
		FromSeq: from, ToSeq: to,
		From: created.Add(time.Duration(from) * time.Second), To: created.Add(time.Duration(to) * time.Second),
		Authors: authors, Added: int(to - from + 1), Removed: int(from % 3),
	}
}

func mustPutVersion(t *testing.T, s store.Store, id string, v store.Version) {
	t.Helper()
	if err := s.PutVersion(t.Context(), id, v); err != nil {
		t.Fatalf("PutVersion(%q, %d-%d): %v", id, v.FromSeq, v.ToSeq, err)
	}
}

func checkVersions(t *testing.T, s store.Store, id string, before uint64, limit int, want []store.Version) {
	t.Helper()
	got, err := s.Versions(t.Context(), id, before, limit)
	if err != nil {
		t.Fatalf("Versions(%q, %d, %d): %v", id, before, limit, err)
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Versions(%q, %d, %d) mismatch (-want +got):\n%s", id, before, limit, diff)
	}
}

// PutVersion replaces a version by its FromSeq and refuses overlaps and invalid versions;
// Versions pages newest first.
func testVersions(t *testing.T, s store.Store) {
	mustCreate(t, s, store.Room{ID: "r", CreatedAt: created}, nil)
	mustCreate(t, s, store.Room{ID: "other", CreatedAt: created}, nil)
	checkVersions(t, s, "r", 0, 10, nil)
	var updates []string
	for i := range 100 {
		updates = append(updates, fmt.Sprint(i))
	}
	mustAppend(t, s, "r", bytesOf(updates)...)
	mustAppend(t, s, "other", []byte("x"))

	// The open burst grows: the same FromSeq, stored again.
	open := version(1, 3, "Ada")
	mustPutVersion(t, s, "r", open)
	open = version(1, 9, "Ada", "Grace")
	mustPutVersion(t, s, "r", open)
	vs := []store.Version{open}
	for from := uint64(10); from < 100; from += 10 {
		v := version(from, from+5, "Grace")
		if from == 50 {
			v.Restore, v.Authors = 7, []string{"server", "legacy client", strings.Repeat("é", store.MaxAuthorLen/2)}
		}
		mustPutVersion(t, s, "r", v)
		vs = append(vs, v)
	}
	mustPutVersion(t, s, "other", version(1, 1, "Ada"))
	newestFirst := func(vs []store.Version) []store.Version {
		out := make([]store.Version, len(vs))
		for i, v := range vs {
			out[len(vs)-1-i] = v
		}
		return out
	}
	all := newestFirst(vs) // FromSeq 90, 80, ..., 10, 1
	tests := []struct {
		before uint64
		limit  int
		want   []store.Version
	}{
		{0, 100, all},
		{0, 3, all[:3]},
		{math.MaxUint64, 100, all},
		{96, 2, all[:2]},   // 90-95 ends before 96
		{95, 2, all[1:3]},  // 90-95 does not
		{90, 2, all[1:3]},  // paging on from the FromSeq of the last one returned
		{10, 5, all[9:]},   // only 1-9
		{9, 5, nil},        // 1-9 ends at 9
		{1, 5, nil},        // nothing ends before 1
		{57, 100, all[4:]}, // 50-55 and older
		{55, 100, all[5:]}, // 50-55 spans 55
		{1000, 1, all[:1]}, // past the last seq
		{math.MaxUint64, 1, all[:1]},
	}
	for _, tt := range tests {
		checkVersions(t, s, "r", tt.before, tt.limit, tt.want)
	}
	checkVersions(t, s, "other", 0, 10, []store.Version{version(1, 1, "Ada")})

	refused := []struct {
		name string
		v    store.Version
	}{
		{"overlaps the one before", version(15, 19)},
		{"overlaps the one after", version(6, 10)},
		{"spans another", version(25, 50)},
		{"the same FromSeq's neighbour", version(9, 12)},
		{"grows into the next", version(10, 20)},
		{"past the last seq", version(96, 101)},
		{"FromSeq 0", version(0, 0)},
		{"ToSeq before FromSeq", store.Version{FromSeq: 98, ToSeq: 97, From: created, To: created}},
		{"restores its own seq", store.Version{FromSeq: 97, ToSeq: 97, Restore: 97}},
		{"negative count", store.Version{FromSeq: 97, ToSeq: 97, Removed: -1}},
		{"author twice", version(97, 97, "Ada", "Grace", "Ada")},
		{"author too long", version(97, 97, strings.Repeat("a", store.MaxAuthorLen+1))},
		{"author not UTF-8", version(97, 97, "\xff")},
		{"author with NUL", version(97, 97, "a\x00")},
		{"too many authors", version(97, 97, bytesAuthors(store.MaxVersionAuthors+1)...)},
		{"time past 9999", store.Version{FromSeq: 97, ToSeq: 97, To: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}},
	}
	for _, tt := range refused {
		if err := s.PutVersion(t.Context(), "r", tt.v); !errors.Is(err, store.ErrInvalidVersion) {
			t.Errorf("PutVersion that %s: err = %v, want ErrInvalidVersion", tt.name, err)
		}
	}
	checkVersions(t, s, "r", 0, 100, all)
	// At the limits: MaxVersionAuthors authors; a version of one seq next to another.
	most := version(96, 97, bytesAuthors(store.MaxVersionAuthors)...)
	mustPutVersion(t, s, "r", most)
	mustPutVersion(t, s, "r", version(98, 98))
	checkVersions(t, s, "r", 0, 2, []store.Version{version(98, 98), most})
	for _, limit := range []int{0, -1} {
		if _, err := s.Versions(t.Context(), "r", 0, limit); err == nil {
			t.Errorf("Versions with limit %d: err = nil, want an error", limit)
		}
	}
}

func bytesOf(updates []string) [][]byte {
	out := make([][]byte, len(updates))
	for i, u := range updates {
		out[i] = []byte(u)
	}
	return out
}

func bytesAuthors(n int) []string {
	authors := make([]string, n)
	for i := range authors {
		authors[i] = fmt.Sprint("author-", i)
	}
	return authors
}

// TrimHistory keeps what rebuilds every seq from before on, and drops the rest: older
// checkpoints, entries and versions; reads of what it dropped are ErrTrimmed; HistoryBytes
// counts exactly the updates and checkpoint states kept.
func testTrimHistory(t *testing.T, s store.Store) {
	mustCreate(t, s, store.Room{ID: "r", CreatedAt: created}, []byte("init"))
	var updates []string
	for i := range 14 {
		updates = append(updates, fmt.Sprintf("u%02d", i+1)) // 3 bytes each
	}
	log := authored(1, updates...)
	mustAppendEntries(t, s, "r", log[:12]...)
	checkBytesOfHistory(t, s, "r", 4+12*3)
	s4 := store.Snapshot{Seq: 4, State: []byte("state-4"), Checkpoint: true}
	s8 := store.Snapshot{Seq: 8, State: []byte("state-08"), Checkpoint: true}
	s10 := store.Snapshot{Seq: 10, State: []byte("state-010")}
	mustCompact(t, s, "r", store.Snapshot{Seq: 2, State: []byte("state-2")})
	for _, snap := range []store.Snapshot{s4, s8, s10} {
		mustCompact(t, s, "r", snap)
	}
	checkBytesOfHistory(t, s, "r", 4+12*3+7+8)
	vs := []store.Version{version(1, 3), version(4, 6), version(7, 9), version(10, 12)}
	for _, v := range vs {
		mustPutVersion(t, s, "r", v)
	}

	trim := func(before uint64) {
		t.Helper()
		if err := s.TrimHistory(t.Context(), "r", before); err != nil {
			t.Fatalf("TrimHistory(%d): %v", before, err)
		}
	}
	trim(0)
	checkHistoryStart(t, s, "r", store.Snapshot{State: []byte("init"), Checkpoint: true}, log[:12])

	trim(6) // keeps s4, the newest checkpoint at or before 6
	checkHistoryStart(t, s, "r", s4, log[4:12])
	checkCheckpoint(t, s, "r", 9, s8)
	checkVersions(t, s, "r", 0, 10, []store.Version{vs[3], vs[2], vs[1]})
	checkBytesOfHistory(t, s, "r", 8*3+7+8)
	checkLoad(t, s, "r", s10, log[10:12])

	trim(3) // before the history starts: nothing changes
	checkHistoryStart(t, s, "r", s4, log[4:12])
	checkVersions(t, s, "r", 0, 10, []store.Version{vs[3], vs[2], vs[1]})

	trim(11) // keeps the current snapshot, which becomes a checkpoint
	s10.Checkpoint = true
	checkHistoryStart(t, s, "r", s10, log[10:12])
	checkVersions(t, s, "r", 0, 10, []store.Version{vs[3]})
	checkBytesOfHistory(t, s, "r", 2*3+9)
	checkLoad(t, s, "r", s10, log[10:12])
	// A newer snapshot does not drop it: the history still starts there.
	mustAppendEntries(t, s, "r", log[12:]...)
	mustCompact(t, s, "r", store.Snapshot{Seq: 13, State: []byte("s13")})
	checkHistoryStart(t, s, "r", s10, log[10:])
	checkBytesOfHistory(t, s, "r", 4*3+9)

	trim(math.MaxUint64)
	s13 := store.Snapshot{Seq: 13, State: []byte("s13"), Checkpoint: true}
	checkHistoryStart(t, s, "r", s13, log[13:])
	checkVersions(t, s, "r", 0, 10, nil)
	checkBytesOfHistory(t, s, "r", 3+3)
	if got := mustAppend(t, s, "r", []byte("next")); got != 15 {
		t.Errorf("Append after TrimHistory = %d, want 15", got)
	}
}

// HistoryBytes counts every kept entry's update and every checkpoint's state, the current
// snapshot's when it is one.
func testHistoryBytes(t *testing.T, s store.Store) {
	mustCreate(t, s, store.Room{ID: "r", CreatedAt: created}, []byte("init"))
	mustCreate(t, s, store.Room{ID: "empty", CreatedAt: created}, nil)
	checkBytesOfHistory(t, s, "r", 4)
	checkBytesOfHistory(t, s, "empty", 0)
	mustAppend(t, s, "r", []byte("12345"), nil, []byte("123"))
	checkBytesOfHistory(t, s, "r", 12)
	mustCompact(t, s, "r", store.Snapshot{Seq: 1, State: []byte("plain")})
	checkBytesOfHistory(t, s, "r", 12)
	mustCompact(t, s, "r", store.Snapshot{Seq: 2, State: []byte("kept"), Checkpoint: true})
	checkBytesOfHistory(t, s, "r", 16)
	mustCompact(t, s, "r", store.Snapshot{Seq: 2, State: []byte("kept, longer")})
	checkBytesOfHistory(t, s, "r", 24)
	mustCompact(t, s, "r", store.Snapshot{Seq: 3, State: []byte("plain")})
	checkBytesOfHistory(t, s, "r", 24)
	mustCompact(t, s, "r", store.Snapshot{Seq: 3, State: []byte("c"), Checkpoint: true})
	checkBytesOfHistory(t, s, "r", 25)
}

// DeleteRoom removes a room's history with it: its id created again starts with none.
func testDeleteRoomHistory(t *testing.T, s store.Store) {
	mustCreate(t, s, store.Room{ID: "r", CreatedAt: created}, []byte("init"))
	mustAppendEntries(t, s, "r", authored(1, "a", "b", "c")...)
	mustCompact(t, s, "r", store.Snapshot{Seq: 2, State: []byte("s2"), Checkpoint: true})
	mustPutVersion(t, s, "r", version(1, 3, "Ada"))
	if err := s.DeleteRoom(t.Context(), "r"); err != nil {
		t.Fatal(err)
	}
	mustCreate(t, s, store.Room{ID: "r", CreatedAt: created}, []byte("again"))
	checkHistoryStart(t, s, "r", store.Snapshot{State: []byte("again"), Checkpoint: true}, nil)
	checkCheckpoint(t, s, "r", 2, store.Snapshot{State: []byte("again"), Checkpoint: true})
	checkVersions(t, s, "r", 0, 10, nil)
	checkBytesOfHistory(t, s, "r", 5)
	log := authored(1, "x")
	mustAppendEntries(t, s, "r", log...)
	checkEntries(t, s, "r", 0, 10, 10, log)
}
