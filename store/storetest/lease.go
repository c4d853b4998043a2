package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/pairpad/pairpad/store"
)

// RunLeases checks that the stores newStores returns keep the store.Leases contract, the
// fencing of writes by lease epochs among it. newStores must return two stores on one new,
// empty storage, as two nodes sharing a database have, each closed when t ends (t.Cleanup);
// the suite closes some stores itself too. Both must implement store.Leases. Subtests run in
// parallel, and wait for leases to expire: their ttls are short, and they poll.
//
// Where store.Leases leaves a case open, the suite settles it:
//   - LeaseOf a room nobody ever held is Lease{Room: room}; LeaseOf, like AcquireLease, an
//     unknown room is ErrNotFound. So is AcquireLease of an id no room can have ("", not
//     UTF-8, a NUL byte).
//   - A released or expired lease keeps its node, addr and epoch, with Held false.
//   - RenewLeases does not renew an expired lease, even if nobody took it since: a node must
//     acquire it again, at a new epoch. Unknown rooms are not renewed, and are no error.
//   - ReleaseLease of a lease node does not hold at that epoch (another's, expired, released,
//     an unknown room) changes nothing and returns nil.
//   - A ttl under a microsecond is an error, for AcquireLease and RenewLeases.
//   - A fenced batch with no entries fails with ErrLeaseLost as a fenced batch with entries
//     would; with the epoch in force it returns the room's last seq.
//   - A fenced write to an unknown room is ErrNotFound, not ErrLeaseLost.
//   - DeleteRoom deletes the room's lease with it: a room created again with its id was never
//     held, and its epochs start again at 1.
//   - Close ends a WatchReleases in progress, which returns an error.
func RunLeases(t *testing.T, newStores func(t *testing.T) (store.Store, store.Store)) {
	tests := []struct {
		name string
		fn   func(t *testing.T, a, b nodeStore)
	}{
		{"AcquireFree", testAcquireFree},
		{"AcquireHeld", testAcquireHeld},
		{"AcquireAgain", testAcquireAgain},
		{"AcquireExpired", testAcquireExpired},
		{"Release", testRelease},
		{"ReleaseNotHeld", testReleaseNotHeld},
		{"Renew", testRenew},
		{"RenewExpired", testRenewExpired},
		{"LeaseUnknownRoom", testLeaseUnknownRoom},
		{"LeaseInvalidTTL", testLeaseInvalidTTL},
		{"LeaseDeleteRoom", testLeaseDeleteRoom},
		{"FencedAppend", testFencedAppend},
		{"FencedAppendExpired", testFencedAppendExpired},
		{"FencedGroupCommit", testFencedGroupCommit},
		{"FencedCompact", testFencedCompact},
		{"FencedRaceSameNode", testFencedRaceSameNode},
		{"FencedRaceOtherNode", testFencedRaceOtherNode},
		{"FencedRaceDeleteRoom", testFencedRaceDeleteRoom},
		{"WatchReleases", testWatchReleases},
		{"WatchReleasesLongID", testWatchReleasesLongID},
		{"LeaseCancelledContext", testLeaseCancelledContext},
		{"LeaseClose", testLeaseClose},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s1, s2 := newStores(t)
			tt.fn(t, asNode(t, s1, "node-a"), asNode(t, s2, "node-b"))
		})
	}
}

// nodeStore is one node's handle on the shared store.
type nodeStore struct {
	store.Store
	store.Leases
	node, addr string
}

func asNode(t *testing.T, s store.Store, node string) nodeStore {
	t.Helper()
	l, ok := s.(store.Leases)
	if !ok {
		t.Fatalf("%T does not implement store.Leases", s)
	}
	return nodeStore{Store: s, Leases: l, node: node, addr: "https://" + node + ".example"}
}

const (
	// longTTL outlasts any test: a lease acquired with it stays held.
	longTTL = time.Hour
	// shortTTL is for leases a test waits to see expire.
	shortTTL = 200 * time.Millisecond
)

// acquire takes room's lease for n, and fails t unless n got it.
func (n nodeStore) acquire(t *testing.T, room string, ttl time.Duration) store.Lease {
	t.Helper()
	l, err := n.AcquireLease(t.Context(), room, n.node, n.addr, ttl)
	if err != nil {
		t.Fatalf("%s: AcquireLease(%q): %v", n.node, room, err)
	}
	if l.Node != n.node || !l.Held {
		t.Fatalf("%s: AcquireLease(%q) = %+v, want it held by %s", n.node, room, l, n.node)
	}
	return l
}

func (n nodeStore) release(t *testing.T, room string, epoch uint64) {
	t.Helper()
	if err := n.ReleaseLease(t.Context(), room, n.node, epoch); err != nil {
		t.Fatalf("%s: ReleaseLease(%q, %d): %v", n.node, room, epoch, err)
	}
}

func (n nodeStore) renew(t *testing.T, epochs map[string]uint64, ttl time.Duration) []string {
	t.Helper()
	renewed, err := n.RenewLeases(t.Context(), n.node, epochs, ttl)
	if err != nil {
		t.Fatalf("%s: RenewLeases(%v): %v", n.node, epochs, err)
	}
	slices.Sort(renewed)
	return renewed
}

func mustLeaseOf(t *testing.T, s store.Leases, room string) store.Lease {
	t.Helper()
	l, err := s.LeaseOf(t.Context(), room)
	if err != nil {
		t.Fatalf("LeaseOf(%q): %v", room, err)
	}
	return l
}

// checkLease checks a lease against want, and its Remaining: over 0 and at most ttl when it
// is held, 0 when it is not.
func checkLease(t *testing.T, what string, got, want store.Lease, ttl time.Duration) {
	t.Helper()
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(store.Lease{}, "Remaining")); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", what, diff)
	}
	if got.Held && (got.Remaining <= 0 || got.Remaining > ttl) || !got.Held && got.Remaining != 0 {
		t.Errorf("%s: Held %v, Remaining %v; want a Remaining in (0, %v] when held, 0 when not", what, got.Held, got.Remaining, ttl)
	}
}

// lease is the Lease n holds of room at epoch.
func (n nodeStore) lease(room string, epoch uint64) store.Lease {
	return store.Lease{Room: room, Node: n.node, Addr: n.addr, Epoch: epoch, Held: true}
}

// expired is l once it is no longer held.
func expired(l store.Lease) store.Lease {
	l.Held, l.Remaining = false, 0
	return l
}

// waitExpired polls until room's lease is no longer held.
func waitExpired(t *testing.T, s store.Leases, room string) {
	t.Helper()
	waitFor(t, fmt.Sprintf("the lease of %q to expire", room), func() bool { return !mustLeaseOf(t, s, room).Held })
}

// waitFor polls cond until it holds, for at most 10 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("still waiting for %s after 10s", what)
		}
	}
}

func testAcquireFree(t *testing.T, a, b nodeStore) {
	mustCreate(t, a, store.Room{ID: "r", CreatedAt: created}, nil)
	checkLease(t, "LeaseOf a room nobody held", mustLeaseOf(t, b, "r"), store.Lease{Room: "r"}, 0)
	got := a.acquire(t, "r", longTTL)
	checkLease(t, "AcquireLease", got, a.lease("r", 1), longTTL)
	checkLease(t, "LeaseOf after AcquireLease", mustLeaseOf(t, b, "r"), a.lease("r", 1), longTTL)
}

// A node asking for a lease another holds gets the holder's lease, unchanged.
func testAcquireHeld(t *testing.T, a, b nodeStore) {
	mustCreate(t, a, store.Room{ID: "r", CreatedAt: created}, nil)
	a.acquire(t, "r", longTTL)
	got, err := b.AcquireLease(t.Context(), "r", b.node, b.addr, longTTL)
	if err != nil {
		t.Fatalf("AcquireLease of a held lease: %v", err)
	}
	checkLease(t, "AcquireLease of a lease another node holds", got, a.lease("r", 1), longTTL)
	checkLease(t, "LeaseOf", mustLeaseOf(t, b, "r"), a.lease("r", 1), longTTL)
}

// A node may take a lease it holds again, from any handle: the epoch grows each time, and the
// addr is the newest.
func testAcquireAgain(t *testing.T, a, b nodeStore) {
	mustCreate(t, a, store.Room{ID: "r", CreatedAt: created}, nil)
	a.acquire(t, "r", longTTL)
	checkLease(t, "AcquireLease again", a.acquire(t, "r", longTTL), a.lease("r", 2), longTTL)
	moved := b
	moved.node, moved.addr = a.node, "https://moved.example"
	checkLease(t, "AcquireLease again at a new addr", moved.acquire(t, "r", shortTTL), moved.lease("r", 3), shortTTL)
}

func testAcquireExpired(t *testing.T, a, b nodeStore) {
	mustCreate(t, a, store.Room{ID: "r", CreatedAt: created}, nil)
	a.acquire(t, "r", shortTTL)
	waitExpired(t, b, "r")
	checkLease(t, "LeaseOf an expired lease", mustLeaseOf(t, b, "r"), expired(a.lease("r", 1)), 0)
	checkLease(t, "AcquireLease of an expired lease", b.acquire(t, "r", longTTL), b.lease("r", 2), longTTL)
}

// A released lease is free at once, keeps its epoch, and the next holder's epoch follows it.
func testRelease(t *testing.T, a, b nodeStore) {
	mustCreate(t, a, store.Room{ID: "r", CreatedAt: created}, nil)
	a.acquire(t, "r", longTTL)
	a.release(t, "r", 1)
	checkLease(t, "LeaseOf a released lease", mustLeaseOf(t, b, "r"), expired(a.lease("r", 1)), 0)
	checkLease(t, "AcquireLease of a released lease", b.acquire(t, "r", longTTL), b.lease("r", 2), longTTL)
	b.release(t, "r", 2)
	checkLease(t, "AcquireLease after a second release", a.acquire(t, "r", longTTL), a.lease("r", 3), longTTL)
}

// ReleaseLease of a lease the node does not hold at that epoch changes nothing.
func testReleaseNotHeld(t *testing.T, a, b nodeStore) {
	mustCreate(t, a, store.Room{ID: "r", CreatedAt: created}, nil)
	a.acquire(t, "r", longTTL)
	a.acquire(t, "r", longTTL)
	a.release(t, "r", 1) // an old epoch
	b.release(t, "r", 2) // another node
	checkLease(t, "LeaseOf after releases that do not hold it", mustLeaseOf(t, b, "r"), a.lease("r", 2), longTTL)
	a.release(t, "r", 2)
	b.acquire(t, "r", longTTL)
	a.release(t, "r", 2) // released before, and held by another since
	checkLease(t, "LeaseOf after a release of a lost lease", mustLeaseOf(t, b, "r"), b.lease("r", 3), longTTL)
}

// RenewLeases renews only the leases the node holds at the epoch given.
func testRenew(t *testing.T, a, b nodeStore) {
	for _, id := range []string{"mine", "old-epoch", "theirs", "never-held", "released"} {
		mustCreate(t, a, store.Room{ID: id, CreatedAt: created}, nil)
	}
	a.acquire(t, "mine", time.Minute)
	a.acquire(t, "old-epoch", longTTL)
	a.acquire(t, "old-epoch", longTTL)
	b.acquire(t, "theirs", longTTL)
	a.acquire(t, "released", longTTL)
	a.release(t, "released", 1)
	got := a.renew(t, map[string]uint64{
		"mine": 1, "old-epoch": 1, "theirs": 1, "never-held": 1, "released": 1, "unknown": 1, "": 1, "nul\x00": 1,
	}, longTTL)
	if diff := cmp.Diff([]string{"mine"}, got); diff != "" {
		t.Errorf("RenewLeases mismatch (-want +got):\n%s", diff)
	}
	checkLease(t, "LeaseOf a renewed lease", mustLeaseOf(t, b, "mine"), a.lease("mine", 1), longTTL)
	if l := mustLeaseOf(t, b, "mine"); l.Remaining <= time.Minute {
		t.Errorf("renewed lease's Remaining = %v, want more than its first ttl %v", l.Remaining, time.Minute)
	}
	checkLease(t, "LeaseOf a lease renewed at an old epoch", mustLeaseOf(t, b, "old-epoch"), a.lease("old-epoch", 2), longTTL)
	if got := a.renew(t, nil, longTTL); len(got) != 0 {
		t.Errorf("RenewLeases of no rooms = %v, want none", got)
	}
}

// An expired lease cannot be renewed, even though nobody took it: it must be acquired again,
// at a new epoch.
func testRenewExpired(t *testing.T, a, b nodeStore) {
	mustCreate(t, a, store.Room{ID: "r", CreatedAt: created}, nil)
	a.acquire(t, "r", shortTTL)
	waitExpired(t, b, "r")
	if got := a.renew(t, map[string]uint64{"r": 1}, longTTL); len(got) != 0 {
		t.Errorf("RenewLeases of an expired lease = %v, want none", got)
	}
	checkLease(t, "LeaseOf after renewing an expired lease", mustLeaseOf(t, b, "r"), expired(a.lease("r", 1)), 0)
	checkLease(t, "AcquireLease after", a.acquire(t, "r", longTTL), a.lease("r", 2), longTTL)
}

func testLeaseUnknownRoom(t *testing.T, a, b nodeStore) {
	mustCreate(t, a, store.Room{ID: "r", CreatedAt: created}, nil)
	for _, id := range []string{"unknown", "", "nul\x00", "\xff"} {
		if l, err := a.AcquireLease(t.Context(), id, a.node, a.addr, longTTL); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("AcquireLease(%q) = %+v, %v; want ErrNotFound", id, l, err)
		}
		if l, err := a.LeaseOf(t.Context(), id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("LeaseOf(%q) = %+v, %v; want ErrNotFound", id, l, err)
		}
		if err := a.ReleaseLease(t.Context(), id, a.node, 1); err != nil {
			t.Errorf("ReleaseLease(%q): %v, want nil", id, err)
		}
	}
	checkLease(t, "LeaseOf a known room", mustLeaseOf(t, b, "r"), store.Lease{Room: "r"}, 0)
}

func testLeaseInvalidTTL(t *testing.T, a, b nodeStore) {
	mustCreate(t, a, store.Room{ID: "r", CreatedAt: created}, nil)
	for _, ttl := range []time.Duration{0, -time.Second, time.Nanosecond} {
		if l, err := a.AcquireLease(t.Context(), "r", a.node, a.addr, ttl); err == nil {
			t.Errorf("AcquireLease with ttl %v = %+v, want an error", ttl, l)
		}
	}
	checkLease(t, "LeaseOf after refused acquires", mustLeaseOf(t, b, "r"), store.Lease{Room: "r"}, 0)
	b.acquire(t, "r", longTTL)
	if got, err := b.RenewLeases(t.Context(), b.node, map[string]uint64{"r": 1}, 0); err == nil {
		t.Errorf("RenewLeases with ttl 0 = %v, want an error", got)
	}
	checkLease(t, "LeaseOf after a refused renewal", mustLeaseOf(t, a, "r"), b.lease("r", 1), longTTL)
}

// DeleteRoom deletes the room's lease with it, and a held lease does not stop it.
func testLeaseDeleteRoom(t *testing.T, a, b nodeStore) {
	mustCreate(t, a, store.Room{ID: "r", CreatedAt: created}, nil)
	a.acquire(t, "r", longTTL)
	a.acquire(t, "r", longTTL)
	if err := b.DeleteRoom(t.Context(), "r"); err != nil {
		t.Fatalf("DeleteRoom of a leased room: %v", err)
	}
	if l, err := a.LeaseOf(t.Context(), "r"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("LeaseOf a deleted room = %+v, %v; want ErrNotFound", l, err)
	}
	if got := a.renew(t, map[string]uint64{"r": 2}, longTTL); len(got) != 0 {
		t.Errorf("RenewLeases of a deleted room = %v, want none", got)
	}
	mustCreate(t, a, store.Room{ID: "r", CreatedAt: created}, nil)
	checkLease(t, "LeaseOf a room created again", mustLeaseOf(t, b, "r"), store.Lease{Room: "r"}, 0)
	checkLease(t, "AcquireLease of a room created again", b.acquire(t, "r", longTTL), b.lease("r", 1), longTTL)
}

// appendFenced appends updates to room in a batch of its own fenced with epoch.
func appendFenced(t *testing.T, s store.Store, room string, epoch uint64, updates ...string) store.BatchResult {
	t.Helper()
	res := s.AppendBatches(t.Context(), []store.Batch{{Room: room, Entries: entries(0, updates...), Epoch: epoch}})
	if len(res) != 1 {
		t.Fatalf("AppendBatches of one batch returned %d results", len(res))
	}
	return res[0]
}

// checkResults checks AppendBatches' results: a want with an Err matches an error wrapping it,
// one without matches no error.
func checkResults(t *testing.T, what string, got, want []store.BatchResult) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d results, want %d", what, len(got), len(want))
	}
	for i := range want {
		if got[i].LastSeq != want[i].LastSeq || !errors.Is(got[i].Err, want[i].Err) {
			t.Errorf("%s: batch %d = %d, %v; want %d, %v", what, i, got[i].LastSeq, got[i].Err, want[i].LastSeq, want[i].Err)
		}
	}
}

// A fenced batch is appended while the lease has its epoch, and refused whole once another
// node took the lease; an unfenced one is appended whoever holds it.
func testFencedAppend(t *testing.T, a, b nodeStore) {
	mustCreate(t, a, store.Room{ID: "r", CreatedAt: created}, []byte("init"))
	mustCreate(t, a, store.Room{ID: "never-held", CreatedAt: created}, nil)
	a.acquire(t, "r", longTTL)
	checkResults(t, "fenced at the epoch in force", []store.BatchResult{
		appendFenced(t, a, "r", 1, "a1", "a2"),
		appendFenced(t, a, "r", 1),
	}, []store.BatchResult{{LastSeq: 2}, {LastSeq: 2}})
	a.release(t, "r", 1)
	b.acquire(t, "r", longTTL)
	checkResults(t, "fenced at an old epoch", []store.BatchResult{
		appendFenced(t, a, "r", 1, "lost"),
		appendFenced(t, a, "r", 1),
		appendFenced(t, a, "r", 3, "future"),
		appendFenced(t, a, "never-held", 1, "lost"),
		appendFenced(t, a, "unknown", 2, "lost"),
	}, []store.BatchResult{{Err: store.ErrLeaseLost}, {Err: store.ErrLeaseLost}, {Err: store.ErrLeaseLost}, {Err: store.ErrLeaseLost}, {Err: store.ErrNotFound}})
	checkLoad(t, b, "r", store.Snapshot{State: []byte("init")}, entries(1, "a1", "a2"))
	checkResults(t, "fenced at the new epoch, and unfenced", []store.BatchResult{
		appendFenced(t, b, "r", 2, "b1"),
		appendFenced(t, a, "r", 0, "unfenced"),
	}, []store.BatchResult{{LastSeq: 3}, {LastSeq: 4}})
	checkLoad(t, b, "r", store.Snapshot{State: []byte("init")}, entries(1, "a1", "a2", "b1", "unfenced"))
	checkLoad(t, b, "never-held", store.Snapshot{}, nil)
}

// A fenced batch is refused once the lease expired, even if nobody took it since.
func testFencedAppendExpired(t *testing.T, a, b nodeStore) {
	mustCreate(t, a, store.Room{ID: "r", CreatedAt: created}, nil)
	a.acquire(t, "r", shortTTL)
	waitExpired(t, b, "r")
	if res := appendFenced(t, a, "r", 1, "late"); !errors.Is(res.Err, store.ErrLeaseLost) {
		t.Errorf("fenced append after the lease expired = %d, %v; want ErrLeaseLost", res.LastSeq, res.Err)
	}
	checkLoad(t, b, "r", store.Snapshot{}, nil)
	if got := mustAppend(t, b, "r", []byte("x")); got != 1 {
		t.Errorf("Append after a refused fenced batch = seq %d, want 1: the refused batch took seqs", got)
	}
}

// In a group commit, a batch whose lease moved on fails alone.
func testFencedGroupCommit(t *testing.T, a, b nodeStore) {
	for _, id := range []string{"lost", "held", "free"} {
		mustCreate(t, a, store.Room{ID: id, CreatedAt: created}, nil)
	}
	a.acquire(t, "lost", longTTL)
	a.acquire(t, "held", longTTL)
	a.release(t, "lost", 1)
	b.acquire(t, "lost", longTTL)
	got := a.AppendBatches(t.Context(), []store.Batch{
		{Room: "held", Entries: entries(0, "h1"), Epoch: 1},
		{Room: "lost", Entries: entries(0, "l1"), Epoch: 1},
		{Room: "free", Entries: entries(0, "f1")},
		{Room: "unknown", Entries: entries(0, "u1"), Epoch: 1},
		{Room: "held", Entries: entries(0, "h2", "h3"), Epoch: 1},
		{Room: "lost", Entries: entries(0, "l2"), Epoch: 2},
	})
	checkResults(t, "group commit", got, []store.BatchResult{
		{LastSeq: 1}, {Err: store.ErrLeaseLost}, {LastSeq: 1}, {Err: store.ErrNotFound}, {LastSeq: 3}, {LastSeq: 1},
	})
	checkLoad(t, b, "held", store.Snapshot{}, entries(1, "h1", "h2", "h3"))
	checkLoad(t, b, "lost", store.Snapshot{}, entries(1, "l2"))
	checkLoad(t, b, "free", store.Snapshot{}, entries(1, "f1"))
}

// A fenced Compact stores its snapshot while the lease has its epoch, and nothing once it
// moved on.
func testFencedCompact(t *testing.T, a, b nodeStore) {
	mustCreate(t, a, store.Room{ID: "r", CreatedAt: created}, []byte("init"))
	mustAppend(t, a, "r", []byte("a"), []byte("b"), []byte("c"))
	if err := a.Compact(t.Context(), "r", store.Snapshot{Seq: 1, State: []byte("A"), Epoch: 1}); !errors.Is(err, store.ErrLeaseLost) {
		t.Errorf("fenced Compact of a room nobody held: %v, want ErrLeaseLost", err)
	}
	a.acquire(t, "r", longTTL)
	mustCompact(t, a, "r", store.Snapshot{Seq: 1, State: []byte("A"), Epoch: 1})
	checkLoad(t, b, "r", store.Snapshot{Seq: 1, State: []byte("A")}, entries(2, "b", "c"))
	a.release(t, "r", 1)
	b.acquire(t, "r", longTTL)
	if err := a.Compact(t.Context(), "r", store.Snapshot{Seq: 2, State: []byte("AB"), Checkpoint: true, Epoch: 1}); !errors.Is(err, store.ErrLeaseLost) {
		t.Errorf("fenced Compact at an old epoch: %v, want ErrLeaseLost", err)
	}
	checkLoad(t, b, "r", store.Snapshot{Seq: 1, State: []byte("A")}, entries(2, "b", "c"))
	checkHistoryStart(t, b, "r", store.Snapshot{State: []byte("init"), Checkpoint: true}, entries(1, "a", "b", "c"))
	if err := a.Compact(t.Context(), "unknown", store.Snapshot{Epoch: 1}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("fenced Compact of an unknown room: %v, want ErrNotFound", err)
	}
	mustCompact(t, b, "r", store.Snapshot{Seq: 3, State: []byte("ABC"), Epoch: 2})
	checkLoad(t, a, "r", store.Snapshot{Seq: 3, State: []byte("ABC")}, nil)
}

// The same node takes the lease again from another handle (a restart) while its old handle
// appends at the old epoch: see raceAcquire.
func testFencedRaceSameNode(t *testing.T, a, b nodeStore) {
	b.node, b.addr = a.node, a.addr
	raceAcquire(t, a, b, longTTL)
}

// Another node takes the lease once it expires, while the old owner appends at its epoch.
func testFencedRaceOtherNode(t *testing.T, a, b nodeStore) {
	raceAcquire(t, a, b, shortTTL)
}

// raceAcquire has old take a room's lease for ttl, then appends at its epoch from several
// goroutines while taker polls AcquireLease until it gets the lease: every append that
// succeeded must be in a Load made after AcquireLease returned, and none that started after
// it returned may succeed.
func raceAcquire(t *testing.T, old, taker nodeStore, ttl time.Duration) {
	const writers = 4
	mustCreate(t, old, store.Room{ID: "r", CreatedAt: created}, nil)
	epoch := old.acquire(t, "r", ttl).Epoch
	var taken atomic.Bool
	var mu sync.Mutex
	var appended []string // updates of the appends that succeeded
	var wg sync.WaitGroup
	t.Cleanup(wg.Wait) // if the test fails early: t.Context() ends first, and with it the writers
	for w := range writers {
		wg.Go(func() {
			ctx := t.Context()
			for i, late := 0, 0; late < 20 && ctx.Err() == nil; i++ {
				after := taken.Load()
				u := fmt.Sprintf("w%d-%d", w, i)
				res := old.AppendBatches(ctx, []store.Batch{{Room: "r", Entries: entries(0, u), Epoch: epoch}})[0]
				switch {
				case res.Err == nil && after:
					t.Errorf("append %s at epoch %d started after a new epoch was acquired, and succeeded", u, epoch)
				case res.Err == nil:
					mu.Lock()
					appended = append(appended, u)
					mu.Unlock()
				case !errors.Is(res.Err, store.ErrLeaseLost) && ctx.Err() == nil:
					t.Errorf("append %s: %v, want nil or ErrLeaseLost", u, res.Err)
				}
				if after {
					late++
				}
			}
		})
	}
	waitFor(t, "a fenced append to succeed", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(appended) > 0
	})
	waitFor(t, taker.node+" to take the lease", func() bool {
		l, err := taker.AcquireLease(t.Context(), "r", taker.node, taker.addr, longTTL)
		if err != nil {
			t.Fatalf("AcquireLease: %v", err)
		}
		return l.Node == taker.node && l.Epoch > epoch
	})
	taken.Store(true)
	_, log := mustLoad(t, taker, "r")
	wg.Wait()
	loaded := updateStrings(log)
	slices.Sort(loaded)
	slices.Sort(appended)
	if diff := cmp.Diff(appended, loaded, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("log after the new epoch mismatch (-appended +loaded):\n%s", diff)
	}
	t.Logf("%d appends at epoch %d succeeded before epoch %d was taken", len(appended), epoch, epoch+1)
}

// DeleteRoom while fenced batches and Compact calls are on their way to the room: each of
// them commits or fails with ErrNotFound or ErrLeaseLost, and DeleteRoom succeeds. (A store
// that locked the room's lease and its row in another order for each would deadlock.) Each
// writer stops after 50 calls: in Postgres, writers that hold the lease row FOR SHARE in turn
// can keep DeleteRoom waiting for as long as they go on.
func testFencedRaceDeleteRoom(t *testing.T, a, b nodeStore) {
	const rounds, writers = 5, 4
	for round := range rounds {
		mustCreate(t, a, store.Room{ID: "r", CreatedAt: created}, nil)
		epoch := a.acquire(t, "r", longTTL).Epoch
		var wg sync.WaitGroup
		var ok atomic.Int64
		for w := range writers {
			wg.Go(func() {
				for i := range 50 {
					var err error
					if w == 0 && i%4 == 3 {
						err = a.Compact(t.Context(), "r", store.Snapshot{Epoch: epoch})
					} else {
						err = appendFenced(t, a, "r", epoch, fmt.Sprint(w, "-", i)).Err
					}
					switch {
					case err == nil:
						ok.Add(1)
					case errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrLeaseLost):
						return
					default:
						t.Errorf("round %d: writer %d, call %d: %v", round, w, i, err)
						return
					}
				}
			})
		}
		waitFor(t, "a fenced write to succeed", func() bool { return ok.Load() > 0 })
		if err := b.DeleteRoom(t.Context(), "r"); err != nil {
			t.Errorf("round %d: DeleteRoom: %v", round, err)
		}
		wg.Wait()
	}
}

// watcher is a WatchReleases running until its test ends.
type watcher struct {
	released chan string // the rooms it reported, those that fit
	cancel   context.CancelFunc
	wait     func() error // waits for WatchReleases to return, and returns its error
}

// watch runs WatchReleases on s until t ends.
func watch(t *testing.T, s store.Leases) *watcher {
	ctx, cancel := context.WithCancel(t.Context())
	w := &watcher{released: make(chan string, 100), cancel: cancel}
	done := make(chan error, 1)
	go func() {
		done <- s.WatchReleases(ctx, func(room string) {
			select {
			case w.released <- room:
			default: // the tests read what they wait for; the rest may be dropped
			}
		})
	}()
	w.wait = sync.OnceValue(func() error { return <-done })
	t.Cleanup(func() { cancel(); w.wait() })
	return w
}

// next returns the next room w reports.
func (w *watcher) next(t *testing.T) string {
	t.Helper()
	select {
	case room := <-w.released:
		return room
	case <-time.After(10 * time.Second):
		t.Fatal("WatchReleases reported nothing for 10s")
		return ""
	}
}

// seen reads what w reports for up to d, and says whether room was among it.
func (w *watcher) seen(room string, d time.Duration) bool {
	timeout := time.After(d)
	for {
		select {
		case got := <-w.released:
			if got == room {
				return true
			}
		case <-timeout:
			return false
		}
	}
}

// waitReleased releases room's lease, taken by n, again and again until w reports it:
// WatchReleases has no way to say when it started listening.
func (w *watcher) waitReleased(t *testing.T, n nodeStore, room string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; {
		l := n.acquire(t, room, longTTL)
		n.release(t, room, l.Epoch)
		if w.seen(room, 50*time.Millisecond) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("WatchReleases did not report the release of %q after 10s", room)
		}
	}
}

// A release by one node is reported to another's WatchReleases, once; a call that releases
// nothing is not; WatchReleases returns ctx's error when ctx ends.
func testWatchReleases(t *testing.T, a, b nodeStore) {
	const u = "ünï/cødé ✓"
	for _, id := range []string{"r", u, "marker"} {
		mustCreate(t, a, store.Room{ID: id, CreatedAt: created}, nil)
	}
	w := watch(t, a)
	w.waitReleased(t, b, "r")
	l := b.acquire(t, u, longTTL)
	b.release(t, u, l.Epoch+1) // not held at that epoch: no release
	b.release(t, u, l.Epoch)
	b.release(t, u, l.Epoch) // released already
	l = b.acquire(t, "marker", longTTL)
	b.release(t, "marker", l.Epoch)
	var got []string
	for room := ""; room != "marker"; {
		if room = w.next(t); room != "r" { // the loop above may have released r again
			got = append(got, room)
		}
	}
	if diff := cmp.Diff([]string{u, "marker"}, got); diff != "" {
		t.Errorf("rooms reported mismatch (-want +got):\n%s", diff)
	}
	w.cancel()
	if err := w.wait(); !errors.Is(err, context.Canceled) {
		t.Errorf("WatchReleases after its ctx was cancelled: %v, want context.Canceled", err)
	}
}

// A room whose id is too long to be announced by some stores is released all the same.
func testWatchReleasesLongID(t *testing.T, a, b nodeStore) {
	long := strings.Repeat("r", 10000)
	mustCreate(t, a, store.Room{ID: long, CreatedAt: created, Access: store.Access{EditID: "long"}}, nil)
	mustCreate(t, a, store.Room{ID: "short", CreatedAt: created}, nil)
	w := watch(t, a)
	w.waitReleased(t, b, "short")
	l := b.acquire(t, long, longTTL)
	b.release(t, long, l.Epoch)
	checkLease(t, "LeaseOf a released room with a long id", mustLeaseOf(t, a, long), expired(b.lease(long, l.Epoch)), 0)
	a.acquire(t, long, longTTL)
	w.waitReleased(t, b, "short") // the watch goes on
}

func testLeaseCancelledContext(t *testing.T, a, b nodeStore) {
	mustCreate(t, a, store.Room{ID: "r", CreatedAt: created}, nil)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	ops := []struct {
		name string
		call func() error
	}{
		{"AcquireLease", func() error { _, err := a.AcquireLease(ctx, "r", a.node, a.addr, longTTL); return err }},
		{"RenewLeases", func() error { _, err := a.RenewLeases(ctx, a.node, map[string]uint64{"r": 1}, longTTL); return err }},
		{"ReleaseLease", func() error { return a.ReleaseLease(ctx, "r", a.node, 1) }},
		{"LeaseOf", func() error { _, err := a.LeaseOf(ctx, "r"); return err }},
		{"WatchReleases", func() error { return a.WatchReleases(ctx, func(string) { t.Error("released called") }) }},
	}
	for _, op := range ops {
		if err := op.call(); !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a cancelled ctx: err = %v, want context.Canceled", op.name, err)
		}
	}
	checkLease(t, "LeaseOf after cancelled calls", mustLeaseOf(t, b, "r"), store.Lease{Room: "r"}, 0)
}

// After Close every method returns an error, and a WatchReleases in progress ends with one.
func testLeaseClose(t *testing.T, a, b nodeStore) {
	mustCreate(t, a, store.Room{ID: "r", CreatedAt: created}, nil)
	w := watch(t, a)
	w.waitReleased(t, b, "r")
	closeStore(t, a)
	done := make(chan error, 1)
	go func() { done <- w.wait() }()
	select {
	case err := <-done:
		if err == nil {
			t.Error("WatchReleases after Close: err = nil, want an error")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("WatchReleases still running 10s after Close")
	}
	ops := []struct {
		name string
		call func(ctx context.Context) error
	}{
		{"AcquireLease", func(ctx context.Context) error {
			_, err := a.AcquireLease(ctx, "r", a.node, a.addr, longTTL)
			return err
		}},
		{"RenewLeases", func(ctx context.Context) error {
			_, err := a.RenewLeases(ctx, a.node, map[string]uint64{"r": 1}, longTTL)
			return err
		}},
		{"ReleaseLease", func(ctx context.Context) error { return a.ReleaseLease(ctx, "r", a.node, 1) }},
		{"LeaseOf", func(ctx context.Context) error { _, err := a.LeaseOf(ctx, "r"); return err }},
		{"WatchReleases", func(ctx context.Context) error { return a.WatchReleases(ctx, func(string) {}) }},
	}
	for _, op := range ops {
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		if err := op.call(ctx); err == nil || errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s after Close: err = %v, want an error before ctx's deadline", op.name, err)
		}
		cancel()
	}
}
