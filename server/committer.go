package server

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pairpad/pairpad/store"
)

// maxCommitBatches bounds how many rooms' batches one group commit takes; the others wait for
// the next.
const maxCommitBatches = 4096

// errCommitterStopped answers a commit asked of a committer that has stopped.
var errCommitterStopped = errors.New("server: the committer has stopped")

// committer group-commits the appends of every room: one store.AppendBatches carries the batches
// of all the rooms that handed it one while the previous commit ran, as soon as it finished.
// When no room has anything to commit, it waits; there is no timer.
type committer struct {
	log     store.Log
	metrics *metrics
	timeout time.Duration
	queue   chan commitRequest
	stop    chan struct{} // closed (once) to stop run
	done    chan struct{} // closed when run has returned
	once    sync.Once
	// failedAt is when the last group commit failed as a whole (the store refused to write,
	// not one batch's room or entries), in Unix ns; 0 once one succeeded.
	failedAt atomic.Int64
}

// commitRequest is one room's batch and where its result goes (buffered).
type commitRequest struct {
	batch  store.Batch
	result chan store.BatchResult
}

// newCommitter returns a committer; go run() starts it.
func newCommitter(log store.Log, timeout time.Duration, m *metrics) *committer {
	return &committer{
		log:     log,
		metrics: m,
		timeout: timeout,
		queue:   make(chan commitRequest, maxCommitBatches),
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
	}
}

// commit hands a room's batch to the next group commit and returns its result once that commit
// is over (the commit's own timeout bounds the wait). A room has one commit outstanding at a
// time, so its batches commit in order.
func (c *committer) commit(b store.Batch) store.BatchResult {
	req := commitRequest{batch: b, result: make(chan store.BatchResult, 1)}
	select {
	case c.queue <- req:
	case <-c.done:
		return store.BatchResult{Err: errCommitterStopped}
	}
	select {
	case res := <-req.result:
		return res
	case <-c.done: // stopped before it took the request
		return store.BatchResult{Err: errCommitterStopped}
	}
}

func (c *committer) run() {
	defer close(c.done)
	for {
		select {
		case req := <-c.queue:
			c.groupCommit(req)
		case <-c.stop:
			// Rooms have stopped: nothing waits in the queue, but answer what does anyway.
			for {
				select {
				case req := <-c.queue:
					req.result <- store.BatchResult{Err: errCommitterStopped}
				default:
					return
				}
			}
		}
	}
}

// groupCommit commits first and whatever else is queued, in one AppendBatches.
func (c *committer) groupCommit(first commitRequest) {
	reqs := []commitRequest{first}
	for len(reqs) < maxCommitBatches {
		select {
		case req := <-c.queue:
			reqs = append(reqs, req)
			continue
		default:
		}
		break
	}
	batches := make([]store.Batch, len(reqs))
	entries := 0
	for i, req := range reqs {
		batches[i] = req.batch
		entries += len(req.batch.Entries)
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	results := c.log.AppendBatches(ctx, batches)
	cancel()
	c.metrics.commitSeconds.Observe(since(start))
	c.metrics.commitRooms.Observe(float64(len(batches)))
	c.metrics.commitEntries.Observe(float64(entries))
	if failedWhole(results) {
		c.failedAt.Store(time.Now().UnixNano())
	} else {
		c.failedAt.Store(0)
	}
	end := time.Now()
	for i, req := range reqs {
		if results[i].Err != nil {
			c.metrics.storeErrors.WithLabelValues(opAppend).Inc()
		} else {
			c.observeDurable(req.batch.Entries, end)
		}
		req.result <- results[i]
	}
}

// refusingWindow is how long after a failed group commit GET /ready answers 503, unless a
// commit succeeds meanwhile. It ends by itself because a server that takes no traffic makes
// no commits: the next one tells again.
const refusingWindow = 30 * time.Second

// refusing reports whether the store refused a group commit within refusingWindow, and none
// succeeded since.
func (c *committer) refusing(now time.Time) bool {
	at := c.failedAt.Load()
	return at != 0 && now.Sub(time.Unix(0, at)) < refusingWindow
}

// failedWhole reports whether a group commit failed as a whole: every batch failed, and not
// for a reason of its own (an unknown room, an entry the store refuses).
func failedWhole(results []store.BatchResult) bool {
	for _, r := range results {
		if r.Err == nil || errors.Is(r.Err, store.ErrNotFound) || errors.Is(r.Err, store.ErrInvalidEntry) {
			return false
		}
	}
	return len(results) > 0
}

// observeDurable records how long each of entries, durable at end, waited since it was
// accepted (entries of unknown time aside).
func (c *committer) observeDurable(entries []store.Entry, end time.Time) {
	for _, e := range entries {
		if !e.Time.IsZero() {
			c.metrics.durableSeconds.Observe(end.Sub(e.Time).Seconds())
		}
	}
}

// shutdown stops the committer once no room needs it any more. Calls after the first wait.
func (c *committer) shutdown() {
	c.once.Do(func() { close(c.stop) })
	<-c.done
}
