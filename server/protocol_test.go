package server

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/pairpad/pairpad/crdt"
)

func TestSocketOriginCheck(t *testing.T) {
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

func TestLegacyOversizedMessage(t *testing.T) {
	ts := newTestServer(t, Options{MaxMessageBytes: 1 << 12})
	id := ts.createRoom(t, "")
	l := dialLegacy(t, ts, id)
	eventually(t, "the starter code", func() bool { code, _, _, _ := l.state(); return code != "" })
	l.sendCode(strings.Repeat("x", 1<<13))
	<-l.done
	if got := closeStatus(t, l.err); got != websocket.StatusMessageTooBig {
		t.Errorf("oversized legacy message: %v, want close 1009", l.err)
	}
	// The room goes on.
	y := dialYjs(t, ts, id, 5)
	eventually(t, "a new client to sync", func() bool { return strings.HasPrefix(y.String(), "#") })
}

// Past the compaction threshold the room writes a snapshot and drops the log it covers; the
// room reloads from it to the same text.
func TestRoomCompactsItsLog(t *testing.T) {
	ts := newTestServer(t, Options{Rooms: RoomOptions{CompactEntries: 20}})
	id := ts.createRoom(t, "")
	c := dialYjs(t, ts, id, 9)
	eventually(t, "sync", func() bool { return c.String() != "" })
	for i := range 75 {
		c.edit(func(tx *crdt.Transaction, x *crdt.Text) { x.Insert(tx, x.Len(), string(rune('a'+i%26))) })
		time.Sleep(time.Millisecond) // separate commits
	}
	want := ""
	eventually(t, "the edits to be committed", func() bool {
		_, got := ts.do(t, "GET", "/rooms/"+id, "")
		want = c.String()
		return got["code"] == want && strings.HasSuffix(want, "w")
	})
	// The room compacts right after the commit that crosses the threshold, which may be just
	// after the reply above.
	eventually(t, "a snapshot and fewer than 20 log entries after it", func() bool {
		snap, entries, err := ts.store.Load(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		return snap.Seq > 0 && len(entries) < 20
	})
	doc, _, _, _, err := loadDoc(context.Background(), ts.store, id)
	if err != nil {
		t.Fatal(err)
	}
	text, _ := doc.GetText(codeRoot)
	if text.String() != want {
		t.Errorf("reloaded text %q, want %q", text.String(), want)
	}
}

// An idle client still gets a message every KeepaliveInterval (y-websocket clients reconnect
// after 30 s without one); the keepalive is an awareness update that changes nothing.
func TestKeepalive(t *testing.T) {
	ts := newTestServer(t, Options{Rooms: RoomOptions{KeepaliveInterval: 40 * time.Millisecond}})
	id := ts.createRoom(t, "")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, wsURL(ts, "/yjs/"+id), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(websocket.StatusNormalClosure, "")
	keepalives := 0
	for keepalives < 3 {
		_, data, err := conn.Read(ctx)
		if err != nil {
			t.Fatalf("after %d keepalives: %v", keepalives, err)
		}
		if string(data) == "\x01\x01\x00" { // awareness, an update with no entries
			keepalives++
		}
	}
}
