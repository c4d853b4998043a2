package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pairpad/pairpad/crdt"
	"github.com/pairpad/pairpad/crdt/protocol"
	"github.com/pairpad/pairpad/server/internal/room"
)

// historyOf returns GET /rooms/{id}/history?query as versions.
func (ts *testServer) historyOf(t *testing.T, token, id, query string) []versionResponse {
	t.Helper()
	req, _ := http.NewRequest("GET", ts.URL+"/rooms/"+id+"/history"+query, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var versions []versionResponse
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&versions) != nil {
		t.Fatalf("GET history%s = %d", query, resp.StatusCode)
	}
	return versions
}

// textAtSeq returns the code right after entry seq (GET /rooms/{id}/history/{seq}).
func (ts *testServer) textAtSeq(t *testing.T, id string, seq uint64) string {
	t.Helper()
	status, got := ts.do(t, "GET", fmt.Sprintf("/rooms/%s/history/%d", id, seq), "")
	if status != http.StatusOK {
		t.Fatalf("GET history/%d = %d %v", seq, status, got)
	}
	return got["code"].(string)
}

// named sets the client's awareness name.
func (c *yclient) named(name string) {
	state := fmt.Sprintf(`{"user":{"name":%q}}`, name)
	c.send(protocol.EncodeAwarenessMessage(protocol.EncodeAwarenessUpdate([]protocol.Entry{{Client: c.doc.ClientID(), Clock: 1, State: json.RawMessage(state)}})))
}

// TestHistory: bursts of editing become versions, newest first, with their authors and sizes;
// the text at any version survives compaction and a restart; viewers may not read it.
func TestHistory(t *testing.T) {
	dir := t.TempDir()
	opts := Options{Rooms: RoomOptions{VersionPause: 300 * time.Millisecond, CompactEntries: 3}}
	ts := newTestServerIn(t, dir, opts)
	r := ts.createOwnedRoom(t)
	ada := dialYjs(t, ts, r.id, 1)
	legacy := dialSeed(t, ts, r.id)
	await(t, ts.sig, "the clients to sync", func() bool { return ada.String() != "" && legacy.Code() != "" })
	start := ada.String()
	ada.named("Ada") // on the same socket as the edits, so handled before them

	for _, s := range []string{"o", "n", "e"} {
		ada.edit(func(tx *crdt.Transaction, x *crdt.Text) error { return x.Insert(tx, x.Len(), s) })
	}
	await(t, ts.sig, "Ada's burst", func() bool { return legacy.Code() == start+"one" })
	time.Sleep(400 * time.Millisecond) // a pause: a new version
	legacy.sendCode(start + "one two")
	await(t, ts.sig, "the legacy edit", func() bool { return ada.String() == start+"one two" })

	versions := ts.historyOf(t, "", r.id, "")
	if len(versions) != 2 {
		t.Fatalf("history = %+v; want 2 versions", versions)
	}
	newest, first := versions[0], versions[1]
	if first.First != 1 || first.Seq != 3 || fmt.Sprint(first.Authors) != "[Ada]" || first.Added != 3 || first.Removed != 0 {
		t.Errorf("the first version = %+v; want entries 1-3 by Ada, +3", first)
	}
	if newest.First != 4 || fmt.Sprint(newest.Authors) != "[legacy client]" || newest.Added != 4 {
		t.Errorf("the second version = %+v; want from entry 4, by the legacy client, +4", newest)
	}
	if got := ts.textAtSeq(t, r.id, first.Seq); got != start+"one" {
		t.Errorf("the text of the first version = %q; want %q", got, start+"one")
	}
	if got := ts.textAtSeq(t, r.id, 0); got != start {
		t.Errorf("the text at 0 = %q; want the starter code", got)
	}
	if page := ts.historyOf(t, "", r.id, fmt.Sprintf("?before=%d&limit=1", newest.Seq)); len(page) != 1 || page[0].Seq != first.Seq {
		t.Errorf("the page before the newest = %+v; want the first version", page)
	}
	checkPlayback(t, ts, r.id, first.Seq, start+"one", start+"one two")
	status, got := ts.do(t, "GET", "/rooms/"+r.view+"/history", "")
	wantStatus(t, "GET history with the view link", status, got, http.StatusForbidden, "forbidden")
	if owner := ts.historyOf(t, r.token, r.view, ""); len(owner) != 2 {
		t.Errorf("the owner with the view link sees %d versions; want 2", len(owner))
	}
	status, got = ts.do(t, "GET", "/rooms/"+r.id+"/history/99", "")
	wantStatus(t, "GET history of an entry not written", status, got, http.StatusNotFound, "not_found")

	// Compacted (every 3 entries) and restarted, the history is the same.
	ts.Close()
	ts.srv.Shutdown(t.Context())
	ts.store.Close()
	ts = newTestServerIn(t, dir, opts)
	after := ts.historyOf(t, "", r.id, "")
	if len(after) != 2 || fmt.Sprint(after[1]) != fmt.Sprint(first) || after[0].First != newest.First {
		t.Errorf("after a restart the history is %+v; want %+v", after, versions)
	}
	if got := ts.textAtSeq(t, r.id, first.Seq); got != start+"one" {
		t.Errorf("after a restart the text of the first version = %q", got)
	}
}

// TestRestoreWhileTyping: a restore is an edit of the server's on top of the document: two
// clients typing meanwhile keep every keystroke the restore did not replace, and the restore
// is a version of its own.
func TestRestoreWhileTyping(t *testing.T) {
	ts := newTestServer(t, Options{Rooms: RoomOptions{VersionPause: 200 * time.Millisecond}})
	r := ts.createOwnedRoom(t)
	var typists []*yclient
	for i := range 2 {
		y := dialYjs(t, ts, r.id, uint64(31+i))
		await(t, ts.sig, "a typist to sync", func() bool { return y.String() != "" })
		y.edit(func(tx *crdt.Transaction, x *crdt.Text) error {
			return x.Insert(tx, x.Len(), fmt.Sprintf("\n#%c:", 'A'+i))
		})
		typists = append(typists, y)
	}
	await(t, ts.sig, "both lines", func() bool {
		return strings.Contains(typists[0].String(), "#B:") && strings.Contains(typists[1].String(), "#A:")
	})
	time.Sleep(300 * time.Millisecond)
	target := ts.historyOf(t, "", r.id, "")[0].Seq
	want := ts.textAtSeq(t, r.id, target)

	// Both type tokens at the ends of their lines; a token a typist types after it saw the
	// restore's text must be kept.
	var mu sync.Mutex
	seen := make([]bool, 2)
	after := make([][]string, 2)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i, y := range typists {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				case <-time.After(10 * time.Millisecond):
				}
				token := fmt.Sprintf("[%c%d]", 'a'+i, n)
				mu.Lock()
				if seen[i] {
					after[i] = append(after[i], token)
				}
				mu.Unlock()
				y.edit(func(tx *crdt.Transaction, x *crdt.Text) error {
					s := x.String()
					at := strings.Index(s, fmt.Sprintf("#%c:", 'A'+i))
					if at < 0 {
						return nil
					}
					end := at + strings.IndexByte(s[at:]+"\n", '\n')
					return x.Insert(tx, len16(s[:end]), token)
				})
			}
		}()
	}
	time.Sleep(300 * time.Millisecond)
	status, got := ts.do(t, "POST", "/rooms/"+r.id+"/restore", fmt.Sprintf(`{"seq":%d}`, target))
	if status != http.StatusOK {
		t.Fatalf("restore = %d %v", status, got)
	}
	restoreSeq := uint64(got["seq"].(float64))
	for i, y := range typists {
		await(t, ts.sig, "the typist to see the restore", func() bool { return !strings.Contains(y.String(), "[a0]") && !strings.Contains(y.String(), "[b0]") })
		mu.Lock()
		seen[i] = true
		mu.Unlock()
	}
	time.Sleep(300 * time.Millisecond)
	close(stop)
	wg.Wait()
	await(t, ts.sig, "the typists to converge", func() bool { return typists[0].String() == typists[1].String() })
	time.Sleep(100 * time.Millisecond)
	code := typists[0].String()
	for i := range after {
		if len(after[i]) == 0 {
			t.Fatalf("typist %d typed nothing after the restore", i)
		}
		for _, token := range after[i] {
			if n := strings.Count(code, token); n != 1 {
				t.Errorf("token %s, typed after the restore, is in the code %d times", token, n)
			}
		}
	}
	if got := ts.textAtSeq(t, r.id, restoreSeq); got != want {
		t.Errorf("the text right after the restore's entry = %q; want the restored text %q", got, want)
	}
	versions := ts.historyOf(t, "", r.id, "")
	found := false
	for _, v := range versions {
		found = found || v.Restore == target && v.Seq == restoreSeq && v.First == restoreSeq
	}
	if !found {
		t.Errorf("no version of its own restores %d at %d: %+v", target, restoreSeq, versions)
	}
	status, got = ts.do(t, "POST", "/rooms/"+r.view+"/restore", `{"seq":1}`)
	wantStatus(t, "restore with the view link", status, got, http.StatusForbidden, "forbidden")
}

// TestHistoryBounded: past MaxHistoryBytes, compactions drop the older half of a room's
// history: its oldest texts are gone (404), its recent ones stay, and it stays near the cap.
func TestHistoryBounded(t *testing.T) {
	const maxBytes = 8 << 10
	ts := newTestServer(t, Options{Rooms: RoomOptions{CompactEntries: 20, MaxHistoryBytes: maxBytes}})
	r := ts.createOwnedRoom(t)
	y := dialYjs(t, ts, r.id, 1)
	legacy := dialSeed(t, ts, r.id)
	await(t, ts.sig, "the clients to sync", func() bool { return y.String() != "" && legacy.Code() != "" })
	for i := range 600 {
		y.edit(func(tx *crdt.Transaction, x *crdt.Text) error {
			return x.Insert(tx, x.Len(), fmt.Sprintf("line %d\n", i))
		})
	}
	await(t, ts.sig, "every edit", func() bool { return strings.Contains(legacy.Code(), "line 599\n") })
	y.closeNow()
	legacy.closeNow()
	ts.awaitIdle(t) // the room unloads once its last compaction, and trim, are over

	n, err := ts.store.HistoryBytes(t.Context(), r.id)
	if err != nil {
		t.Fatal(err)
	}
	if n > 3*maxBytes {
		t.Errorf("the history holds %d bytes; want about %d at most", n, maxBytes)
	}
	status, got := ts.do(t, "GET", "/rooms/"+r.id+"/history/1", "")
	wantStatus(t, "GET the text of the first entry", status, got, http.StatusNotFound, "not_found")
	if code := ts.textAtSeq(t, r.id, 600); !strings.HasSuffix(code, "line 599\n") {
		t.Errorf("the text of the last entry ends %q", code[max(0, len(code)-20):])
	}
}

// checkPlayback gets the playback from seq and replays it with a Yjs document: its state is
// the text at seq, and its updates, applied in order, lead to the code now.
func checkPlayback(t *testing.T, ts *testServer, id string, seq uint64, at, now string) {
	t.Helper()
	resp, err := http.Get(fmt.Sprintf("%s/rooms/%s/history/%d/updates?limit=2", ts.URL, id, seq))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got struct {
		Seq     uint64
		State   []byte
		Updates []struct {
			Seq    uint64
			Author string
			Update []byte
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET playback = %d %v", resp.StatusCode, err)
	}
	doc, _ := crdt.NewDoc(crdt.Options{ClientID: 99})
	text, _ := doc.GetText(room.CodeRoot)
	if err := doc.ApplyUpdate(got.State); err != nil || text.String() != at {
		t.Fatalf("the playback's state holds %q (%v); want %q", text.String(), err, at)
	}
	if len(got.Updates) != 1 || got.Updates[0].Seq != seq+1 || got.Updates[0].Author != "legacy client" {
		t.Fatalf("the playback's updates = %+v; want entry %d, by the legacy client", got.Updates, seq+1)
	}
	if err := doc.ApplyUpdate(got.Updates[0].Update); err != nil || text.String() != now {
		t.Errorf("replayed, the code is %q (%v); want %q", text.String(), err, now)
	}
}
