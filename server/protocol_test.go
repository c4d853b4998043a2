package server

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/pairpad/pairpad/crdt"
	"github.com/pairpad/pairpad/crdt/protocol"
	"github.com/pairpad/pairpad/server/internal/room"
)

func TestSocketOriginCheck(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Options{AllowedOrigins: []string{"https://app.example"}})
	id := ts.createRoom(t, "")
	for _, tc := range []struct {
		origin string
		want   websocket.StatusCode // -1: stays open
	}{
		{"https://evil.example", closeOriginNotAllowed},
		{"https://app.example", -1},
		{"", -1}, // not a browser: no Origin header
	} {
		for _, path := range []string{"/yjs/", "/ws/"} {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			header := http.Header{}
			if tc.origin != "" {
				header.Set("Origin", tc.origin)
			}
			conn, _, err := websocket.Dial(ctx, wsURL(ts, path+id), &websocket.DialOptions{HTTPHeader: header})
			if err != nil {
				cancel()
				t.Fatalf("%s from %q: %v", path, tc.origin, err)
			}
			_, _, err = conn.Read(ctx) // the first message, or the close
			got := closeStatus(t, err)
			if tc.want == -1 && err != nil || tc.want != -1 && got != tc.want {
				t.Errorf("%s from %q: read err %v (close %v), want close %v", path, tc.origin, err, got, tc.want)
			}
			conn.Close(websocket.StatusNormalClosure, "")
			cancel()
		}
	}
}

func TestSeedOversizedMessage(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Options{MaxMessageBytes: 1 << 12})
	id := ts.createRoom(t, "")
	l := dialSeed(t, ts, id)
	await(t, ts.sig, "the starter code", func() bool { return l.Code() != "" })
	l.sendCode(strings.Repeat("x", 1<<13))
	await(t, ts.sig, "the connection to end", l.closed)
	if got := closeStatus(t, l.err); got != websocket.StatusMessageTooBig {
		t.Errorf("oversized seed message: %v, want close 1009", l.err)
	}
	// The room goes on.
	y := dialYjs(t, ts, id, 5)
	await(t, ts.sig, "a new client to sync", func() bool { return strings.HasPrefix(y.String(), "#") })
}

// A room compacts its log while live and when it unloads, and reloads from the snapshot to the same text. (When it compacts
// is in the scripts of internal/room.)
func TestRoomReloadsFromItsSnapshot(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Options{Rooms: RoomOptions{CompactEntries: 20}})
	id := ts.createRoom(t, "")
	c := dialYjs(t, ts, id, 9)
	await(t, ts.sig, "sync", func() bool { return c.String() != "" })
	for i := range 75 {
		c.edit(func(tx *crdt.Transaction, x *crdt.Text) error { return x.Insert(tx, x.Len(), string(rune('a'+i%26))) })
		// Wait for each to be committed (a sync step 1 is answered after), so that commits are
		// separate and the log crosses the threshold several times.
		c.send(protocol.EncodeSyncStep1(crdt.EncodeStateVector(nil)))
		await(t, ts.sig, "the edit to be committed", func() bool { return c.count(protocol.MessageSync, protocol.SyncStep2) > i+1 })
	}
	// Each compaction follows its commit on the room's goroutine: all but the last are done.
	snap, log, err := ts.store.Load(t.Context(), id)
	if err != nil || snap.Seq == 0 || len(log) >= 2*20 {
		t.Errorf("while live: snapshot at seq %d and %d log entries after it (%v), want a snapshot and fewer than 40", snap.Seq, len(log), err)
	}
	want := c.String()
	c.conn.Close(websocket.StatusNormalClosure, "")
	ts.awaitIdle(t)
	doc, entries := storedDoc(t, ts.store, id)
	if entries != 0 {
		t.Errorf("%d log entries after the room unloaded, want a snapshot only", entries)
	}
	text, _ := doc.GetText(room.CodeRoot)
	if text.String() != want {
		t.Errorf("reloaded text %q, want %q", text.String(), want)
	}
	if _, got := ts.do(t, "GET", "/rooms/"+id, ""); got["code"] != want {
		t.Errorf("GET /rooms code %q, want %q", got["code"], want)
	}
}

// DNS rebinding: a page whose own name resolves to the server sends that name as Host and as
// Origin, which agree; with ALLOWED_HOSTS the server answers neither its REST routes nor its
// sockets under that name.
func TestAllowedHosts(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Options{AllowedHosts: []string{"127.0.0.1"}})
	id := ts.createRoom(t, "")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	header := http.Header{"Origin": {"http://rebound.example"}}
	conn, resp, err := websocket.Dial(ctx, wsURL(ts, "/yjs/"+id), &websocket.DialOptions{Host: "rebound.example", HTTPHeader: header})
	if err == nil {
		conn.CloseNow()
		t.Fatal("a socket under another host name was accepted")
	}
	if resp == nil || resp.StatusCode != http.StatusMisdirectedRequest {
		t.Errorf("socket under another host name: %v, want a 421", err)
	}
	conn, _, err = websocket.Dial(ctx, wsURL(ts, "/yjs/"+id), nil)
	if err != nil {
		t.Fatalf("a socket under an allowed host: %v", err)
	}
	conn.CloseNow()
}

// Any client may write the document's "language" key with any value: the REST API reports only
// languages of the catalogue, the default for anything else.
func TestLanguageFromDocumentIsValidated(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Options{})
	id := ts.createRoom(t, "go")
	c := dialYjs(t, ts, id, 81)
	await(t, ts.sig, "c to sync", func() bool { return c.String() != "" })
	setLanguage := func(v any) {
		c.mu.Lock()
		meta, _ := c.doc.GetMap(room.MetaRoot)
		update, err := c.doc.Transact(func(tx *crdt.Transaction) error { return meta.Set(tx, "language", v) })
		c.mu.Unlock()
		if err != nil {
			t.Fatal(err)
		}
		c.send(protocol.EncodeSyncUpdate(update))
	}
	for _, tc := range []struct {
		value any
		want  string
	}{
		{"rust", "rust"},
		{"<script>alert(1)</script>", "python"},
		{strings.Repeat("x", 10000), "python"},
		{42.0, "python"},
		{"typescript", "typescript"},
	} {
		setLanguage(tc.value)
		deadline := time.Now().Add(5 * time.Second)
		for {
			status, got := ts.do(t, "GET", "/rooms/"+id, "")
			if status == http.StatusOK && got["language"] == tc.want {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("language %.20v: GET = %d %v, want %q (client closed %v %v)", tc.value, status, got["language"], tc.want, c.closed(), c.err)
			}
		}
	}
}

// The caps on pending content reach the rooms: with RoomOptions.MaxPendingStructs 1 (the
// MAX_PENDING_STRUCTS setting), a second update waiting for content the room never received
// closes its connection with 1008.
func TestPendingCapSetting(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Options{Rooms: RoomOptions{MaxPendingStructs: 1}})
	id := ts.createRoom(t, "")
	y := dialYjs(t, ts, id, 41)
	await(t, ts.sig, "the starter code", func() bool { return y.String() != "" })

	// Three inserts of another peer; the room gets the second and third only, which wait for
	// the first.
	doc, _ := crdt.NewDoc(crdt.Options{ClientID: 42})
	text, _ := doc.GetText(room.CodeRoot)
	var updates [][]byte
	for i := range 3 {
		u, err := doc.Transact(func(tx *crdt.Transaction) error { return text.Insert(tx, i, "x") })
		if err != nil {
			t.Fatal(err)
		}
		updates = append(updates, u)
	}
	y.send(protocol.EncodeSyncUpdate(updates[1]))
	y.send(protocol.EncodeSyncUpdate(updates[2]))
	if got := y.closeCode(t); got != websocket.StatusPolicyViolation {
		t.Errorf("two pending structs past a cap of one: close %v, want 1008", got)
	}
}
