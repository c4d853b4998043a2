package server

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pairpad/pairpad/store"
)

// recordingLog is a store.Log that records each AppendBatches call's rooms and fails the batches
// of the rooms in fail.
type recordingLog struct {
	store.Log
	calls [][]string
	fail  map[string]error
}

func (l *recordingLog) AppendBatches(_ context.Context, batches []store.Batch) []store.BatchResult {
	var rooms []string
	results := make([]store.BatchResult, len(batches))
	for i, b := range batches {
		rooms = append(rooms, b.Room)
		results[i] = store.BatchResult{LastSeq: uint64(len(b.Entries)), Err: l.fail[b.Room]}
	}
	l.calls = append(l.calls, rooms)
	return results
}

// Batches that wait while a commit runs go out together in the next one, and each room gets its
// own result: a batch that fails fails alone.
func TestCommitterGroupsRooms(t *testing.T) {
	t.Parallel()
	errBad := errors.New("bad batch")
	log := &recordingLog{fail: map[string]error{"r2": errBad}}
	c := newCommitter(log, time.Second, newMetrics())
	// Queue the requests before the committer runs: its first commit takes them all.
	var reqs []commitRequest
	for i := range 5 {
		req := commitRequest{
			batch:  store.Batch{Room: fmt.Sprint("r", i), Entries: make([]store.Entry, i+1)},
			result: make(chan store.BatchResult, 1),
		}
		c.queue <- req
		reqs = append(reqs, req)
	}
	go c.run()
	for i, req := range reqs {
		got := <-req.result
		want := store.BatchResult{LastSeq: uint64(i + 1)}
		if i == 2 {
			want = store.BatchResult{LastSeq: 3, Err: errBad}
		}
		if got != want {
			t.Errorf("room r%d: result %+v, want %+v", i, got, want)
		}
	}
	// The committer is idle now: a commit goes out alone, at once.
	if res := c.commit(store.Batch{Room: "r9"}); res.Err != nil {
		t.Fatalf("commit: %v", res.Err)
	}
	c.shutdown()
	want := [][]string{{"r0", "r1", "r2", "r3", "r4"}, {"r9"}}
	if diff := cmp.Diff(want, log.calls); diff != "" {
		t.Errorf("AppendBatches calls mismatch (-want +got):\n%s", diff)
	}
	if res := c.commit(store.Batch{Room: "late"}); !errors.Is(res.Err, errCommitterStopped) {
		t.Errorf("commit after shutdown: %v, want %v", res.Err, errCommitterStopped)
	}
}
