package embedded

import (
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/pairpad/pairpad/store"
)

// AppendBatches appends every batch in one write transaction, fsynced once, which puts one
// journal record (doc.go) and folds old records if the journal is over its limit. A batch for
// an unknown room or with entries CheckEntries refuses fails alone, and nothing of it is
// written; a failure to write fails the whole transaction, and so every batch. When no batch
// has entries to write, it only reads the index: no write lock, no fsync.
func (s *Store) AppendBatches(ctx context.Context, batches []store.Batch) []store.BatchResult {
	results := make([]store.BatchResult, len(batches))
	var err error
	if hasWrites(batches) {
		err = s.write(ctx, func(tx *bolt.Tx) (func(), error) { return s.appendRecord(tx, batches, results) })
	} else {
		err = s.lastSeqs(ctx, batches, results)
	}
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

// lastSeqs fills results for batches with nothing to write: each room's last seq, or why the
// batch is refused. The read transaction only checks that the store is open.
func (s *Store) lastSeqs(ctx context.Context, batches []store.Batch, results []store.BatchResult) error {
	if err := s.view(ctx, func(*bolt.Tx) error { return nil }); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.index.planAppend(batches, results)
	return nil
}

// appendRecord puts the record of batches in tx, fills results, and folds records from the
// journal's head while it is over its limit. It returns the index update for after the commit.
func (s *Store) appendRecord(tx *bolt.Tx, batches []store.Batch, results []store.BatchResult) (func(), error) {
	rec := s.index.planAppend(batches, results)
	if rec.empty() {
		return func() {}, nil
	}
	number := s.index.next
	value, spans := rec.encode()
	journal := tx.Bucket(bucketJournal)
	// Keys only ever go at the end of the journal: fill pages completely instead of half.
	journal.FillPercent = 1
	if err := journal.Put(seqKey(number), value); err != nil {
		return nil, err
	}
	folds, err := s.fold(tx, len(value))
	if err != nil {
		return nil, err
	}
	return func() {
		for _, f := range folds {
			s.index.folded(f.number, f.rooms)
		}
		s.index.addRecord(number, len(value), spans)
	}, nil
}

// foldedRecord is a record a transaction folded, and the rooms whose live groups it moved.
type foldedRecord struct {
	number uint64
	rooms  []*roomIndex
}

// fold folds records from the journal's head in tx, as foldMore allows a commit that adds a
// record of added bytes, never that record itself.
func (s *Store) fold(tx *bolt.Tx, added int) ([]foldedRecord, error) {
	journal := tx.Bucket(bucketJournal)
	var folds []foldedRecord
	released := 0
	// The index changes after the commit: until then, the spans of rooms' groups folded by this
	// transaction are still at the front of their lists, which folded counts.
	folded := make(map[*roomIndex]int)
	for foldMore(s.index.bytes+added, s.journalLimit, added, released, len(folds)) {
		// A cursor must not go on after the Delete of a fold: each round starts from First.
		k, v := journal.Cursor().First()
		number, err := recordNumber(k)
		if err != nil {
			return nil, err
		}
		if number == s.index.next {
			break
		}
		rooms, err := s.foldRecord(tx, number, v, folded)
		if err != nil {
			return nil, fmt.Errorf("fold journal record %d: %w", number, err)
		}
		folds = append(folds, foldedRecord{number, rooms})
		released += len(v)
	}
	return folds, nil
}

// foldRecord writes the live entries of record number, whose value is v, into their rooms'
// logs, with each room's last seq, and deletes the record. It returns the rooms it wrote to,
// and counts them in folded, which holds how many of each room's spans the transaction has
// folded before.
func (s *Store) foldRecord(tx *bolt.Tx, number uint64, v []byte, folded map[*roomIndex]int) ([]*roomIndex, error) {
	var rooms []*roomIndex
	for offset := 0; offset < len(v); {
		g, next, err := decodeGroup(v, offset)
		if err != nil {
			return nil, err
		}
		offset = next
		if s.index.ofDeletedRoom(string(g.room), number) {
			continue
		}
		r := s.index.rooms[string(g.room)]
		if r == nil {
			return nil, fmt.Errorf("%w: entries of room %q, which does not exist", errCorrupt, g.room)
		}
		if len(r.spans) == folded[r] || r.spans[folded[r]].record != number {
			continue // dead: a snapshot covers it
		}
		entries, err := g.entries(r.snapSeq)
		if err != nil {
			return nil, err
		}
		if err := putLog(tx, string(g.room), entries); err != nil {
			return nil, err
		}
		rooms = append(rooms, r)
		folded[r]++
	}
	return rooms, tx.Bucket(bucketJournal).Delete(seqKey(number))
}

// putLog puts entries, the next ones of the room, into room id's log, and their last seq as
// the room's last_seq.
func putLog(tx *bolt.Tx, id string, entries []store.Entry) error {
	b, err := roomBucket(tx, id)
	if err != nil {
		return err
	}
	log := b.Bucket(bucketLog)
	// Keys only ever go at the end of the log: fill pages completely instead of half.
	log.FillPercent = 1
	for _, e := range entries {
		// appendEntry copies the update, which points into the record: Put keeps what it is
		// given until the commit, and the record's page may be freed by then.
		if err := log.Put(seqKey(e.Seq), appendEntry(nil, e)); err != nil {
			return err
		}
	}
	return b.Put(keyLastSeq, seqKey(entries[len(entries)-1].Seq))
}
