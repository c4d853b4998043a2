// Command genv4 writes testdata/v4.db, a pairpad.db in the embedded store's fourth layout
// (appends in a journal, which this program never fills enough to fold; no deleted rooms and
// no opened_at): go run ./store/embedded/testdata/genv4 DIR. It writes the rooms genv2 wrote
// for v2.db (the program of commit 5ecf005), so TestLayout4 expects the same rooms as
// TestLayout2.
package main

import (
	"bytes"
	"context"
	"log"
	"os"
	"time"

	"github.com/pairpad/pairpad/store"
	"github.com/pairpad/pairpad/store/embedded"
)

func main() {
	ctx := context.Background()
	s, err := embedded.Open(os.Args[1])
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	created := time.Date(2025, 3, 14, 15, 9, 26, 535_000_000, time.UTC)
	must := func(err error) {
		if err != nil {
			log.Fatal(err)
		}
	}
	create := func(id string, at time.Time, initial []byte) {
		must(s.CreateRoom(ctx, store.Room{ID: id, CreatedAt: at}, initial))
	}
	// appendAll appends one batch; entry i of the room's log has the time created+i s and the
	// session "conn-<id>", except where a test wants the zero time and the empty session.
	appendAll := func(id string, entries ...store.Entry) {
		_, err := s.Append(ctx, id, entries)
		must(err)
	}
	entry := func(update string, second int) store.Entry {
		return store.Entry{Update: []byte(update), Time: created.Add(time.Duration(second) * time.Second), Session: "conn-" + update}
	}
	// plain: a log never compacted, appended in two batches, one entry without time or session.
	create("plain", created, []byte("init-plain"))
	appendAll("plain", entry("a", 1), entry("b", 2))
	appendAll("plain", store.Entry{Update: []byte("c")})
	// compacted: a snapshot at seq 3 and the two entries after it.
	create("compacted", created.Add(time.Hour), []byte("init"))
	appendAll("compacted", entry("u1", 1), entry("u2", 2), entry("u3", 3), entry("u4", 4), entry("u5", 5))
	must(s.Compact(ctx, "compacted", store.Snapshot{Seq: 3, State: []byte("state-3")}))
	// ünï/✓: binary and empty updates, and its whole log compacted away before one more append.
	create("ünï/✓", created.Add(time.Minute), nil)
	appendAll("ünï/✓", store.Entry{Update: []byte{0, 255, 1}}, store.Entry{Update: []byte{}})
	must(s.Compact(ctx, "ünï/✓", store.Snapshot{Seq: 2, State: []byte{0xff, 0}}))
	appendAll("ünï/✓", store.Entry{Update: []byte{}, Session: "é"}, store.Entry{Update: []byte{7}, Time: created})
	// emptied: every entry compacted away; its next seq is 3.
	create("emptied", created.Add(2*time.Hour), []byte("init"))
	appendAll("emptied", entry("x", 1), entry("y", 2))
	must(s.Compact(ctx, "emptied", store.Snapshot{Seq: 2, State: []byte("state-2")}))
	// big: a snapshot in overflow pages and a log longer than a page.
	create("big", created.Add(3*time.Hour), bytes.Repeat([]byte("0123456789abcdef"), 1280))
	for batch := range 4 {
		var entries []store.Entry
		for i := batch * 50; i < (batch+1)*50; i++ {
			entries = append(entries, store.Entry{Update: bytes.Repeat([]byte{byte(i)}, 40), Time: created.Add(time.Duration(i) * time.Millisecond), Session: "big"})
		}
		appendAll("big", entries...)
	}
	must(s.Compact(ctx, "big", store.Snapshot{Seq: 100, State: bytes.Repeat([]byte("fedcba9876543210"), 2560)}))
}
