package store_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pairpad/pairpad/store"
	"github.com/pairpad/pairpad/store/embedded"
	"github.com/pairpad/pairpad/store/postgres"
)

// appendFigures is what one backend's append costs in a room of one snapshot size.
type appendFigures struct {
	bytes float64 // bytes written per append
	ms    float64 // milliseconds per append
}

// backend opens an empty store, and a counter of the bytes it has written so far.
type backend struct {
	name string
	open func(b *testing.B) (store.Store, func() int64)
}

// BenchmarkAppendBySnapshot appends one small update per durable commit to a room whose
// snapshot is 1 KiB, 1 MiB or 32 MiB, in the embedded store and in Postgres (skipped without
// TEST_DATABASE_URL), and prints one line per figure:
//
//	RESULT append-bytes snapshot=<size> embedded=<bytes> postgres=<bytes> ratio=<postgres/embedded> bytes
//	RESULT append-time snapshot=<size> embedded=<ms> postgres=<ms> ratio=<postgres/embedded> ms
//
// An append's cost must not grow with the snapshot. The room has been compacted once, as a
// live room has, before appends are measured. Bytes written are, for the embedded store, the
// bytes the process passes to write system calls (wchar in Linux's /proc/self/io: bbolt writes
// its pages and meta page with pwrite, and nothing else writes meanwhile); for Postgres, the WAL
// its commits add (pg_current_wal_insert_lsn deltas). The WAL is the whole cluster's, so other
// work only adds to it: the least of several windows is kept. Time is the benchmark's time per
// append (ns/op).
func BenchmarkAppendBySnapshot(b *testing.B) {
	if _, err := processWritten(); err != nil {
		b.Skipf("counting bytes written needs Linux's /proc/self/io: %v", err)
	}
	backends := []backend{{"embedded", openEmbedded}, {"postgres", openPostgres}}
	for _, size := range []struct {
		name  string
		bytes int
	}{{"1KiB", 1 << 10}, {"1MiB", 1 << 20}, {"32MiB", 32 << 20}} {
		snapshot := make([]byte, size.bytes)
		mrand.NewChaCha8([32]byte{}).Read(snapshot) // incompressible, as TOAST would otherwise shrink it
		got := make(map[string]appendFigures)
		for _, be := range backends {
			b.Run(fmt.Sprintf("snapshot=%s/store=%s", size.name, be.name), func(b *testing.B) {
				got[be.name] = benchmarkAppend(b, be, snapshot)
			})
		}
		printAppendResult("append-bytes", "snapshot="+size.name, "bytes", "%.0f", got, func(f appendFigures) float64 { return f.bytes })
		printAppendResult("append-time", "snapshot="+size.name, "ms", "%.3f", got, func(f appendFigures) float64 { return f.ms })
	}
}

// benchmarkAppend measures appends to a room whose snapshot is snapshot: first the bytes each
// writes, then their time.
func benchmarkAppend(b *testing.B, be backend, snapshot []byte) appendFigures {
	s, written := be.open(b)
	ctx := b.Context()
	const id = "bench"
	if err := s.CreateRoom(ctx, store.Room{ID: id, CreatedAt: time.Now()}, snapshot); err != nil {
		b.Fatal(err)
	}
	entry := []store.Entry{{Update: bytes.Repeat([]byte{1}, 24), Time: time.Now(), Session: "N2Rk0b3hS8GJm5xQe1Vw_A"}}
	seq, err := s.Append(ctx, id, entry)
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Compact(ctx, id, store.Snapshot{Seq: seq, State: snapshot}); err != nil {
		b.Fatal(err)
	}
	appendN := func(n int) {
		for range n {
			if _, err := s.Append(ctx, id, entry); err != nil {
				b.Fatal(err)
			}
		}
	}
	const windows, perWindow = 5, 20
	var f appendFigures
	for i := range windows {
		before := written()
		appendN(perWindow)
		if perAppend := float64(written()-before) / perWindow; i == 0 || perAppend < f.bytes {
			f.bytes = perAppend
		}
	}
	n := 0
	for b.Loop() {
		appendN(1)
		n++
	}
	f.ms = float64(b.Elapsed().Microseconds()) / 1000 / float64(n)
	b.ReportMetric(f.bytes, "written-B/op")
	return f
}

// printAppendResult prints one RESULT line of op on input (such as snapshot=1KiB) from each
// backend's figures, "-" for a backend that was skipped.
func printAppendResult(op, input, unit, format string, got map[string]appendFigures, value func(appendFigures) float64) {
	show := func(name string) string {
		f, ok := got[name]
		if !ok {
			return "-"
		}
		return fmt.Sprintf(format, value(f))
	}
	ratio := "-"
	e, okE := got["embedded"]
	p, okP := got["postgres"]
	if okE && okP {
		ratio = fmt.Sprintf("%.2f", value(p)/value(e))
	}
	fmt.Printf("RESULT %s %s embedded=%s postgres=%s ratio=%s %s\n", op, input, show("embedded"), show("postgres"), ratio, unit)
}

func openEmbedded(b *testing.B) (store.Store, func() int64) {
	s, err := embedded.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s, func() int64 {
		n, err := processWritten()
		if err != nil {
			b.Fatal(err)
		}
		return n
	}
}

// processWritten returns the bytes this process has passed to write system calls (wchar).
func processWritten() (int64, error) {
	io, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(io)) {
		if v, ok := strings.CutPrefix(line, "wchar: "); ok {
			return strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		}
	}
	return 0, fmt.Errorf("no wchar in /proc/self/io")
}

// openPostgres opens a store in a new schema of TEST_DATABASE_URL's database, dropped when b
// ends, and counts the WAL the cluster writes.
func openPostgres(b *testing.B) (store.Store, func() int64) {
	url := os.Getenv("TEST_DATABASE_URL")
	if url == "" {
		if os.Getenv("REQUIRE_DB") == "1" {
			b.Fatal("REQUIRE_DB=1 but TEST_DATABASE_URL is unset")
		}
		b.Skip("TEST_DATABASE_URL is unset; README.md (Quick start) says how to run the Postgres tests")
	}
	ctx := b.Context()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close(context.Background()) })
	name := "pairpad_bench_" + strings.ToLower(rand.Text())
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+name); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if _, err := conn.Exec(context.Background(), "DROP SCHEMA "+name+" CASCADE"); err != nil {
			b.Errorf("drop schema %s: %v", name, err)
		}
	})
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		b.Fatal(err)
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = name
	s, err := postgres.OpenConfig(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s, func() int64 {
		var lsn int64
		err := conn.QueryRow(ctx, "SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')::bigint").Scan(&lsn)
		if err != nil {
			b.Fatal(err)
		}
		return lsn
	}
}

// BenchmarkAppendDuringCompaction appends one small update per durable commit to a room while
// another room compacts a snapshot of 32 MiB, in the embedded store and in Postgres (skipped
// without TEST_DATABASE_URL), and prints the slowest append of each compaction, the median of
// those:
//
//	RESULT append-during-compaction snapshot=32MiB embedded=<ms> postgres=<ms> ratio=<postgres/embedded> ms
//
// A room's compaction must not hold other rooms' commits for its whole length: the embedded
// store writes a large snapshot in chunks of a MiB, each in a transaction of its own.
func BenchmarkAppendDuringCompaction(b *testing.B) {
	snapshot := make([]byte, 32<<20)
	mrand.NewChaCha8([32]byte{}).Read(snapshot)
	got := make(map[string]appendFigures)
	for _, be := range []backend{{"embedded", openEmbedded}, {"postgres", openPostgres}} {
		b.Run("store="+be.name, func(b *testing.B) {
			got[be.name] = appendFigures{ms: slowestAppendDuringCompaction(b, be, snapshot)}
		})
	}
	printAppendResult("append-during-compaction", "snapshot=32MiB", "ms", "%.1f", got, func(f appendFigures) float64 { return f.ms })
}

// slowestAppendDuringCompaction returns the median over the benchmark's compactions of the
// slowest append to another room during each, in milliseconds.
func slowestAppendDuringCompaction(b *testing.B, be backend, snapshot []byte) float64 {
	s, _ := be.open(b)
	ctx := b.Context()
	for _, id := range []string{"big", "small"} {
		if err := s.CreateRoom(ctx, store.Room{ID: id, CreatedAt: time.Now()}, []byte{0, 0}); err != nil {
			b.Fatal(err)
		}
	}
	entry := []store.Entry{{Update: bytes.Repeat([]byte{1}, 24), Time: time.Now(), Session: "N2Rk0b3hS8GJm5xQe1Vw_A"}}
	var slowest []float64
	for b.Loop() {
		seq, err := s.Append(ctx, "big", entry)
		if err != nil {
			b.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- s.Compact(ctx, "big", store.Snapshot{Seq: seq, State: snapshot}) }()
		var worst time.Duration
		for compacting := true; compacting; {
			select {
			case err := <-done:
				if err != nil {
					b.Fatal(err)
				}
				compacting = false
			default:
				start := time.Now()
				if _, err := s.Append(ctx, "small", entry); err != nil {
					b.Fatal(err)
				}
				worst = max(worst, time.Since(start))
			}
		}
		slowest = append(slowest, float64(worst.Microseconds())/1000)
	}
	slices.Sort(slowest)
	b.ReportMetric(slowest[len(slowest)/2], "slowest-append-ms")
	return slowest[len(slowest)/2]
}
