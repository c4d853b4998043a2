// Command genv1 writes testdata/v1.db, a pairpad.db in the embedded store's first layout
// (before entries kept a time and a session): go run ./store/embedded/testdata/genv1 DIR.
package main

import (
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
	appendAll := func(id string, updates ...string) {
		var us [][]byte
		for _, u := range updates {
			us = append(us, []byte(u))
		}
		_, err := s.Append(ctx, id, us)
		must(err)
	}
	// plain: a log never compacted, appended in two batches.
	must(s.CreateRoom(ctx, store.Room{ID: "plain", Language: "python", CreatedAt: created}, []byte("init-plain")))
	appendAll("plain", "a", "b")
	appendAll("plain", "c")
	// compacted: a snapshot at seq 3 and the two entries after it; its language changed.
	must(s.CreateRoom(ctx, store.Room{ID: "compacted", Language: "go", CreatedAt: created.Add(time.Hour)}, []byte("init")))
	appendAll("compacted", "u1", "u2", "u3", "u4", "u5")
	must(s.Compact(ctx, "compacted", store.Snapshot{Seq: 3, State: []byte("state-3")}))
	must(s.SetLanguage(ctx, "compacted", "rust"))
	// ünï/✓: binary and empty updates, and its whole log compacted away before one more append.
	must(s.CreateRoom(ctx, store.Room{ID: "ünï/✓", Language: "", CreatedAt: created.Add(time.Minute)}, nil))
	_, err = s.Append(ctx, "ünï/✓", [][]byte{{0, 255, 1}, {}})
	must(err)
	must(s.Compact(ctx, "ünï/✓", store.Snapshot{Seq: 2, State: []byte{0xff, 0}}))
	_, err = s.Append(ctx, "ünï/✓", [][]byte{{}, {7}})
	must(err)
}
