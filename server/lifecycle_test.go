package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/pairpad/pairpad/crdt"
	"github.com/pairpad/pairpad/crdt/protocol"
	"github.com/pairpad/pairpad/store"
	"github.com/pairpad/pairpad/store/embedded"
)

// rawClient is a y-websocket connection that reads only when the test says so, and records
// every message it reads.
type rawClient struct {
	conn *websocket.Conn

	mu   sync.Mutex
	msgs []protocol.Message
	done chan struct{} // closed when the reader started by start has stopped
	err  error         // how the connection ended, once done is closed
}

// dialRaw opens a y-websocket connection to room id without reading from it.
func dialRaw(t *testing.T, ts *testServer, id string) *rawClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, wsURL(ts, "/yjs/"+id), nil)
	if err != nil {
		t.Fatal(err)
	}
	conn.SetReadLimit(64 << 20)
	c := &rawClient{conn: conn, done: make(chan struct{})}
	t.Cleanup(func() { conn.CloseNow() })
	return c
}

// start reads and records messages until the connection ends.
func (c *rawClient) start() {
	go func() {
		defer close(c.done)
		for {
			_, data, err := c.conn.Read(context.Background())
			if err != nil {
				c.mu.Lock()
				c.err = err
				c.mu.Unlock()
				return
			}
			msg, err := protocol.DecodeMessage(data)
			c.mu.Lock()
			if err != nil {
				c.err = err
				c.mu.Unlock()
				return
			}
			c.msgs = append(c.msgs, msg)
			c.mu.Unlock()
		}
	}()
}

func (c *rawClient) send(t *testing.T, msg []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.conn.Write(ctx, websocket.MessageBinary, msg); err != nil {
		t.Fatalf("write: %v", err)
	}
}

// awareness returns the awareness entries received so far, in order.
func (c *rawClient) awareness(t *testing.T) []protocol.Entry {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []protocol.Entry
	for _, m := range c.msgs {
		if m.Type != protocol.MessageAwareness {
			continue
		}
		entries, err := protocol.DecodeAwarenessUpdate(m.Payload)
		if err != nil {
			t.Fatalf("awareness update from the server: %v", err)
		}
		out = append(out, entries...)
	}
	return out
}

// waitDone waits for the connection to end and returns its close code (-1 if it ended without
// a close frame).
func (c *rawClient) waitDone(t *testing.T, timeout time.Duration) websocket.StatusCode {
	t.Helper()
	select {
	case <-c.done:
	case <-time.After(timeout):
		t.Fatalf("connection still open after %v", timeout)
	}
	return closeStatus(t, c.err)
}

// randomEdits returns the update of a new document of client in which n random inserts of
// size bytes each built its "code" text, so that the document has about n items.
func randomEdits(t *testing.T, rng *rand.Rand, client uint64, n, size int) []byte {
	t.Helper()
	doc, err := crdt.NewDoc(crdt.Options{ClientID: client})
	if err != nil {
		t.Fatal(err)
	}
	text, err := doc.GetText(codeRoot)
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

// storedState rebuilds a room's document from the store and returns it as one update, with the
// number of log entries after the snapshot.
func storedState(t *testing.T, st store.Store, id string) (state []byte, entries int) {
	t.Helper()
	doc, _, n, _, err := loadDoc(t.Context(), st, id)
	if err != nil {
		t.Fatalf("load room %s: %v", id, err)
	}
	state, err = doc.EncodeStateAsUpdate(nil)
	if err != nil {
		t.Fatal(err)
	}
	return state, n
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
	const (
		numRooms = 24
		edits    = 2000 // items per document
		editSize = 32   // bytes per item: 64 KiB of text per room
	)
	ts := newTestServer(t, Options{})
	rng := rand.New(rand.NewPCG(1, 2))

	// Warm up (allocations that happen once per process, e.g. pools), then measure the baseline.
	warm := ts.createRoom(t, "")
	w := dialRaw(t, ts, warm)
	w.send(t, protocol.EncodeSyncUpdate(randomEdits(t, rng, 99, 10, editSize)))
	w.conn.Close(websocket.StatusNormalClosure, "")
	eventually(t, "the warm-up room to unload", func() bool { return ts.srv.rooms.count() == 0 })
	ids := make([]string, numRooms)
	for i := range ids {
		ids[i] = ts.createRoom(t, "")
	}
	base := heapAlloc()

	conns := make([]*rawClient, numRooms)
	for i, id := range ids {
		conns[i] = dialRaw(t, ts, id)
		conns[i].send(t, protocol.EncodeSyncUpdate(randomEdits(t, rng, uint64(1000+i), edits, editSize)))
	}
	// GET waits until the room committed what it accepted, and the connections keep it loaded.
	for _, id := range ids {
		if status, got := ts.do(t, "GET", "/rooms/"+id, ""); status != http.StatusOK || len(fmt.Sprint(got["code"])) < edits*editSize {
			t.Fatalf("GET /rooms/%s = %d, code of %d bytes; want all %d bytes of edits", id, status, len(fmt.Sprint(got["code"])), edits*editSize)
		}
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
	eventually(t, "every room to unload", func() bool { return ts.srv.rooms.count() == 0 })
	// A room is unloaded after it wrote its document out: the log is compacted.
	for _, id := range ids {
		if _, entries := storedState(t, ts.store, id); entries != 0 {
			t.Errorf("room %s: %d log entries after unloading, want a snapshot only", id, entries)
		}
	}
	// Generous tolerance: a quarter of what the rooms took, which a leaked document of even a
	// few rooms would exceed.
	grown := loaded - base
	var after uint64
	deadline := time.Now().Add(5 * time.Second)
	for {
		after = heapAlloc()
		if after < base+grown/4 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("heap: baseline %d KiB, %d rooms loaded %d KiB, unloaded %d KiB", base>>10, numRooms, loaded>>10, after>>10)
	if after >= base+grown/4 {
		t.Errorf("heap is %d KiB after unloading, baseline %d KiB: %d of the %d KiB the rooms took are still held",
			after>>10, base>>10, (after-base)>>10, grown>>10)
	}
}

// TestRoomLoadFailure corrupts a room's snapshot: the room must be an error to its clients
// (close 1011, 503), never an empty document, and must not overwrite what is stored.
func TestRoomLoadFailure(t *testing.T) {
	ts := newTestServer(t, Options{})
	id := ts.createRoom(t, "")
	garbage := []byte("not a Yjs update \xff\xff\xff\xff")
	if err := ts.store.Compact(t.Context(), id, store.Snapshot{Seq: 0, State: garbage}); err != nil {
		t.Fatal(err)
	}

	c := dialYjs(t, ts, id, 7)
	select {
	case <-c.done:
	case <-time.After(10 * time.Second):
		t.Fatal("connection to a room that cannot load is still open")
	}
	if got := closeStatus(t, c.err); got != websocket.StatusInternalError {
		t.Errorf("connection closed with %v (%v), want %v", got, c.err, websocket.StatusInternalError)
	}

	status, got := ts.do(t, "GET", "/rooms/"+id, "")
	if status != http.StatusServiceUnavailable || got["error"] != CodeUnavailable || got["detail"] == "" || got["detail"] == nil {
		t.Errorf("GET /rooms/%s = %d %v, want 503 with error %q and a detail", id, status, got, CodeUnavailable)
	}
	if _, ok := got["code"]; ok {
		t.Errorf("GET /rooms/%s answered a document: %v", id, got)
	}
	status, got = ts.do(t, "PATCH", "/rooms/"+id, `{"language":"go"}`)
	if status != http.StatusServiceUnavailable || got["error"] != CodeUnavailable {
		t.Errorf("PATCH /rooms/%s = %d %v, want 503", id, status, got)
	}

	eventually(t, "the failed room to leave the live set", func() bool { return ts.srv.rooms.count() == 0 })
	snap, entries, err := ts.store.Load(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(snap.State, garbage) || len(entries) != 0 {
		t.Errorf("stored room changed after the failed load: snapshot %q, %d entries", snap.State, len(entries))
	}

	// The failure is not remembered: once the data is repaired, the room loads.
	repaired, err := newRoomDoc("repaired\n", "python")
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
	dir := t.TempDir()
	ts := newTestServerIn(t, dir, Options{})
	id := ts.createRoom(t, "")
	a := dialYjs(t, ts, id, 201)
	b := dialYjs(t, ts, id, 202)
	eventually(t, "both clients to sync", func() bool { return a.String() != "" && a.String() == b.String() })

	rng := rand.New(rand.NewPCG(3, 4))
	edit := func(i int) {
		a.edit(func(tx *crdt.Transaction, x *crdt.Text) {
			x.Insert(tx, rng.IntN(x.Len()+1), fmt.Sprintf("<%d>", i))
			if i%5 == 4 {
				x.Delete(tx, rng.IntN(x.Len()), 1)
			}
		})
	}
	for i := range 50 {
		edit(i)
	}
	// B has what A sent: the room committed it.
	eventually(t, "b to get a's edits", func() bool { return a.String() == b.String() })
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
		select {
		case <-c.done:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: connection still open after Shutdown", name)
		}
		if got := closeStatus(t, c.err); got != websocket.StatusGoingAway {
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
	a.mu.Lock()
	aState, _ := a.doc.EncodeStateAsUpdate(nil)
	a.mu.Unlock()
	b.mu.Lock()
	bState, _ := b.doc.EncodeStateAsUpdate(nil)
	b.mu.Unlock()
	check("the store holds everything b was sent", stored, bState)
	check("a holds everything the store holds", aState, stored)
	doc, _ := crdt.NewDoc(crdt.Options{ClientID: 1})
	_ = doc.ApplyUpdate(stored)
	text, _ := doc.GetText(codeRoot)
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
	ts := newTestServer(t, Options{Rooms: RoomOptions{SendQueue: 4, CompactBytes: 1 << 30, CompactEntries: 1 << 20}})
	id := ts.createRoom(t, "")
	slow := dialRaw(t, ts, id) // reads nothing until the end
	a := dialRaw(t, ts, id)
	a.start()
	b := dialRaw(t, ts, id)
	b.start()

	doc, err := crdt.NewDoc(crdt.Options{ClientID: 301})
	if err != nil {
		t.Fatal(err)
	}
	text, _ := doc.GetText(codeRoot)
	chunk := strings.Repeat("y", 128<<10)
	relayed := func() int {
		b.mu.Lock()
		defer b.mu.Unlock()
		n := 0
		for _, m := range b.msgs {
			if m.Type == protocol.MessageSync && m.SyncType == protocol.SyncUpdate {
				n++
			}
		}
		return n
	}
	slowClosed := func() bool {
		closed := false
		err := ts.srv.rooms.withRoom(t.Context(), id, func(r *room) error {
			for p := range r.peers {
				select {
				case <-p.closed:
					closed = true
				default:
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return closed
	}
	// A sends one update at a time and b reads each before the next, so b never falls behind;
	// the slow client's kernel buffers fill, then its queue.
	sent, slowest := 0, time.Duration(0)
	for !slowClosed() {
		if sent*len(chunk) > 64<<20 {
			t.Fatalf("the slow client is still connected after %d MiB were relayed", sent*len(chunk)>>20)
		}
		update, err := doc.Transact(func(tx *crdt.Transaction) error { return text.Insert(tx, text.Len(), chunk) })
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		a.send(t, protocol.EncodeSyncUpdate(update))
		sent++
		eventually(t, fmt.Sprintf("b to get update %d", sent), func() bool { return relayed() == sent })
		slowest = max(slowest, time.Since(start))
	}
	t.Logf("slow client closed after %d updates of %d KiB; slowest relay to b took %v", sent, len(chunk)>>10, slowest)
	// A room that waited for the slow client would stall for the write timeout.
	if slowest > writeTimeout/2 {
		t.Errorf("an update took %v to reach b: the room waited for the slow client", slowest)
	}

	// The slow client reads at last: what was queued, then the close frame.
	slow.start()
	if got := slow.waitDone(t, 10*time.Second); got != websocket.StatusTryAgainLater {
		t.Errorf("slow client closed with %v (%v), want %v", got, slow.err, websocket.StatusTryAgainLater)
	}
	peers := func() int {
		n := 0
		if err := ts.srv.rooms.withRoom(t.Context(), id, func(r *room) error { n = len(r.peers); return nil }); err != nil {
			t.Fatal(err)
		}
		return n
	}
	eventually(t, "the slow client to leave the room", func() bool { return peers() == 2 })
	// The others are still served.
	update, err := doc.Transact(func(tx *crdt.Transaction) error { return text.Insert(tx, 0, "after ") })
	if err != nil {
		t.Fatal(err)
	}
	a.send(t, protocol.EncodeSyncUpdate(update))
	eventually(t, "b to get the last update", func() bool { return relayed() == sent+1 })
	select {
	case <-a.done:
		t.Errorf("a was disconnected: %v", a.err)
	case <-b.done:
		t.Errorf("b was disconnected: %v", b.err)
	default:
	}
}

// TestAwarenessRemovedOnDisconnect checks that when a client that set an awareness state goes,
// the others are told its state is null, and newcomers do not get it.
func TestAwarenessRemovedOnDisconnect(t *testing.T) {
	ts := newTestServer(t, Options{})
	id := ts.createRoom(t, "")
	a := dialRaw(t, ts, id)
	a.start()
	b := dialRaw(t, ts, id)
	b.start()

	const client, clock = 4242, 3
	state := json.RawMessage(`{"user":{"name":"a"},"cursor":null}`)
	a.send(t, protocol.EncodeAwarenessMessage(protocol.EncodeAwarenessUpdate([]protocol.Entry{{Client: client, Clock: clock, State: state}})))
	find := func(c *rawClient, removed bool) (protocol.Entry, bool) {
		for _, e := range c.awareness(t) {
			if e.Client == client && e.Removed() == removed {
				return e, true
			}
		}
		return protocol.Entry{}, false
	}
	eventually(t, "b to get a's awareness state", func() bool { _, ok := find(b, false); return ok })
	if e, _ := find(b, false); e.Clock != clock || string(e.State) != string(state) {
		t.Errorf("b got %+v, want clock %d state %s", e, clock, state)
	}

	a.conn.Close(websocket.StatusNormalClosure, "")
	eventually(t, "b to get a null state for a's client", func() bool { _, ok := find(b, true); return ok })
	// The clock is a's last one: peers accept a null state at the clock they have.
	if e, _ := find(b, true); e.Clock != clock {
		t.Errorf("removal of client %d has clock %d, want %d", client, e.Clock, clock)
	}

	// A newcomer is not told about the client that left.
	c := dialRaw(t, ts, id)
	c.start()
	c.send(t, protocol.EncodeQueryAwareness())
	eventually(t, "c to get an answer to its awareness query", func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		for _, m := range c.msgs {
			if m.Type == protocol.MessageAwareness {
				return true
			}
		}
		return false
	})
	if e, ok := find(c, false); ok {
		t.Errorf("newcomer was told about client %d: %+v", client, e)
	}
}

// failingStore fails an Append when the test hands it a gate: that Append announces itself on
// the gate, waits until the gate is closed, then fails, so that the test controls what happens
// while the room is inside the failing commit.
type failingStore struct {
	store.Store
	gates chan chan struct{}
}

var errDiskFull = errors.New("test: disk full")

func (s *failingStore) Append(ctx context.Context, id string, updates [][]byte) (uint64, error) {
	select {
	case g := <-s.gates:
		g <- struct{}{}
		<-g
		return 0, errDiskFull
	default:
		return s.Store.Append(ctx, id, updates)
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
	ts, fs := newFailingServer(t)
	id := ts.createRoom(t, "")
	a := dialYjs(t, ts, id, 501)
	b := dialYjs(t, ts, id, 502)
	eventually(t, "both clients to sync", func() bool { return a.String() != "" && a.String() == b.String() })
	starter := b.String()

	fail := fs.failNextAppend(t, func() { a.edit(func(tx *crdt.Transaction, x *crdt.Text) { x.Insert(tx, 0, "lost? ") }) })
	fail()
	for name, c := range map[string]*yclient{"a": a, "b": b} {
		select {
		case <-c.done:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: still connected to a room whose commit failed", name)
		}
		if got := closeStatus(t, c.err); got != websocket.StatusInternalError {
			t.Errorf("%s: closed with %v (%v), want %v", name, got, c.err, websocket.StatusInternalError)
		}
	}
	if got := b.String(); got != starter {
		t.Errorf("b was sent an update the store refused: %q", got)
	}
	eventually(t, "the room to unload", func() bool { return ts.srv.rooms.count() == 0 })

	// A reconnects and resends what the store refused (a y-websocket client's sync step 2).
	a2 := dialRaw(t, ts, id)
	a.mu.Lock()
	state, err := a.doc.EncodeStateAsUpdate(nil)
	a.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	a2.send(t, protocol.EncodeSyncStep2(state))
	eventually(t, "the resent edit to be stored", func() bool {
		_, got := ts.do(t, "GET", "/rooms/"+id, "")
		return got["code"] == "lost? "+starter
	})
}

// TestCommitFailureClosesQueuedJoin connects a client while the room is inside a commit that
// fails. Its join is queued in the room's inbox when the room exits and never runs: the
// connection must still be closed, not left open, greeted with nothing.
func TestCommitFailureClosesQueuedJoin(t *testing.T) {
	ts, fs := newFailingServer(t)
	id := ts.createRoom(t, "")
	a := dialYjs(t, ts, id, 601)
	eventually(t, "a to sync", func() bool { return a.String() != "" })
	fail := fs.failNextAppend(t, func() { a.edit(func(tx *crdt.Transaction, x *crdt.Text) { x.Insert(tx, 0, "x") }) })
	c := dialRaw(t, ts, id) // its join waits behind the failing commit
	c.start()
	time.Sleep(100 * time.Millisecond)
	fail()
	<-a.done
	c.waitDone(t, 5*time.Second)
}
