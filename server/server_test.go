package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/rs/zerolog"

	"github.com/pairpad/pairpad/crdt"
	"github.com/pairpad/pairpad/crdt/protocol"
	"github.com/pairpad/pairpad/store"
	"github.com/pairpad/pairpad/store/embedded"
)

// testServer is a server on an embedded store in a temporary directory.
type testServer struct {
	*httptest.Server
	srv   *Server
	store store.Store
}

func newTestServer(t *testing.T, opts Options) *testServer {
	t.Helper()
	return newTestServerIn(t, t.TempDir(), opts)
}

// newTestServerIn is newTestServer on an embedded store in dir.
func newTestServerIn(t *testing.T, dir string, opts Options) *testServer {
	t.Helper()
	st, err := embedded.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return serveStore(t, st, opts)
}

// serveStore runs a server on st until the test ends, then shuts it down and closes st.
func serveStore(t *testing.T, st store.Store, opts Options) *testServer {
	t.Helper()
	opts.Store = st
	opts.Log = zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.InfoLevel)
	srv, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{Server: httptest.NewServer(srv), srv: srv, store: st}
	t.Cleanup(func() {
		ts.Server.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		st.Close()
	})
	return ts
}

func (ts *testServer) do(t *testing.T, method, path, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var got map[string]any
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatalf("%s %s: body %q is not JSON: %v", method, path, data, err)
	}
	return resp.StatusCode, got
}

func (ts *testServer) createRoom(t *testing.T, language string) string {
	t.Helper()
	body := ""
	if language != "" {
		body = `{"language":"` + language + `"}`
	}
	status, got := ts.do(t, "POST", "/rooms", body)
	if status != http.StatusCreated {
		t.Fatalf("POST /rooms = %d %v", status, got)
	}
	return got["roomId"].(string)
}

func TestHealthAndReady(t *testing.T) {
	ts := newTestServer(t, Options{})
	if status, got := ts.do(t, "GET", "/health", ""); status != 200 || got["status"] != "ok" {
		t.Errorf("GET /health = %d %v", status, got)
	}
	if status, _ := ts.do(t, "GET", "/ready", ""); status != 200 {
		t.Errorf("GET /ready = %d", status)
	}
}

func TestRoomsREST(t *testing.T) {
	ts := newTestServer(t, Options{})
	status, created := ts.do(t, "POST", "/rooms", "")
	if status != http.StatusCreated {
		t.Fatalf("POST /rooms = %d %v", status, created)
	}
	id, _ := created["roomId"].(string)
	if len(id) < 16 {
		t.Errorf("room id %q is too short to be unguessable", id)
	}
	if created["code"] != "# Write your Python code here\n\n" || created["language"] != "python" {
		t.Errorf("created room = %v", created)
	}
	if _, err := time.Parse(time.RFC3339, fmt.Sprint(created["created_at"])); err != nil {
		t.Errorf("created_at %v: %v", created["created_at"], err)
	}
	status, got := ts.do(t, "GET", "/rooms/"+id, "")
	if status != 200 || got["code"] != created["code"] || got["created_at"] != created["created_at"] {
		t.Errorf("GET room = %d %v, want %v", status, got, created)
	}
	status, got = ts.do(t, "PATCH", "/rooms/"+id, `{"language":"go"}`)
	if status != 200 || got["language"] != "go" {
		t.Errorf("PATCH language = %d %v", status, got)
	}
	if status, got = ts.do(t, "GET", "/rooms/"+id, ""); got["language"] != "go" {
		t.Errorf("GET after PATCH = %d %v", status, got)
	}
	for _, tc := range []struct {
		method, path, body string
		status             int
		code               string
	}{
		{"GET", "/rooms/nope", "", 404, "not_found"},
		{"PATCH", "/rooms/nope", `{"language":"go"}`, 404, "not_found"},
		{"POST", "/rooms", `{"language":"cobol"}`, 422, "unknown_language"},
		{"POST", "/rooms", `{"language":`, 400, "invalid_json"},
		{"POST", "/rooms", `{"language":42}`, 422, "validation"},
		{"POST", "/rooms", `{"language":"` + strings.Repeat("x", 2<<20) + `"}`, 413, "payload_too_large"},
		{"PATCH", "/rooms/" + id, `{"language":"cobol"}`, 422, "unknown_language"},
		{"PATCH", "/rooms/" + id, `{}`, 422, "validation"},
	} {
		status, got := ts.do(t, tc.method, tc.path, tc.body)
		if status != tc.status || got["error"] != tc.code || got["detail"] == "" {
			t.Errorf("%s %s %.40q = %d %v, want %d %s", tc.method, tc.path, tc.body, status, got, tc.status, tc.code)
		}
	}
}

// yclient is a Yjs peer in Go speaking the y-websocket protocol.
type yclient struct {
	t    *testing.T
	conn *websocket.Conn
	mu   sync.Mutex
	doc  *crdt.Doc
	text *crdt.Text
	done chan struct{}
	err  error // how the connection ended
}

func wsURL(ts *testServer, path string) string {
	return "ws" + strings.TrimPrefix(ts.URL, "http") + path
}

func dialYjs(t *testing.T, ts *testServer, id string, clientID uint64) *yclient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, wsURL(ts, "/yjs/"+id), nil)
	if err != nil {
		t.Fatal(err)
	}
	conn.SetReadLimit(64 << 20)
	doc, _ := crdt.NewDoc(crdt.Options{ClientID: clientID})
	text, _ := doc.GetText("code")
	c := &yclient{t: t, conn: conn, doc: doc, text: text, done: make(chan struct{})}
	go c.readLoop()
	c.send(protocol.EncodeSyncStep1(doc.EncodeStateVector()))
	t.Cleanup(func() { conn.Close(websocket.StatusNormalClosure, ""); <-c.done })
	return c
}

func (c *yclient) send(msg []byte) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = c.conn.Write(ctx, websocket.MessageBinary, msg)
}

func (c *yclient) readLoop() {
	defer close(c.done)
	for {
		_, data, err := c.conn.Read(context.Background())
		if err != nil {
			c.err = err
			return
		}
		msg, err := protocol.DecodeMessage(data)
		if err != nil {
			c.err = err
			return
		}
		if msg.Type != protocol.MessageSync {
			continue
		}
		c.mu.Lock()
		switch msg.SyncType {
		case protocol.SyncStep1:
			state, _ := c.doc.EncodeStateAsUpdate(msg.Payload)
			c.mu.Unlock()
			c.send(protocol.EncodeSyncStep2(state))
			continue
		default:
			if err := c.doc.ApplyUpdate(msg.Payload); err != nil {
				c.err = err
			}
		}
		c.mu.Unlock()
	}
}

func (c *yclient) edit(fn func(tx *crdt.Transaction, text *crdt.Text)) {
	c.mu.Lock()
	update, _ := c.doc.Transact(func(tx *crdt.Transaction) error { fn(tx, c.text); return nil })
	c.mu.Unlock()
	if update != nil {
		c.send(protocol.EncodeSyncUpdate(update))
	}
}

func (c *yclient) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.text.String()
}

// eventually polls cond until it holds or 10 s pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestYjsSyncAndRelay(t *testing.T) {
	ts := newTestServer(t, Options{})
	id := ts.createRoom(t, "go")
	a := dialYjs(t, ts, id, 101)
	b := dialYjs(t, ts, id, 102)
	starter := "// Write your Go code here\n\n"
	eventually(t, "both peers to get the starter code", func() bool { return strings.HasPrefix(a.String(), "//") && strings.HasPrefix(b.String(), "//") })
	starter = a.String()
	a.edit(func(tx *crdt.Transaction, x *crdt.Text) { x.Insert(tx, x.Len(), "package main\n") })
	b.edit(func(tx *crdt.Transaction, x *crdt.Text) { x.Insert(tx, 0, "// b\n") })
	want := "// b\n" + starter + "package main\n"
	eventually(t, "a and b to converge", func() bool { return a.String() == want && b.String() == want })
	if _, got := ts.do(t, "GET", "/rooms/"+id, ""); got["code"] != want {
		t.Errorf("GET /rooms code = %q, want %q", got["code"], want)
	}
}

func closeStatus(t *testing.T, err error) websocket.StatusCode {
	t.Helper()
	var ce websocket.CloseError
	if !errors.As(err, &ce) {
		return -1
	}
	return ce.Code
}

func TestYjsRefusals(t *testing.T) {
	ts := newTestServer(t, Options{MaxMessageBytes: 1 << 16})
	id := ts.createRoom(t, "")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	unknown := dialYjs(t, ts, "no-such-room", 1)
	<-unknown.done
	if got := closeStatus(t, unknown.err); got != closeUnknownRoom {
		t.Errorf("unknown room: close %v, want %v", got, closeUnknownRoom)
	}

	good := dialYjs(t, ts, id, 2)
	for _, tc := range []struct {
		name string
		msg  []byte
		want websocket.StatusCode
	}{
		{"malformed message", []byte{0, 7, 1, 2}, websocket.StatusInvalidFramePayloadData},
		{"malformed update", protocol.EncodeSyncUpdate([]byte{1, 1, 5, 0, 99}), websocket.StatusInvalidFramePayloadData},
		{"oversized", protocol.EncodeSyncUpdate(bytes.Repeat([]byte{0}, 1<<17)), websocket.StatusMessageTooBig},
	} {
		c := dialYjs(t, ts, id, 3)
		c.send(tc.msg)
		select {
		case <-c.done:
		case <-ctx.Done():
			t.Fatalf("%s: not closed", tc.name)
		}
		if got := closeStatus(t, c.err); got != tc.want {
			t.Errorf("%s: close %v (%v), want %v", tc.name, got, c.err, tc.want)
		}
	}
	// The room and its other client go on.
	good.edit(func(tx *crdt.Transaction, x *crdt.Text) { x.Insert(tx, 0, "ok ") })
	eventually(t, "the edit to reach the server", func() bool {
		_, got := ts.do(t, "GET", "/rooms/"+id, "")
		return strings.HasPrefix(fmt.Sprint(got["code"]), "ok ")
	})
}

func TestReadyFailsWithoutStore(t *testing.T) {
	ts := newTestServer(t, Options{})
	id := ts.createRoom(t, "")
	ts.store.Close()
	status, got := ts.do(t, "GET", "/ready", "")
	if status != http.StatusServiceUnavailable || got["error"] != "unavailable" {
		t.Errorf("GET /ready with the store closed = %d %v, want 503 unavailable", status, got)
	}
	if status, _ := ts.do(t, "GET", "/health", ""); status != http.StatusOK {
		t.Errorf("GET /health = %d: health does not depend on the store", status)
	}
	status, got = ts.do(t, "GET", "/rooms/"+id, "")
	if status != http.StatusServiceUnavailable || got["error"] != "unavailable" {
		t.Errorf("GET /rooms with the store closed = %d %v, want 503 unavailable", status, got)
	}
}
