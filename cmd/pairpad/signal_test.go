package main

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/pairpad/pairpad/crdt"
)

// SIGTERM stops accepting, closes every WebSocket as going away, ends every event stream,
// flushes every room and exits 0; a restart on the same store serves what clients had sent.
func TestSIGTERMFlushesAndExitsCleanly(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	dataDir := "DATA_DIR=" + t.TempDir()
	srv := startServer(t, bin, dataDir)
	id := createRoom(t, srv.addr)
	c := dialYjs(t, srv.addr, id, newDoc(t, 77))
	waitSynced(t, c)
	for i := range 20 {
		c.edit(func(tx *crdt.Transaction, x *crdt.Text) { x.Insert(tx, x.Len(), string(rune('a'+i))) })
	}
	want := ""
	eventually(t, "the edits to reach the server", func() bool {
		want = c.String()
		return strings.HasSuffix(want, "t") && getCode(t, srv.addr, id) == want
	})

	// A watcher of the room's runs: its stream is a request in progress, which the HTTP
	// server's shutdown would wait for (20 s) if the server did not end it.
	watch, err := http.Get("http://" + srv.addr + "/rooms/" + id + "/runs/events")
	if err != nil || watch.StatusCode != http.StatusOK {
		t.Fatalf("GET runs/events: %v %v", watch, err)
	}
	defer watch.Body.Close()

	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-srv.exited:
	case <-time.After(10 * time.Second):
		t.Fatal("no exit within 10 s of SIGTERM")
	}
	if srv.waitErr != nil {
		t.Fatalf("exit after SIGTERM: %v, want status 0", srv.waitErr)
	}
	<-c.done
	var ce websocket.CloseError
	if !errors.As(c.err, &ce) || ce.Code != websocket.StatusGoingAway {
		t.Errorf("the client's connection ended with %v, want close 1001", c.err)
	}

	restarted := startServer(t, bin, dataDir)
	if got := getCode(t, restarted.addr, id); got != want {
		t.Errorf("after a restart the code is %q, want %q", got, want)
	}
}

func getCode(t *testing.T, addr, id string) string {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/rooms/" + id)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got struct{ Code string }
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	return got.Code
}
