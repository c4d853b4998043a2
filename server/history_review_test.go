package server

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pairpad/pairpad/crdt"
	"github.com/pairpad/pairpad/server/internal/room"
)

// TestHistoryLimitOneWhileOpen: a page of one version while one is being written is that one
// (the store is not asked for zero more).
func TestHistoryLimitOneWhileOpen(t *testing.T) {
	ts := newTestServer(t, Options{Rooms: RoomOptions{VersionPause: time.Hour}})
	r := ts.createOwnedRoom(t)
	y := dialYjs(t, ts, r.id, 7)
	await(t, ts.sig, "sync", func() bool { return y.String() != "" })
	y.edit(insertAt0("x"))
	for deadline := time.Now().Add(awaitTimeout); len(ts.historyOf(t, "", r.id, "")) == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the edit made no version")
		}
	}
	if page := ts.historyOf(t, "", r.id, "?limit=1"); len(page) != 1 || page[0].Seq != 1 {
		t.Errorf("GET history?limit=1 with a version being written = %+v; want it", page)
	}
}

// TestLockAfterRotationKeepsNewLinks: a lock resolved before a rotation, and carried out after
// it, changes the access as stored: the replaced link stays replaced, the new one works.
func TestLockAfterRotationKeepsNewLinks(t *testing.T) {
	ts := newTestServer(t, Options{})
	r := ts.createOwnedRoom(t)
	g, err := ts.srv.resolve(t.Context(), r.id) // PATCH {"locked":true} resolved here ...
	if err != nil {
		t.Fatal(err)
	}
	status, got := ts.doAs(t, r.token, "POST", "/rooms/"+r.id+"/links/rotate", `{"role":"viewer"}`) // ... rotation lands
	if status != 200 {
		t.Fatal(status, got)
	}
	newView := got["viewId"].(string)
	req := httptest.NewRequest("PATCH", "/rooms/"+r.id, nil)
	req.Header.Set("Authorization", "Bearer "+r.token)
	if _, err := ts.srv.setLocked(req, g, true); err != nil { // ... then the PATCH writes its stale access
		t.Fatal(err)
	}
	if status, _ := ts.do(t, "GET", "/rooms/"+r.view, ""); status != http.StatusNotFound {
		t.Errorf("the rotated-away view link answers %d after a concurrent lock; want 404", status)
	}
	if status, _ := ts.do(t, "GET", "/rooms/"+newView, ""); status != http.StatusOK {
		t.Errorf("the new view link the rotation returned answers %d; want 200", status)
	}
}

// TestEditsWithARotatedLinkRefused: a restore or a language change resolved with the edit link
// before a rotation reaches the room after it: the room refuses it, as it refuses a join.
func TestEditsWithARotatedLinkRefused(t *testing.T) {
	ts := newTestServer(t, Options{})
	r := ts.createOwnedRoom(t)
	g, _ := ts.srv.resolve(t.Context(), r.id) // restoreRoom's historyReader; then rebuild takes a while
	status, _ := ts.doAs(t, r.token, "POST", "/rooms/"+r.id+"/links/rotate", `{"role":"editor"}`)
	if status != 200 {
		t.Fatal(status)
	}
	if _, err := ts.srv.rooms.restore(t.Context(), g, "pwned", 0); !errors.Is(err, room.ErrLinkRevoked) {
		t.Errorf("a restore resolved with the old edit link, carried out after the rotation: %v; want ErrLinkRevoked", err)
	}
	if _, err := ts.srv.rooms.query(t.Context(), g, "go", false); !errors.Is(err, room.ErrLinkRevoked) {
		t.Errorf("a language change resolved with the old edit link was carried out after the rotation")
	}
}

// TestRestoreBoundedByRoomSize: restores, each writing a whole text into the log, are bounded
// by MaxRoomBytes and by the room's restore rate, not only by what a request body holds.
func TestRestoreBoundedByRoomSize(t *testing.T) {
	ts := newTestServer(t, Options{Rooms: RoomOptions{MaxRoomBytes: 8000, VersionPause: 50 * time.Millisecond}})
	r := ts.createOwnedRoom(t)
	y := dialYjs(t, ts, r.id, 7)
	await(t, ts.sig, "sync", func() bool { return y.String() != "" })
	a := strings.Repeat("a", 1500)
	y.edit(func(tx *crdt.Transaction, x *crdt.Text) error { return x.Insert(tx, 0, a) })
	time.Sleep(300 * time.Millisecond)
	seqA := ts.historyOf(t, "", r.id, "")[0].Seq
	y.edit(func(tx *crdt.Transaction, x *crdt.Text) error { return x.Delete(tx, 0, x.Len()) })
	time.Sleep(200 * time.Millisecond)
	seqEmpty := ts.historyOf(t, "", r.id, "")[0].Seq
	ok := 0
	for i := 0; i < 10; i++ {
		seq := seqA
		if i%2 == 1 {
			seq = seqEmpty
		}
		status, got := ts.do(t, "POST", "/rooms/"+r.id+"/restore", fmt.Sprintf(`{"seq":%d}`, seq))
		if status == 200 {
			ok++
		} else {
			t.Logf("restore %d = %d %v", i, status, got)
		}
	}
	t.Logf("%d of 10 restores accepted (each ~1500 bytes into a room capped at 8000)", ok)
	t.Logf("text at seqA has %d bytes", len(ts.textAtSeq(t, r.id, seqA)))
	y.edit(insertAt0("z"))
	select {
	case <-y.done:
		t.Logf("an honest 1-byte edit afterwards closed the socket (room full)")
	case <-time.After(time.Second):
		t.Logf("an honest 1-byte edit afterwards was accepted")
	}
	if ok > 6 {
		t.Errorf("restores are not bounded by MaxRoomBytes: %d accepted", ok)
	}
}

// TestReservedAuthorNames: a client that calls itself "server" is recorded as anonymous.
func TestReservedAuthorNames(t *testing.T) {
	ts := newTestServer(t, Options{Rooms: RoomOptions{VersionPause: 50 * time.Millisecond}})
	r := ts.createOwnedRoom(t)
	y := dialYjs(t, ts, r.id, 7)
	await(t, ts.sig, "sync", func() bool { return y.String() != "" })
	y.named(room.AuthorServer)
	y.edit(insertAt0("evil"))
	time.Sleep(200 * time.Millisecond)
	v := ts.historyOf(t, "", r.id, "")
	t.Logf("authors: %v", v[0].Authors)
	if len(v[0].Authors) == 1 && v[0].Authors[0] == room.AuthorServer {
		t.Errorf("a client's edit is recorded as the server's")
	}
}

// TestOwnerRestoresWithViewLink: the owner restores with any link and the owner token.
func TestOwnerRestoresWithViewLink(t *testing.T) {
	ts := newTestServer(t, Options{})
	r := ts.createOwnedRoom(t)
	status, got := ts.doAs(t, r.token, "POST", "/rooms/"+r.view+"/restore", `{"seq":0}`)
	if status != http.StatusOK {
		t.Errorf("the owner's restore with the view link = %d %v; want 200", status, got)
	}
}

// TestOwnerLocksAndSetsLanguage: an owner's PATCH that locks and sets the language does both
// (the language first), and one that unlocks and sets it too.
func TestOwnerLocksAndSetsLanguage(t *testing.T) {
	ts := newTestServer(t, Options{})
	r := ts.createOwnedRoom(t)
	status, got := ts.doAs(t, r.token, "PATCH", "/rooms/"+r.id, `{"locked":true,"language":"go"}`)
	if status != http.StatusOK || got["locked"] != true || got["language"] != "go" {
		t.Errorf("lock and set the language = %d %v", status, got)
	}
	status, got = ts.doAs(t, r.token, "PATCH", "/rooms/"+r.id, `{"locked":false,"language":"rust"}`)
	if status != http.StatusOK || got["locked"] != false || got["language"] != "rust" {
		t.Errorf("unlock and set the language = %d %v", status, got)
	}
	status, got = ts.doAs(t, "", "PATCH", "/rooms/"+r.id, `{"locked":true,"language":"c"}`)
	wantStatus(t, "lock and set the language without the token", status, got, http.StatusUnauthorized, "unauthorized")
	if _, got := ts.do(t, "GET", "/rooms/"+r.id, ""); got["language"] != "rust" {
		t.Errorf("a refused PATCH changed the language to %v", got["language"])
	}
}
