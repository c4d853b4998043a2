package server

import (
	"net/http"
	"testing"

	"github.com/pairpad/pairpad/crdt"
	"github.com/pairpad/pairpad/server/internal/room"
	"github.com/pairpad/pairpad/store"
)

// TestLoadSetsAsideBadEntry stores a log entry that does not decode between good ones (as the
// server's edit at clock 2^53-1 did in issue 12, item 2, after which every GET was 503): the room
// loads without it, logs and counts it, keeps it in the store, and goes on taking edits.
func TestLoadSetsAsideBadEntry(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Options{})
	id := ts.createRoom(t, "")
	snap, _, err := ts.store.Load(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	client, err := crdt.NewDoc(crdt.Options{ClientID: 7})
	if err != nil {
		t.Fatal(err)
	}
	text, _ := client.GetText(room.CodeRoot)
	if err := client.ApplyUpdate(snap.State); err != nil {
		t.Fatal(err)
	}
	insert := func(s string) store.Entry {
		u, err := client.Transact(func(tx *crdt.Transaction) error { return text.Insert(tx, text.Len(), s) })
		if err != nil {
			t.Fatal(err)
		}
		return store.Entry{Update: u}
	}
	entries := []store.Entry{insert("one"), {Update: []byte("\x01\x01garbage")}, insert("two")}
	if _, err := ts.store.Append(t.Context(), id, entries); err != nil {
		t.Fatal(err)
	}

	want := text.String()
	if status, got := ts.do(t, "GET", "/rooms/"+id, ""); status != http.StatusOK || got["code"] != want {
		t.Fatalf("GET /rooms/%s = %d %v, want 200 with code %q", id, status, got, want)
	}
	if status, got := ts.do(t, "PATCH", "/rooms/"+id, `{"language":"go"}`); status != http.StatusOK || got["language"] != "go" {
		t.Errorf("PATCH /rooms/%s = %d %v, want 200 with language go", id, status, got)
	}
	// The room unloads when nobody uses it: each load counts the entry again.
	if n := ts.scrape(t)[`pairpad_entries_set_aside_total`]; n < 1 {
		t.Errorf("pairpad_entries_set_aside_total = %v, want at least 1", n)
	}

	// Unloading keeps the log, bad entry included, uncompacted; the room loads again.
	ts.awaitIdle(t)
	_, stored, err := ts.store.Load(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != 4 || string(stored[1].Update) != string(entries[1].Update) {
		t.Errorf("the store holds %d entries after the room unloaded, want 4 with the bad one second", len(stored))
	}
	if status, got := ts.do(t, "GET", "/rooms/"+id, ""); status != http.StatusOK || got["code"] != want || got["language"] != "go" {
		t.Errorf("GET /rooms/%s after reload = %d %v", id, status, got)
	}
}
