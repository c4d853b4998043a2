package embedded

import (
	"context"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/pairpad/pairpad/store"
)

// refused is the error of a batch refused on its own: the transaction goes on without it.
type refused struct{ err error }

func (r *refused) Error() string { return r.err.Error() }
func (r *refused) Unwrap() error { return r.err }

// AppendBatches appends every batch in one write transaction, fsynced once. A batch for an
// unknown room or with entries CheckEntries refuses fails alone, before anything of it is
// written; a failure to write fails the whole transaction, and so every batch. When no batch
// has entries to write, it runs in a read transaction: no write lock, no fsync.
func (s *Store) AppendBatches(ctx context.Context, batches []store.Batch) []store.BatchResult {
	results := make([]store.BatchResult, len(batches))
	run := s.view
	if hasWrites(batches) {
		run = s.update
	}
	err := run(ctx, func(tx *bolt.Tx) error {
		for i, b := range batches {
			last, err := appendBatch(tx, b)
			if _, ok := errors.AsType[*refused](err); err != nil && !ok {
				return err
			}
			results[i] = store.BatchResult{LastSeq: last, Err: err}
		}
		return nil
	})
	for i, b := range batches {
		switch {
		case err != nil:
			results[i] = store.BatchResult{Err: fmt.Errorf("store/embedded: append to room %q: %w", b.Room, err)}
		case results[i].Err != nil:
			results[i].Err = fmt.Errorf("store/embedded: append to room %q: %w", b.Room, results[i].Err)
		}
	}
	return results
}

// hasWrites reports whether a batch has entries that CheckEntries accepts, to be written.
func hasWrites(batches []store.Batch) bool {
	for _, b := range batches {
		if len(b.Entries) > 0 && store.CheckEntries(b.Entries) == nil {
			return true
		}
	}
	return false
}

// appendBatch writes one batch in tx. A refusal of the batch alone is a *refused.
func appendBatch(tx *bolt.Tx, b store.Batch) (uint64, error) {
	if err := store.CheckEntries(b.Entries); err != nil {
		return 0, &refused{err}
	}
	rb, err := roomBucket(tx, b.Room)
	if err != nil {
		return 0, &refused{err}
	}
	last, err := getSeq(rb, keyLastSeq)
	if err != nil || len(b.Entries) == 0 {
		return last, err
	}
	if last, err = appendLog(rb.Bucket(bucketLog), last, b.Entries); err != nil {
		return 0, err
	}
	return last, rb.Put(keyLastSeq, seqKey(last))
}
