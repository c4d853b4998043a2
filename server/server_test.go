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
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/rs/zerolog"

	"github.com/pairpad/pairpad/crdt"
	"github.com/pairpad/pairpad/crdt/protocol"
	"github.com/pairpad/pairpad/language"
	"github.com/pairpad/pairpad/server/internal/httpapi"
	"github.com/pairpad/pairpad/store"
	"github.com/pairpad/pairpad/store/embedded"
)

// testServer is a server on an embedded store in a temporary directory.
type testServer struct {
	*httptest.Server
	srv   *Server
	store store.Store
	sig   *signal // notified whenever a client of the server receives something
}

func newTestServer(t testing.TB, opts Options) *testServer {
	t.Helper()
	return newTestServerIn(t, t.TempDir(), opts)
}

// newTestServerIn is newTestServer on an embedded store in dir.
func newTestServerIn(t testing.TB, dir string, opts Options) *testServer {
	t.Helper()
	st, err := embedded.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return serveStore(t, st, opts)
}

// serveStore runs a server on st until the test ends, then shuts it down and closes st.
func serveStore(t testing.TB, st store.Store, opts Options) *testServer {
	t.Helper()
	opts.Store = st
	opts.Log = zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.InfoLevel)
	srv, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{Server: httptest.NewServer(srv), srv: srv, store: st, sig: newSignal()}
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

func (ts *testServer) do(t testing.TB, method, path, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if method == http.MethodPost || method == http.MethodPatch {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("%s %s: no X-Content-Type-Options: nosniff", method, path)
	}
	var got map[string]any
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatalf("%s %s: body %q is not JSON: %v", method, path, data, err)
	}
	return resp.StatusCode, got
}

func (ts *testServer) createRoom(t testing.TB, language string) string {
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
	t.Parallel()
	ts := newTestServer(t, Options{})
	if status, got := ts.do(t, "GET", "/health", ""); status != 200 || got["status"] != "ok" {
		t.Errorf("GET /health = %d %v", status, got)
	}
	if status, _ := ts.do(t, "GET", "/ready", ""); status != 200 {
		t.Errorf("GET /ready = %d", status)
	}
}

func TestRoomsREST(t *testing.T) {
	t.Parallel()
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

// Two y-websocket peers sync with the room and each other over real sockets; the REST API
// reads what they wrote. (Every protocol rule is in the scripts of internal/room.)
func TestYjsSyncAndRelay(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Options{})
	id := ts.createRoom(t, "go")
	a := dialYjs(t, ts, id, 101)
	b := dialYjs(t, ts, id, 102)
	starter := "// Write your Go code here\n\n"
	await(t, ts.sig, "both peers to get the starter code", func() bool { return a.String() == starter && b.String() == starter })
	a.edit(func(tx *crdt.Transaction, x *crdt.Text) error { return x.Insert(tx, x.Len(), "package main\n") })
	b.edit(func(tx *crdt.Transaction, x *crdt.Text) error { return x.Insert(tx, 0, "// b\n") })
	want := "// b\n" + starter + "package main\n"
	await(t, ts.sig, "a and b to converge", func() bool { return a.String() == want && b.String() == want })
	if _, got := ts.do(t, "GET", "/rooms/"+id, ""); got["code"] != want {
		t.Errorf("GET /rooms code = %q, want %q", got["code"], want)
	}
}

// The refusals that happen before a room's core sees a frame: an unknown room, and a message over
// the size limit. A malformed message closes only its connection.
func TestYjsRefusals(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Options{MaxMessageBytes: 1 << 16})
	id := ts.createRoom(t, "")

	unknown := dialYjs(t, ts, "no-such-room", 1)
	if got := unknown.closeCode(t); got != closeUnknownRoom {
		t.Errorf("unknown room: close %v, want %v", got, closeUnknownRoom)
	}

	good := dialYjs(t, ts, id, 2)
	for _, tc := range []struct {
		name string
		msg  []byte
		want websocket.StatusCode
	}{
		{"malformed message", []byte{0, 7, 1, 2}, websocket.StatusInvalidFramePayloadData},
		{"oversized", protocol.EncodeSyncUpdate(bytes.Repeat([]byte{0}, 1<<17)), websocket.StatusMessageTooBig},
	} {
		c := dialYjs(t, ts, id, 3)
		c.send(tc.msg)
		if got := c.closeCode(t); got != tc.want {
			t.Errorf("%s: close %v (%v), want %v", tc.name, got, c.err, tc.want)
		}
	}
	// The room and its other client go on.
	await(t, ts.sig, "good to sync", func() bool { return good.String() != "" })
	good.edit(func(tx *crdt.Transaction, x *crdt.Text) error { return x.Insert(tx, 0, "ok ") })
	other := dialYjs(t, ts, id, 4)
	await(t, ts.sig, "the edit to reach another client", func() bool { return strings.HasPrefix(other.String(), "ok ") })
}

func TestReadyFailsWithoutStore(t *testing.T) {
	t.Parallel()
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

func TestUnknownLanguageDetail(t *testing.T) {
	t.Parallel()
	e := unknownLanguage("cobol")
	if e.Status != http.StatusUnprocessableEntity || !errors.Is(e, httpapi.ErrUnknownLanguage) {
		t.Errorf("unknownLanguage = %d %q, want 422 unknown_language", e.Status, e.Code)
	}
	for _, l := range language.All() {
		if !strings.Contains(e.Detail, l.ID) {
			t.Errorf("detail %q does not list %q", e.Detail, l.ID)
		}
	}
	if !strings.Contains(e.Detail, `"cobol"`) {
		t.Errorf("detail %q does not name the rejected language", e.Detail)
	}
}

// POST /rooms takes JSON only (a form on another site cannot create rooms) and a limited rate
// of creations per client address.
func TestCreateRoomGuards(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Options{RoomCreationRate: RateLimit{Rate: 0.01, Burst: 2}})
	for _, contentType := range []string{"", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"} {
		resp, err := http.Post(ts.URL+"/rooms", contentType, strings.NewReader(`{"language":"go"}`))
		if err != nil {
			t.Fatal(err)
		}
		var got map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&got)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnsupportedMediaType || got["error"] != "unsupported_media_type" {
			t.Errorf("POST /rooms with Content-Type %q = %d %v, want 415 unsupported_media_type", contentType, resp.StatusCode, got)
		}
	}
	for i := range 2 {
		if status, got := ts.do(t, "POST", "/rooms", `{}`); status != http.StatusCreated {
			t.Fatalf("creation %d within the burst = %d %v", i+1, status, got)
		}
	}
	req, _ := http.NewRequest("POST", ts.URL+"/rooms", strings.NewReader(`{}`))
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Errorf("creation past the burst = %d, Retry-After %q; want 429 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
}

// With MaxRooms, POST /rooms answers 503 once the store holds that many rooms.
func TestRoomQuota(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Options{MaxRooms: 2})
	for range 2 {
		ts.createRoom(t, "")
	}
	if status, got := ts.do(t, "POST", "/rooms", `{}`); status != http.StatusServiceUnavailable || !strings.Contains(fmt.Sprint(got["detail"]), "MAX_ROOMS") {
		t.Errorf("POST /rooms past the quota = %d %v, want 503 naming MAX_ROOMS", status, got)
	}
}
