package server

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/pairpad/pairpad/crdt"
	"github.com/pairpad/pairpad/crdt/protocol"
	"github.com/pairpad/pairpad/server/internal/room"
)

// ownedRoom is a room as POST /rooms returns it to its creator.
type ownedRoom struct {
	id, view, token string
}

func (ts *testServer) createOwnedRoom(t *testing.T) ownedRoom {
	t.Helper()
	status, got := ts.do(t, "POST", "/rooms", "")
	if status != http.StatusCreated {
		t.Fatalf("POST /rooms = %d %v", status, got)
	}
	r := ownedRoom{id: got["roomId"].(string), view: got["viewId"].(string), token: got["ownerToken"].(string)}
	if got["role"] != "editor" || got["locked"] != false {
		t.Errorf("POST /rooms: role %v, locked %v; want editor, false", got["role"], got["locked"])
	}
	for name, secret := range map[string]string{"roomId": r.id, "viewId": r.view, "ownerToken": r.token} {
		if b, err := base64.RawURLEncoding.DecodeString(secret); err != nil || len(b) < 16 {
			t.Errorf("%s %q: not 128 random bits or more (%v)", name, secret, err)
		}
	}
	return r
}

// request sends a request with an Authorization: Bearer token ("" for none), and a JSON body
// unless body is "".
func (ts *testServer) request(t *testing.T, token, method, path, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// doAs is ts.do with an Authorization: Bearer token ("" for none).
func (ts *testServer) doAs(t *testing.T, token, method, path, body string) (int, map[string]any) {
	t.Helper()
	resp := ts.request(t, token, method, path, body)
	defer resp.Body.Close()
	var got map[string]any
	if resp.StatusCode != http.StatusNoContent {
		if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
			t.Fatalf("%s %s: body is not JSON: %v", method, path, err)
		}
	}
	return resp.StatusCode, got
}

func wantStatus(t *testing.T, what string, status int, got map[string]any, want int, code string) {
	t.Helper()
	if status != want || code != "" && got["error"] != code {
		t.Errorf("%s = %d %v; want %d %s", what, status, got, want, code)
	}
}

// permissionDenied returns the reasons of the permission-denied messages c received.
func (c *yclient) permissionDenied() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var reasons []string
	for _, m := range c.msgs {
		if m.Type == protocol.MessageAuth {
			reasons = append(reasons, m.Reason)
		}
	}
	return reasons
}

// serverAwareness returns the last awareness state c received for the server's client id
// ("" for none, "null" once removed).
func (c *yclient) serverAwareness() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	state := ""
	for _, m := range c.msgs {
		if m.Type != protocol.MessageAwareness {
			continue
		}
		entries, _ := protocol.DecodeAwarenessUpdate(m.Payload)
		for _, e := range entries {
			if e.Client == room.ServerClientID {
				state = string(e.State)
				if e.Removed() {
					state = "null"
				}
			}
		}
	}
	return state
}

func insertAt0(s string) func(tx *crdt.Transaction, text *crdt.Text) error {
	return func(tx *crdt.Transaction, text *crdt.Text) error { return text.Insert(tx, 0, s) }
}

// TestViewLink: the view link reads the room, live, over REST and both protocols, and every
// edit it tries is refused and changes nothing; it never reveals the edit link.
func TestViewLink(t *testing.T) {
	ts := newTestServer(t, Options{})
	r := ts.createOwnedRoom(t)

	status, got := ts.do(t, "GET", "/rooms/"+r.view, "")
	if status != http.StatusOK || got["role"] != "viewer" || got["roomId"] != r.view || got["viewId"] != nil {
		t.Errorf("GET with the view link = %d %v; want the room as a viewer's, without the edit link", status, got)
	}
	status, got = ts.do(t, "GET", "/rooms/"+r.id, "")
	if status != http.StatusOK || got["role"] != "editor" || got["viewId"] != r.view {
		t.Errorf("GET with the edit link = %d %v; want an editor's, with the view link", status, got)
	}
	status, got = ts.do(t, "PATCH", "/rooms/"+r.view, `{"language":"go"}`)
	wantStatus(t, "PATCH language with the view link", status, got, http.StatusForbidden, "read_only")

	editor := dialYjs(t, ts, r.id, 1)
	viewer := dialYjs(t, ts, r.view, 2)
	legacy := dialSeed(t, ts, r.view)
	await(t, ts.sig, "everyone to sync", func() bool {
		return viewer.String() != "" && editor.String() == viewer.String() && legacy.Code() == viewer.String()
	})
	start := editor.String()

	editor.edit(insertAt0("ok "))
	await(t, ts.sig, "the viewers to see the edit", func() bool {
		return viewer.String() == "ok "+start && legacy.Code() == "ok "+start
	})

	viewer.edit(insertAt0("no "))
	legacy.sendCode("nope " + start)
	await(t, ts.sig, "both refusals", func() bool {
		_, _, _, errs := legacy.state()
		return len(viewer.permissionDenied()) > 0 && len(errs) > 0
	})
	if got := viewer.permissionDenied(); got[0] != "this link is view only" {
		t.Errorf("permission denied %q", got)
	}
	if _, _, _, errs := legacy.state(); errs[0]["error"] != "read_only" {
		t.Errorf("the JSON viewer's error = %v; want read_only", errs[0])
	}
	editor.edit(insertAt0("!"))
	await(t, ts.sig, "the editor's next edit", func() bool { return legacy.Code() == "!ok "+start })
	if _, got := ts.do(t, "GET", "/rooms/"+r.id, ""); got["code"] != "!ok "+start || editor.String() != "!ok "+start {
		t.Errorf("after the viewers' edits the code is %q (the editor has %q); want %q", got["code"], editor.String(), "!ok "+start)
	}
}

// TestOwnerLinks: only the owner's token lists and replaces the links; a replaced link stops
// working at once, for REST and for the sockets opened with it.
func TestOwnerLinks(t *testing.T) {
	ts := newTestServer(t, Options{})
	r := ts.createOwnedRoom(t)

	status, got := ts.doAs(t, "", "GET", "/rooms/"+r.id+"/links", "")
	wantStatus(t, "GET links without a token", status, got, http.StatusUnauthorized, "unauthorized")
	status, got = ts.doAs(t, r.view, "GET", "/rooms/"+r.id+"/links", "")
	wantStatus(t, "GET links with another token", status, got, http.StatusForbidden, "forbidden")
	status, got = ts.doAs(t, r.token, "GET", "/rooms/"+r.view+"/links", "")
	if status != http.StatusOK || got["editId"] != r.id || got["viewId"] != r.view || got["locked"] != false {
		t.Errorf("GET links = %d %v", status, got)
	}
	status, got = ts.doAs(t, r.token, "POST", "/rooms/"+r.id+"/links/rotate", `{"role":"owner"}`)
	wantStatus(t, "rotate an unknown role", status, got, http.StatusUnprocessableEntity, "validation")

	for _, role := range []string{"viewer", "editor"} {
		old := r.view
		if role == "editor" {
			old = r.id
		}
		y := dialYjs(t, ts, old, 1)
		j := dialSeed(t, ts, old)
		await(t, ts.sig, "the sockets to sync", func() bool { return y.String() != "" && j.Code() != "" })

		status, got = ts.doAs(t, r.view, "POST", "/rooms/"+r.id+"/links/rotate", `{"role":"`+role+`"}`)
		wantStatus(t, "rotate without the owner's token", status, got, http.StatusForbidden, "forbidden")
		status, got = ts.doAs(t, r.token, "POST", "/rooms/"+r.id+"/links/rotate", `{"role":"`+role+`"}`)
		if status != http.StatusOK {
			t.Fatalf("rotate the %s link = %d %v", role, status, got)
		}
		r.id, r.view = got["editId"].(string), got["viewId"].(string)
		if r.id == old || r.view == old {
			t.Fatalf("rotating the %s link kept %q", role, old)
		}
		if code := y.closeCode(t); code != 4410 {
			t.Errorf("the y-websocket client of the old %s link closed with %d; want 4410", role, code)
		}
		await(t, ts.sig, "the JSON client to be closed", j.closed)
		status, got = ts.do(t, "GET", "/rooms/"+old, "")
		wantStatus(t, "GET with the old "+role+" link", status, got, http.StatusNotFound, "not_found")
		if code := dialYjs(t, ts, old, 2).closeCode(t); code != 4404 {
			t.Errorf("a socket opened with the old %s link closed with %d; want 4404", role, code)
		}
		status, got = ts.do(t, "GET", "/rooms/"+r.id, "")
		if status != http.StatusOK || got["role"] != "editor" {
			t.Errorf("GET with the new edit link = %d %v", status, got)
		}
		if status, got = ts.do(t, "GET", "/rooms/"+r.view, ""); status != http.StatusOK || got["role"] != "viewer" {
			t.Errorf("GET with the new view link = %d %v", status, got)
		}
	}
}

// TestLock: while the owner keeps the room locked everyone is a viewer, and every client is
// told; unlocked, editors edit again. The lock survives a restart.
func TestLock(t *testing.T) {
	dir := t.TempDir()
	ts := newTestServerIn(t, dir, Options{})
	r := ts.createOwnedRoom(t)
	editor := dialYjs(t, ts, r.id, 1)
	legacy := dialSeed(t, ts, r.id)
	await(t, ts.sig, "the clients to sync", func() bool { return editor.String() != "" && legacy.Code() != "" })
	start := editor.String()

	status, got := ts.do(t, "PATCH", "/rooms/"+r.id, `{"locked":true}`)
	wantStatus(t, "lock without the owner's token", status, got, http.StatusUnauthorized, "unauthorized")
	status, got = ts.doAs(t, r.token, "PATCH", "/rooms/"+r.id, `{"locked":true}`)
	if status != http.StatusOK || got["locked"] != true {
		t.Fatalf("lock = %d %v", status, got)
	}
	await(t, ts.sig, "the editor to be told", func() bool { return strings.Contains(editor.serverAwareness(), `"locked":true`) })
	late := dialYjs(t, ts, r.id, 3)
	await(t, ts.sig, "a client that joins to be told", func() bool { return strings.Contains(late.serverAwareness(), `"locked":true`) })

	editor.edit(insertAt0("no "))
	legacy.sendCode("nope " + start)
	await(t, ts.sig, "both refusals", func() bool {
		_, _, _, errs := legacy.state()
		return len(editor.permissionDenied()) > 0 && len(errs) > 0
	})
	if got := editor.permissionDenied(); got[0] != "the room is locked" {
		t.Errorf("permission denied %q", got)
	}
	status, got = ts.do(t, "PATCH", "/rooms/"+r.id, `{"language":"go"}`)
	wantStatus(t, "PATCH language while locked", status, got, http.StatusForbidden, "read_only")

	// Restarted, the room is still locked.
	ts.Close()
	ts.srv.Shutdown(t.Context())
	ts.store.Close()
	ts = newTestServerIn(t, dir, Options{})
	if status, got := ts.do(t, "GET", "/rooms/"+r.id, ""); got["locked"] != true || got["code"] != start {
		t.Errorf("after a restart GET = %d %v; want locked, with the code from before the lock", status, got)
	}
	editor = dialYjs(t, ts, r.id, 4)
	await(t, ts.sig, "the editor to sync and be told after a restart", func() bool {
		return editor.String() == start && strings.Contains(editor.serverAwareness(), `"locked":true`)
	})

	status, got = ts.doAs(t, r.token, "PATCH", "/rooms/"+r.id, `{"locked":false}`)
	if status != http.StatusOK || got["locked"] != false {
		t.Fatalf("unlock = %d %v", status, got)
	}
	await(t, ts.sig, "the editor to be told", func() bool { return editor.serverAwareness() == "null" })
	viewer := dialYjs(t, ts, r.view, 5)
	await(t, ts.sig, "a viewer to sync", func() bool { return viewer.String() == start })
	editor.edit(insertAt0("yes "))
	await(t, ts.sig, "the viewer to see the edit", func() bool { return viewer.String() == "yes "+start })
	if _, got := ts.do(t, "GET", "/rooms/"+r.id, ""); got["code"] != "yes "+start {
		t.Errorf("after the unlock, the code is %q; want %q", got["code"], "yes "+start)
	}
}

// TestOwnerDelete: the owner deletes the room; its sockets are closed with 4404, and neither
// link finds it any more.
func TestOwnerDelete(t *testing.T) {
	ts := newTestServer(t, Options{})
	r := ts.createOwnedRoom(t)
	editor := dialYjs(t, ts, r.id, 1)
	viewer := dialYjs(t, ts, r.view, 2)
	legacy := dialSeed(t, ts, r.id)
	await(t, ts.sig, "the clients to sync", func() bool {
		return editor.String() != "" && viewer.String() != "" && legacy.Code() != ""
	})
	editor.edit(insertAt0("kept until deleted "))

	status, got := ts.doAs(t, r.view, "DELETE", "/rooms/"+r.id, "")
	wantStatus(t, "DELETE with another token", status, got, http.StatusForbidden, "forbidden")
	if status, got := ts.doAs(t, r.token, "DELETE", "/rooms/"+r.id, ""); status != http.StatusNoContent {
		t.Fatalf("DELETE = %d %v", status, got)
	}
	for name, c := range map[string]*yclient{"editor": editor, "viewer": viewer} {
		if code := c.closeCode(t); code != 4404 {
			t.Errorf("the %s's socket closed with %d; want 4404", name, code)
		}
	}
	await(t, ts.sig, "the JSON client to be closed", legacy.closed)
	for _, id := range []string{r.id, r.view} {
		status, got := ts.do(t, "GET", "/rooms/"+id, "")
		wantStatus(t, "GET after DELETE", status, got, http.StatusNotFound, "not_found")
	}
	status, got = ts.doAs(t, r.token, "DELETE", "/rooms/"+r.id, "")
	wantStatus(t, "DELETE again", status, got, http.StatusNotFound, "not_found")
}
