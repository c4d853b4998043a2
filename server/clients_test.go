package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/pairpad/pairpad/crdt"
	"github.com/pairpad/pairpad/crdt/protocol"
	"github.com/pairpad/pairpad/server/internal/room"
)

// The real-socket tests wait for events, never for time: every client notifies its server's
// signal when it receives a message or its connection ends, and await checks its condition again
// after each notification.

// signal wakes whoever waits on it each time something happened.
type signal struct {
	mu sync.Mutex
	ch chan struct{}
}

func newSignal() *signal { return &signal{ch: make(chan struct{})} }

func (s *signal) notify() {
	s.mu.Lock()
	defer s.mu.Unlock()
	close(s.ch)
	s.ch = make(chan struct{})
}

func (s *signal) changed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ch
}

// awaitTimeout bounds every wait: a condition that never holds fails its test.
const awaitTimeout = 10 * time.Second

// await blocks until cond holds, checking it once now and again after each notification of sig.
func await(t testing.TB, sig *signal, what string, cond func() bool) {
	t.Helper()
	timeout := time.NewTimer(awaitTimeout)
	defer timeout.Stop()
	for {
		changed := sig.changed()
		if cond() {
			return
		}
		select {
		case <-changed:
		case <-timeout.C:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// awaitIdle waits until the server has no live room.
func (ts *testServer) awaitIdle(t testing.TB) {
	t.Helper()
	select {
	case <-ts.srv.rooms.idle():
	case <-time.After(awaitTimeout):
		t.Fatalf("%d rooms still live", ts.srv.rooms.count())
	}
}

// awaitSockets waits until every WebSocket handler of the server has returned.
func (ts *testServer) awaitSockets(t testing.TB) {
	t.Helper()
	done := make(chan struct{})
	go func() { ts.srv.sockets.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(awaitTimeout):
		t.Fatal("WebSocket handlers still running")
	}
}

func wsURL(ts *testServer, path string) string {
	return "ws" + strings.TrimPrefix(ts.URL, "http") + path
}

func dial(t testing.TB, ts *testServer, path string) *websocket.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), awaitTimeout)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, wsURL(ts, path), nil)
	if err != nil {
		t.Fatal(err)
	}
	conn.SetReadLimit(64 << 20)
	return conn
}

func closeStatus(t testing.TB, err error) websocket.StatusCode {
	t.Helper()
	var ce websocket.CloseError
	if !errors.As(err, &ce) {
		return -1
	}
	return ce.Code
}

// yclient is a Yjs peer in Go speaking the y-websocket protocol: it answers the server's sync
// step 1, applies every update it is sent and records every message.
type yclient struct {
	conn *websocket.Conn
	sig  *signal

	mu   sync.Mutex
	doc  *crdt.Doc
	text *crdt.Text
	msgs []protocol.Message
	done chan struct{} // closed when the reader has stopped
	err  error         // how the connection ended, once done is closed
}

// dialYjs connects a Yjs peer to room id and starts its sync.
func dialYjs(t testing.TB, ts *testServer, id string, clientID uint64) *yclient {
	t.Helper()
	c := dialYjsPaused(t, ts, id, clientID)
	c.start()
	c.send(protocol.EncodeSyncStep1(c.doc.EncodeStateVector()))
	return c
}

// dialYjsPaused connects a Yjs peer that reads nothing until start.
func dialYjsPaused(t testing.TB, ts *testServer, id string, clientID uint64) *yclient {
	t.Helper()
	doc, err := crdt.NewDoc(crdt.Options{ClientID: clientID})
	if err != nil {
		t.Fatal(err)
	}
	text, _ := doc.GetText(room.CodeRoot)
	c := &yclient{conn: dial(t, ts, "/yjs/"+id), sig: ts.sig, doc: doc, text: text, done: make(chan struct{})}
	t.Cleanup(func() {
		c.conn.Close(websocket.StatusNormalClosure, "")
		c.conn.CloseNow()
	})
	return c
}

func (c *yclient) start() { go c.readLoop() }

func (c *yclient) send(msg []byte) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = c.conn.Write(ctx, websocket.MessageBinary, msg)
}

func (c *yclient) readLoop() {
	defer c.sig.notify()
	defer close(c.done)
	for {
		_, data, err := c.conn.Read(context.Background())
		if err == nil {
			err = c.handle(data)
		}
		if err != nil {
			c.mu.Lock()
			c.err = err
			c.mu.Unlock()
			return
		}
		c.sig.notify()
	}
}

func (c *yclient) handle(data []byte) error {
	msg, err := protocol.DecodeMessage(data)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.msgs = append(c.msgs, msg)
	if msg.Type != protocol.MessageSync {
		return nil
	}
	if msg.SyncType == protocol.SyncStep1 {
		state, err := c.doc.EncodeStateAsUpdate(msg.Payload)
		if err != nil {
			return err
		}
		go c.send(protocol.EncodeSyncStep2(state))
		return nil
	}
	return c.doc.ApplyUpdate(msg.Payload)
}

// edit changes the peer's text and sends the update.
func (c *yclient) edit(fn func(tx *crdt.Transaction, text *crdt.Text) error) {
	c.mu.Lock()
	update, err := c.doc.Transact(func(tx *crdt.Transaction) error { return fn(tx, c.text) })
	c.mu.Unlock()
	if err != nil {
		panic(fmt.Sprintf("test edit: %v", err))
	}
	if update != nil {
		c.send(protocol.EncodeSyncUpdate(update))
	}
}

func (c *yclient) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.text.String()
}

// state returns the peer's whole document as an update.
func (c *yclient) state(t *testing.T) []byte {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	state, err := c.doc.EncodeStateAsUpdate(nil)
	if err != nil {
		t.Fatal(err)
	}
	return state
}

// count returns how many messages of the type (and sync type, for sync messages) it received.
func (c *yclient) count(typ protocol.MessageType, sync protocol.SyncType) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, m := range c.msgs {
		if m.Type == typ && (typ != protocol.MessageSync || m.SyncType == sync) {
			n++
		}
	}
	return n
}

// closed reports whether the connection ended.
func (c *yclient) closed() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// closeCode waits for the connection to end and returns its close code (-1 if it ended without
// a close frame).
func (c *yclient) closeCode(t testing.TB) websocket.StatusCode {
	t.Helper()
	await(t, c.sig, "the connection to end", c.closed)
	return closeStatus(t, c.err)
}

// seedClient is a client of the seed's JSON protocol.
type seedClient struct {
	t    *testing.T
	conn *websocket.Conn
	sig  *signal

	mu     sync.Mutex
	code   string
	codes  int // code_update messages received
	count  int // the last user_count
	errors []map[string]string
	done   chan struct{}
	err    error // how the connection ended
}

func dialSeed(t *testing.T, ts *testServer, id string) *seedClient {
	t.Helper()
	c := &seedClient{t: t, conn: dial(t, ts, "/ws/"+id), sig: ts.sig, done: make(chan struct{})}
	go c.readLoop()
	t.Cleanup(func() { c.conn.Close(websocket.StatusNormalClosure, ""); <-c.done })
	return c
}

func (c *seedClient) readLoop() {
	defer c.sig.notify()
	defer close(c.done)
	for {
		_, data, err := c.conn.Read(context.Background())
		if err != nil {
			c.mu.Lock()
			c.err = err
			c.mu.Unlock()
			return
		}
		c.handle(data)
		c.sig.notify()
	}
}

func (c *seedClient) handle(data []byte) {
	var msg map[string]any
	if err := json.Unmarshal(data, &msg); err != nil {
		c.t.Errorf("server sent invalid JSON %q", data)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	switch msg["type"] {
	case "code_update":
		c.code = msg["code"].(string)
		c.codes++
	case "user_count":
		c.count = int(msg["count"].(float64))
	case "error":
		c.errors = append(c.errors, map[string]string{"error": fmt.Sprint(msg["error"]), "detail": fmt.Sprint(msg["detail"])})
	default:
		c.t.Errorf("unexpected message %s", data)
	}
}

func (c *seedClient) sendRaw(s string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.conn.Write(ctx, websocket.MessageText, []byte(s)); err != nil {
		c.t.Errorf("write: %v", err)
	}
}

func (c *seedClient) sendCode(code string) {
	b, _ := json.Marshal(map[string]string{"type": "code_update", "code": code})
	c.sendRaw(string(b))
}

func (c *seedClient) state() (code string, codes, count int, errs []map[string]string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.code, c.codes, c.count, append([]map[string]string(nil), c.errors...)
}

func (c *seedClient) Code() string { code, _, _, _ := c.state(); return code }
func (c *seedClient) Count() int   { _, _, count, _ := c.state(); return count }
func (c *seedClient) closed() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

func (c *yclient) closeNow()    { c.conn.Close(websocket.StatusNormalClosure, "") }
func (c *seedClient) closeNow() { c.conn.Close(websocket.StatusNormalClosure, "") }
