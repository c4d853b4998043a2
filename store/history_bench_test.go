package store_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pairpad/pairpad/crdt"
	"github.com/pairpad/pairpad/internal/traces"
	"github.com/pairpad/pairpad/store"
	"github.com/pairpad/pairpad/store/embedded"
)

// traceFile is the automerge-paper editing trace, in $TRACES_DIR or else ../shared/traces beside
// the repository.
func traceFile() string {
	dir := os.Getenv("TRACES_DIR")
	if dir == "" {
		dir = "../../shared/traces"
	}
	return filepath.Join(dir, "automerge-paper.json.gz")
}

// traceUpdates replays the trace's patches as local edits, one transaction each, and returns
// each transaction's update and the document's state after every edit in states (by seq).
func traceUpdates(b *testing.B, states map[int][]byte, every int) [][]byte {
	tr, err := traces.Load(traceFile())
	if err != nil {
		b.Skipf("no trace: %v", err)
	}
	doc, err := crdt.NewDoc(crdt.Options{ClientID: 1})
	if err != nil {
		b.Fatal(err)
	}
	text, err := doc.GetText("text")
	if err != nil {
		b.Fatal(err)
	}
	var updates [][]byte
	err = traces.ReplayInto(tr, doc, text, func(update []byte) {
		updates = append(updates, update)
		if len(updates)%every == 0 {
			if states[len(updates)], err = doc.EncodeStateAsUpdate(nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	if err != nil {
		b.Fatal(err)
	}
	return updates
}

// BenchmarkHistoryTrace stores the automerge-paper trace (259,778 edits) as a room's history,
// one entry per edit with a time and an author, appended in group commits of 50 entries,
// compacted every 500 entries as the server does and marked a checkpoint every checkpoint=N
// entries, in the embedded store and in Postgres (skipped without TEST_DATABASE_URL). It prints
//
//	RESULT history-bytes-per-edit checkpoint=<N> store=<name> <bytes>
//	RESULT history-rebuild checkpoint=<N> store=<name> median=<ms> max=<ms>
//
// Bytes are the growth of the database file (embedded) or of the schema's tables and indexes
// (Postgres, pg_total_relation_size after VACUUM) divided by the edits. A rebuild is the text at
// a seq: Checkpoint, Entries up to it, and applying both to a new crdt.Doc; 200 seqs spread
// over the trace, each the last before a checkpoint (the slowest).
//
// On a 2-core machine (TRACES_DIR=/work/shared/traces, one run): a checkpoint every 1000 entries
// costs 196 bytes per edit in the embedded store and 298 in Postgres, and rebuilds any seq in
// at most 12 ms (median 2.3) and 27 ms (median 7.8); every 5000 entries, 64 and 297 bytes per
// edit, and at most 50 and 69 ms. A checkpoint every 1000 entries keeps rebuilds well under
// 100 ms.
func BenchmarkHistoryTrace(b *testing.B) {
	const compactEvery, batch = 500, 50
	for _, every := range []int{1000, 5000} {
		states := make(map[int][]byte)
		updates := traceUpdates(b, states, compactEvery)
		for _, be := range []struct {
			name string
			open func(b *testing.B) (store.Store, func() int64)
		}{{"embedded", openEmbeddedSize}, {"postgres", openPostgresSize}} {
			b.Run(fmt.Sprintf("checkpoint=%d/store=%s", every, be.name), func(b *testing.B) {
				for b.Loop() {
					s, size := be.open(b)
					ctx := b.Context()
					if err := s.CreateRoom(ctx, store.Room{ID: "trace", CreatedAt: time.Now()}, nil); err != nil {
						b.Fatal(err)
					}
					before := size()
					at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
					for i := 0; i < len(updates); i += batch {
						var entries []store.Entry
						for j := i; j < min(i+batch, len(updates)); j++ {
							entries = append(entries, store.Entry{Update: updates[j], Time: at.Add(time.Duration(j) * time.Second), Session: "N2Rk0b3hS8GJm5xQe1Vw_A", Author: "Martin Kleppmann"})
						}
						last, err := s.Append(ctx, "trace", entries)
						if err != nil {
							b.Fatal(err)
						}
						if state, ok := states[int(last)]; ok {
							if err := s.Compact(ctx, "trace", store.Snapshot{Seq: last, State: state, Checkpoint: int(last)%every == 0}); err != nil {
								b.Fatal(err)
							}
						}
					}
					perEdit := float64(size()-before) / float64(len(updates))
					fmt.Printf("RESULT history-bytes-per-edit checkpoint=%d store=%s %.1f\n", every, be.name, perEdit)
					b.ReportMetric(perEdit, "B/edit")
					var ms []float64
					for k := 1; k <= 200; k++ {
						seq := uint64(k*len(updates)/200) / uint64(every) * uint64(every)
						if seq > 0 {
							seq--
						}
						start := time.Now()
						rebuild(b, s, seq)
						ms = append(ms, float64(time.Since(start).Microseconds())/1000)
					}
					slices.Sort(ms)
					fmt.Printf("RESULT history-rebuild checkpoint=%d store=%s median=%.1f max=%.1f ms\n", every, be.name, ms[len(ms)/2], ms[len(ms)-1])
					b.ReportMetric(ms[len(ms)-1], "max-rebuild-ms")
				}
			})
		}
	}
}

// rebuild returns the text of room "trace" at seq, from the store's history.
func rebuild(b *testing.B, s store.Store, seq uint64) string {
	ctx := b.Context()
	snap, err := s.Checkpoint(ctx, "trace", seq)
	if err != nil {
		b.Fatal(err)
	}
	doc, err := crdt.NewDoc(crdt.Options{ClientID: 2})
	if err != nil {
		b.Fatal(err)
	}
	if len(snap.State) > 0 {
		if err := doc.ApplyUpdate(snap.State); err != nil {
			b.Fatal(err)
		}
	}
	for after := snap.Seq; after < seq; {
		entries, err := s.Entries(ctx, "trace", after, seq, 1000)
		if err != nil {
			b.Fatal(err)
		}
		for _, e := range entries {
			if err := doc.ApplyUpdate(e.Update); err != nil {
				b.Fatal(err)
			}
		}
		after = entries[len(entries)-1].Seq
	}
	text, err := doc.GetText("text")
	if err != nil {
		b.Fatal(err)
	}
	return text.String()
}

// openEmbeddedSize opens an embedded store and a function that returns its file's size.
func openEmbeddedSize(b *testing.B) (store.Store, func() int64) {
	dir := b.TempDir()
	s, err := embedded.Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s, func() int64 {
		fi, err := os.Stat(filepath.Join(dir, embedded.FileName))
		if err != nil {
			b.Fatal(err)
		}
		return fi.Size()
	}
}

// openPostgresSize opens a store in a new schema (openPostgres) and a function that returns the
// size of the schema's tables, their TOAST tables and indexes.
func openPostgresSize(b *testing.B) (store.Store, func() int64) {
	s, _ := openPostgres(b)
	conn, err := pgx.Connect(b.Context(), os.Getenv("TEST_DATABASE_URL"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close(context.Background()) })
	return s, func() int64 {
		var n int64
		err := conn.QueryRow(b.Context(), `
			SELECT sum(pg_total_relation_size(c.oid))::bigint FROM pg_class c
			JOIN pg_namespace ns ON ns.oid = c.relnamespace
			WHERE ns.nspname = (SELECT nspname FROM pg_namespace WHERE nspname LIKE 'pairpad_bench_%' AND
				EXISTS (SELECT FROM pg_class t WHERE t.relnamespace = pg_namespace.oid AND t.relname = 'room_log')
				ORDER BY oid DESC LIMIT 1) AND c.relkind = 'r'`).Scan(&n)
		if err != nil {
			b.Fatal(err)
		}
		return n
	}
}
