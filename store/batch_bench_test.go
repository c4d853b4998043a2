package store_test

import (
	"bytes"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/pairpad/pairpad/store"
)

const (
	// benchRooms is how many rooms BenchmarkAppendBatchByRooms's store holds.
	benchRooms = 1000
	// benchCompactEvery is how many entries a room's log holds before the benchmark compacts
	// it, as the server does (server/internal/room: 500 entries or 1 MiB).
	benchCompactEvery = 500
)

// BenchmarkAppendBatchByRooms measures one group commit (AppendBatches) that carries 2 entries
// of 30 bytes for each of 20, 100, 400 or 1000 rooms of a store holding 1000 rooms, in the
// embedded store and in Postgres (skipped without TEST_DATABASE_URL), and prints one line per
// room count:
//
//	RESULT append-batch rooms=<N> embedded=<ms> postgres=<ms> ratio=<postgres/embedded> ms
//
// A commit's cost should grow with the bytes it appends, not with the rooms it touches. Each
// commit takes the N rooms after the previous commit's, so every room gets its share, and a
// room whose log reaches 500 entries is compacted between commits, outside the timed part, as
// the server compacts it; rooms start with logs of staggered lengths so that they do not all
// compact at once.
func BenchmarkAppendBatchByRooms(b *testing.B) {
	backends := []backend{{"embedded", openEmbedded}}
	if os.Getenv("TEST_DATABASE_URL") != "" || os.Getenv("REQUIRE_DB") == "1" {
		backends = append(backends, backend{"postgres", openPostgres})
	} else {
		b.Log("TEST_DATABASE_URL is unset: Postgres is skipped")
	}
	// The stores live as long as b: each room count's commits go on from the previous one's.
	stores := make(map[string]*roomsBench)
	for _, be := range backends {
		s, _ := be.open(b)
		stores[be.name] = newRoomsBench(b, s)
	}
	for _, n := range []int{20, 100, 400, 1000} {
		got := make(map[string]appendFigures)
		for _, be := range backends {
			rb := stores[be.name]
			b.Run(fmt.Sprintf("rooms=%d/store=%s", n, be.name), func(b *testing.B) {
				got[be.name] = appendFigures{ms: rb.measure(b, n)}
			})
		}
		printAppendResult("append-batch", fmt.Sprintf("rooms=%d", n), "ms", "%.3f", got, func(f appendFigures) float64 { return f.ms })
	}
}

// roomsBench is a store of benchRooms rooms and what the benchmark knows of each.
type roomsBench struct {
	s       store.Store
	ids     []string
	logLen  []int    // entries in each room's log after its snapshot
	lastSeq []uint64 // each room's last seq
	next    int      // the first room of the next commit
	entries []store.Entry
	state   []byte // the snapshot every compaction stores
}

// newRoomsBench creates benchRooms rooms in s, room i with 2*(i%250) entries in its log.
func newRoomsBench(b *testing.B, s store.Store) *roomsBench {
	rb := &roomsBench{
		s:       s,
		ids:     make([]string, benchRooms),
		logLen:  make([]int, benchRooms),
		lastSeq: make([]uint64, benchRooms),
		entries: []store.Entry{
			{Update: bytes.Repeat([]byte{1}, 30), Time: time.Now(), Session: "N2Rk0b3hS8GJm5xQe1Vw_A"},
			{Update: bytes.Repeat([]byte{2}, 30), Time: time.Now(), Session: "N2Rk0b3hS8GJm5xQe1Vw_A"},
		},
		state: bytes.Repeat([]byte("state"), 200),
	}
	for i := range rb.ids {
		rb.ids[i] = fmt.Sprintf("room-%04d", i)
		if err := s.CreateRoom(b.Context(), store.Room{ID: rb.ids[i], CreatedAt: time.Now()}, rb.state); err != nil {
			b.Fatal(err)
		}
	}
	for round := range benchCompactEvery / 2 {
		var rooms []int
		for i := range rb.ids {
			if i%(benchCompactEvery/2) > round {
				rooms = append(rooms, i)
			}
		}
		rb.commit(b, rooms)
	}
	return rb
}

// measure times commits of n rooms each and returns the milliseconds per commit.
func (rb *roomsBench) measure(b *testing.B, n int) float64 {
	rooms := make([]int, n)
	commits := 0
	for b.Loop() {
		for i := range rooms {
			rooms[i] = (rb.next + i) % benchRooms
		}
		rb.next = (rb.next + n) % benchRooms
		rb.commit(b, rooms)
		commits++
		b.StopTimer()
		rb.compactFull(b, rooms)
		b.StartTimer()
	}
	return float64(b.Elapsed().Microseconds()) / 1000 / float64(commits)
}

// commit appends rb.entries to each of rooms in one AppendBatches.
func (rb *roomsBench) commit(b *testing.B, rooms []int) {
	batches := make([]store.Batch, len(rooms))
	for i, r := range rooms {
		batches[i] = store.Batch{Room: rb.ids[r], Entries: rb.entries}
	}
	for i, res := range rb.s.AppendBatches(b.Context(), batches) {
		if res.Err != nil {
			b.Fatal(res.Err)
		}
		rb.lastSeq[rooms[i]] = res.LastSeq
		rb.logLen[rooms[i]] += len(rb.entries)
	}
}

// compactFull compacts those of rooms whose log has reached benchCompactEvery entries.
func (rb *roomsBench) compactFull(b *testing.B, rooms []int) {
	for _, r := range rooms {
		if rb.logLen[r] < benchCompactEvery {
			continue
		}
		if err := rb.s.Compact(b.Context(), rb.ids[r], store.Snapshot{Seq: rb.lastSeq[r], State: rb.state}); err != nil {
			b.Fatal(err)
		}
		rb.logLen[r] = 0
	}
}
