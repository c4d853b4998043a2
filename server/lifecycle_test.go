package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/pairpad/pairpad/crdt"
	"github.com/pairpad/pairpad/crdt/protocol"
	"github.com/pairpad/pairpad/server/internal/httpapi"
	"github.com/pairpad/pairpad/server/internal/room"
	"github.com/pairpad/pairpad/store"
	"github.com/pairpad/pairpad/store/embedded"
)

// randomEdits returns the update of a new document of client in which n random inserts of
// size bytes each built its "code" text, so that the document has about n items.
func randomEdits(t *testing.T, rng *rand.Rand, client uint64, n, size int) []byte {
	t.Helper()
	doc, err := crdt.NewDoc(crdt.Options{ClientID: client})
	if err != nil {
		t.Fatal(err)
	}
	text, err := doc.GetText(room.CodeRoot)
	if err != nil {
		t.Fatal(err)
	}
	chunk := strings.Repeat("x", size-1) + "\n"
	for range n {
		if _, err := doc.Transact(func(tx *crdt.Transaction) error { return text.Insert(tx, rng.IntN(text.Len()+1), chunk) }); err != nil {
			t.Fatal(err)
		}
	}
	update, err := doc.EncodeStateAsUpdate(nil)
	if err != nil {
		t.Fatal(err)
	}
	return update
}

// covers reports whether the document whose state is state contains everything update holds:
// applying update to it changes nothing (no struct and no deletion is new).
func covers(state, update []byte) (bool, error) {
	doc, err := crdt.NewDoc(crdt.Options{ClientID: 1})
	if err != nil {
		return false, err
	}
	if err := doc.ApplyUpdate(state); err != nil {
		return false, err
	}
	before, err := doc.EncodeStateAsUpdate(nil)
	if err != nil {
		return false, err
	}
	if err := doc.ApplyUpdate(update); err != nil {
		return false, err
	}
	after, err := doc.EncodeStateAsUpdate(nil)
	if err != nil {
		return false, err
	}
	return bytes.Equal(before, after), nil
}

// storedDoc rebuilds a room's document from the store, with the number of log entries after
// the snapshot.
func storedDoc(t *testing.T, st store.Store, id string) (doc *crdt.Doc, entries int) {
	t.Helper()
	snap, log, err := st.Load(t.Context(), id)
	if err != nil {
		t.Fatalf("load room %s: %v", id, err)
	}
	doc, err = crdt.NewDoc(crdt.Options{ClientID: 1})
	if err != nil {
		t.Fatal(err)
	}
	updates := [][]byte{snap.State}
	for _, e := range stored(snap, log).Log {
		updates = append(updates, e.Update)
	}
	for _, u := range updates {
		if err := doc.ApplyUpdate(u); err != nil {
			t.Fatalf("room %s does not load: %v", id, err)
		}
	}
	return doc, len(log)
}

// storedState returns a room's document in the store as one update, with the number of log
// entries after the snapshot.
func storedState(t *testing.T, st store.Store, id string) (state []byte, entries int) {
	t.Helper()
	doc, entries := storedDoc(t, st, id)
	state, err := doc.EncodeStateAsUpdate(nil)
	if err != nil {
		t.Fatal(err)
	}
	return state, entries
}

func heapAlloc() uint64 {
	runtime.GC()
	runtime.GC() // the first cycle may leave finalizers' objects for the second
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// TestRoomUnloadsAndFreesMemory loads many rooms with sizable documents, disconnects their
// clients and checks that every room is unloaded and that the heap returns near its baseline:
// a room nobody uses holds no memory.
func TestRoomUnloadsAndFreesMemory(t *testing.T) {
	// Not parallel: it measures the process's heap. Go runs it before every parallel test.
	const (
		numRooms = 24
		edits    = 2000 // items per document
		editSize = 32   // bytes per item: 64 KiB of text per room
	)
	ts := newTestServer(t, Options{RoomCreationRate: RateLimit{Rate: -1}}) // 25 rooms at once
	rng := rand.New(rand.NewPCG(1, 2))
	// editRoom sends a client's edits to the room, and returns once they are committed: the
	// answer to a sync step 1 sent after them waits for that.
	editRoom := func(id string, client uint64, n int) *yclient {
		c := dialYjsPaused(t, ts, id, client)
		c.start()
		update := randomEdits(t, rng, client, n, editSize)
		c.send(protocol.EncodeSyncUpdate(update))
		// With the edits' state vector, the answer holds only the starter text: the client
		// keeps no copy of the room.
		sv, err := crdt.EncodeStateVectorFromUpdate(update)
		if err != nil {
			t.Fatal(err)
		}
		c.send(protocol.EncodeSyncStep1(sv))
		await(t, ts.sig, "the edits to be committed", func() bool { return c.count(protocol.MessageSync, protocol.SyncStep2) > 0 })
		return c
	}

	// Warm up (allocations that happen once per process, e.g. pools), then measure the baseline.
	warm := editRoom(ts.createRoom(t, ""), 99, 10)
	warm.conn.Close(websocket.StatusNormalClosure, "")
	ts.awaitIdle(t)
	ids := make([]string, numRooms)
	for i := range ids {
		ids[i] = ts.createRoom(t, "")
	}
	base := heapAlloc()

	conns := make([]*yclient, numRooms)
	for i, id := range ids {
		conns[i] = editRoom(id, uint64(1000+i), edits)
	}
	if n := ts.srv.rooms.count(); n != numRooms {
		t.Fatalf("%d rooms live, want %d", n, numRooms)
	}
	loaded := heapAlloc()
	if loaded < base+numRooms*edits*editSize {
		// Each room holds at least its text: the test would measure nothing.
		t.Fatalf("heap grew from %d to %d bytes only while %d rooms were loaded", base, loaded, numRooms)
	}

	for _, c := range conns {
		c.conn.Close(websocket.StatusNormalClosure, "")
	}
	ts.awaitIdle(t)
	ts.awaitSockets(t)
	// A room is unloaded after it wrote its document out: the log is compacted.
	for _, id := range ids {
		if _, entries := storedState(t, ts.store, id); entries != 0 {
			t.Errorf("room %s: %d log entries after unloading, want a snapshot only", id, entries)
		}
	}
	// Generous tolerance: a quarter of what the rooms took, which a leaked document of even a
	// few rooms would exceed.
	grown := loaded - base
	after := heapAlloc()
	t.Logf("heap: baseline %d KiB, %d rooms loaded %d KiB, unloaded %d KiB", base>>10, numRooms, loaded>>10, after>>10)
	if after >= base+grown/4 {
		t.Errorf("heap is %d KiB after unloading, baseline %d KiB: %d of the %d KiB the rooms took are still held",
			after>>10, base>>10, (after-base)>>10, grown>>10)
	}
}

// TestRoomLoadFailure corrupts a room's snapshot: the room must be an error to its clients
// (close 1011, 503), never an empty document, and must not overwrite what is stored.
func TestRoomLoadFailure(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Options{})
	id := ts.createRoom(t, "")
	garbage := []byte("not a Yjs update \xff\xff\xff\xff")
	if err := ts.store.Compact(t.Context(), id, store.Snapshot{Seq: 0, State: garbage}); err != nil {
		t.Fatal(err)
	}

	c := dialYjs(t, ts, id, 7)
	if got := c.closeCode(t); got != websocket.StatusInternalError {
		t.Errorf("connection closed with %v (%v), want %v", got, c.err, websocket.StatusInternalError)
	}

	status, got := ts.do(t, "GET", "/rooms/"+id, "")
	if status != http.StatusServiceUnavailable || got["error"] != httpapi.CodeUnavailable || got["detail"] == "" || got["detail"] == nil {
		t.Errorf("GET /rooms/%s = %d %v, want 503 with error %q and a detail", id, status, got, httpapi.CodeUnavailable)
	}
	if _, ok := got["code"]; ok {
		t.Errorf("GET /rooms/%s answered a document: %v", id, got)
	}
	status, got = ts.do(t, "PATCH", "/rooms/"+id, `{"language":"go"}`)
	if status != http.StatusServiceUnavailable || got["error"] != httpapi.CodeUnavailable {
		t.Errorf("PATCH /rooms/%s = %d %v, want 503", id, status, got)
	}

	ts.awaitIdle(t)
	snap, entries, err := ts.store.Load(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(snap.State, garbage) || len(entries) != 0 {
		t.Errorf("stored room changed after the failed load: snapshot %q, %d entries", snap.State, len(entries))
	}

	// The failure is not remembered: once the data is repaired, the room loads.
	repaired, err := room.Initial("repaired\n", "python")
	if err != nil {
		t.Fatal(err)
	}
	if err := ts.store.Compact(t.Context(), id, store.Snapshot{Seq: 0, State: repaired}); err != nil {
		t.Fatal(err)
	}
	if status, got := ts.do(t, "GET", "/rooms/"+id, ""); status != http.StatusOK || got["code"] != "repaired\n" {
		t.Errorf("GET /rooms/%s after repair = %d %v", id, status, got)
	}
}

// TestGracefulShutdown checks that Shutdown closes connections as going away (1001) and leaves
// in the store everything any client was sent, compacted into a snapshot, and nothing a client
// did not send.
func TestGracefulShutdown(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ts := newTestServerIn(t, dir, Options{})
	id := ts.createRoom(t, "")
	a := dialYjs(t, ts, id, 201)
	b := dialYjs(t, ts, id, 202)
	await(t, ts.sig, "both clients to sync", func() bool { return a.String() != "" && a.String() == b.String() })

	rng := rand.New(rand.NewPCG(3, 4))
	edit := func(i int) {
		a.edit(func(tx *crdt.Transaction, x *crdt.Text) error {
			if err := x.Insert(tx, rng.IntN(x.Len()+1), fmt.Sprintf("<%d>", i)); err != nil || i%5 != 4 {
				return err
			}
			return x.Delete(tx, rng.IntN(x.Len()), 1)
		})
	}
	for i := range 50 {
		edit(i)
	}
	// B has what A sent: the room committed it.
	await(t, ts.sig, "b to get a's edits", func() bool { return a.String() == b.String() })
	// More edits in flight while the server shuts down.
	for i := range 50 {
		edit(50 + i)
	}
	ts.Server.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := ts.srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	for name, c := range map[string]*yclient{"a": a, "b": b} {
		if got := c.closeCode(t); got != websocket.StatusGoingAway {
			t.Errorf("%s: closed with %v (%v), want %v", name, got, c.err, websocket.StatusGoingAway)
		}
	}
	if n := ts.srv.rooms.count(); n != 0 {
		t.Errorf("%d rooms live after Shutdown", n)
	}

	// Reopen the store as a restarted process would.
	if err := ts.store.Close(); err != nil {
		t.Fatal(err)
	}
	st, err := embedded.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	stored, entries := storedState(t, st, id)
	if entries != 0 {
		t.Errorf("%d log entries after Shutdown, want them compacted into the snapshot", entries)
	}
	check := func(what string, outer, inner []byte) {
		t.Helper()
		ok, err := covers(outer, inner)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if !ok {
			t.Errorf("%s is not true", what)
		}
	}
	check("the store holds everything b was sent", stored, b.state(t))
	check("a holds everything the store holds", a.state(t), stored)
	doc, _ := crdt.NewDoc(crdt.Options{ClientID: 1})
	_ = doc.ApplyUpdate(stored)
	text, _ := doc.GetText(room.CodeRoot)
	inFlight := 0
	for i := range 50 {
		if strings.Contains(text.String(), fmt.Sprintf("<%d>", 50+i)) {
			inFlight++
		}
	}
	t.Logf("%d of the 50 edits in flight during Shutdown were stored", inFlight)
}

// TestSlowConsumerIsClosed connects a client that never reads: once its send queue is full it
// is closed with 1013, while the room goes on relaying to a client that keeps up, never waiting
// for the slow one.
func TestSlowConsumerIsClosed(t *testing.T) {
	t.Parallel()
	// The seed client that counts connections is sent the code only once: it must not be the
	// one that falls behind.
	ts := newTestServer(t, Options{Rooms: RoomOptions{SendQueue: 4, CompactBytes: 1 << 30, CompactEntries: 1 << 20, SeedInterval: time.Hour}})
	id := ts.createRoom(t, "")
	counter := dialSeed(t, ts, id)        // sees the number of connections
	slow := dialYjsPaused(t, ts, id, 300) // reads nothing until the end
	a := dialYjs(t, ts, id, 301)
	b := dialYjs(t, ts, id, 302)
	await(t, ts.sig, "four connections and a synced", func() bool { return counter.Count() == 4 && a.String() != "" })
	relayed := func() int { return b.count(protocol.MessageSync, protocol.SyncUpdate) }
	chunk := strings.Repeat("y", 128<<10)
	// A sends one update at a time and b reads each before the next, so b never falls behind;
	// the slow client's kernel buffers fill, then its queue, and the room lets it go.
	sent, slowest := 0, time.Duration(0)
	for counter.Count() == 4 {
		if sent*len(chunk) > 64<<20 {
			t.Fatalf("the slow client is still connected after %d MiB were relayed", sent*len(chunk)>>20)
		}
		start := time.Now()
		a.edit(func(tx *crdt.Transaction, x *crdt.Text) error { return x.Insert(tx, x.Len(), chunk) })
		sent++
		await(t, ts.sig, fmt.Sprintf("b to get update %d", sent), func() bool { return relayed() >= sent })
		slowest = max(slowest, time.Since(start))
	}
	t.Logf("slow client closed after %d updates of %d KiB; slowest relay to b took %v", sent, len(chunk)>>10, slowest)
	// A room that waited for the slow client would stall for the write timeout.
	if slowest > writeTimeout/2 {
		t.Errorf("an update took %v to reach b: the room waited for the slow client", slowest)
	}
	await(t, ts.sig, "the slow client to leave the room", func() bool { return counter.Count() == 3 })

	// The slow client reads at last: what was queued, then the close frame.
	slow.start()
	if got := slow.closeCode(t); got != websocket.StatusTryAgainLater {
		t.Errorf("slow client closed with %v (%v), want %v", got, slow.err, websocket.StatusTryAgainLater)
	}
	// The others are still served.
	a.edit(func(tx *crdt.Transaction, x *crdt.Text) error { return x.Insert(tx, 0, "after ") })
	await(t, ts.sig, "b to get the last update", func() bool { return relayed() == sent+1 })
	if a.closed() || b.closed() {
		t.Errorf("a or b was disconnected: %v, %v", a.err, b.err)
	}
}

// failingStore fails a group commit when the test hands it a gate: that commit announces itself
// on the gate, waits until the gate is closed, then fails every batch in it, so that the test
// controls what happens while the room is inside the failing commit.
type failingStore struct {
	store.Store
	gates chan chan struct{}
}

var errDiskFull = errors.New("test: disk full")

func (s *failingStore) AppendBatches(ctx context.Context, batches []store.Batch) []store.BatchResult {
	select {
	case g := <-s.gates:
		g <- struct{}{}
		<-g
		results := make([]store.BatchResult, len(batches))
		for i := range results {
			results[i].Err = errDiskFull
		}
		return results
	default:
		return s.Store.AppendBatches(ctx, batches)
	}
}

func newFailingServer(t *testing.T) (*testServer, *failingStore) {
	t.Helper()
	st, err := embedded.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	fs := &failingStore{Store: st, gates: make(chan chan struct{}, 1)}
	return serveStore(t, fs, Options{}), fs
}

// failNextAppend makes the next Append fail, and returns once the room is inside it; fail
// lets it return its error.
func (s *failingStore) failNextAppend(t *testing.T, trigger func()) (fail func()) {
	t.Helper()
	g := make(chan struct{})
	s.gates <- g
	trigger()
	select {
	case <-g:
	case <-time.After(10 * time.Second):
		t.Fatal("no Append came")
	}
	return func() { close(g) }
}

// TestCommitFailure checks that an update the store refuses is relayed to nobody, that the
// room's clients are closed with 1011 and the room unloaded, and that once the store works
// again the room reloads and takes the client's resent update.
func TestCommitFailure(t *testing.T) {
	t.Parallel()
	ts, fs := newFailingServer(t)
	id := ts.createRoom(t, "")
	a := dialYjs(t, ts, id, 501)
	b := dialYjs(t, ts, id, 502)
	await(t, ts.sig, "both clients to sync", func() bool { return a.String() != "" && a.String() == b.String() })
	starter := b.String()

	fail := fs.failNextAppend(t, func() {
		a.edit(func(tx *crdt.Transaction, x *crdt.Text) error { return x.Insert(tx, 0, "lost? ") })
	})
	fail()
	for name, c := range map[string]*yclient{"a": a, "b": b} {
		if got := c.closeCode(t); got != websocket.StatusInternalError {
			t.Errorf("%s: closed with %v (%v), want %v", name, got, c.err, websocket.StatusInternalError)
		}
	}
	if got := b.String(); got != starter {
		t.Errorf("b was sent an update the store refused: %q", got)
	}
	if status, got := ts.do(t, "GET", "/ready", ""); status != http.StatusServiceUnavailable {
		t.Errorf("GET /ready after a failed commit = %d %v, want 503", status, got)
	}
	ts.awaitIdle(t)

	// A reconnects and resends what the store refused (a y-websocket client's sync step 2); a
	// new client gets it.
	a2 := dialYjsPaused(t, ts, id, 503)
	a2.send(protocol.EncodeSyncStep2(a.state(t)))
	c := dialYjs(t, ts, id, 504)
	await(t, ts.sig, "the resent edit to reach c", func() bool { return c.String() == "lost? "+starter })
	if status, got := ts.do(t, "GET", "/ready", ""); status != http.StatusOK {
		t.Errorf("GET /ready once commits succeed again = %d %v, want 200", status, got)
	}
}

// TestCommitFailureClosesQueuedJoin connects a client while the room is inside a commit that
// fails. Its join is most likely queued in the room's inbox when the room exits, and never
// handled: the connection must then be closed. (If the client came after the room exited, it
// joins the room loaded anew and is greeted.) It must never be left open and greeted with
// nothing.
func TestCommitFailureClosesQueuedJoin(t *testing.T) {
	t.Parallel()
	ts, fs := newFailingServer(t)
	id := ts.createRoom(t, "")
	a := dialYjs(t, ts, id, 601)
	await(t, ts.sig, "a to sync", func() bool { return a.String() != "" })
	fail := fs.failNextAppend(t, func() { a.edit(func(tx *crdt.Transaction, x *crdt.Text) error { return x.Insert(tx, 0, "x") }) })
	c := dialYjs(t, ts, id, 602) // its join waits behind the failing commit
	fail()
	a.closeCode(t)
	greeted := func() bool { return c.count(protocol.MessageSync, protocol.SyncStep1) > 0 }
	await(t, ts.sig, "c to be closed or greeted", func() bool { return c.closed() || greeted() })
	t.Logf("c closed: %v; greeted by the room loaded anew: %v", c.closed(), greeted())
}
