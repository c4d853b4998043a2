package embedded

import "github.com/pairpad/pairpad/store"

// index is the in-memory index of the journal (doc.go): for each room, its last seq, its
// snapshot's seq and where its live entries (those after the snapshot) sit in the journal; for
// each record, its size and how many rooms still have live entries in it. It is built at Open
// and changed only once a transaction has committed, so that it always describes the file.
type index struct {
	rooms   map[string]*roomIndex
	records map[uint64]recordInfo // every record in the journal, by number
	next    uint64                // the number of the next record
	bytes   int                   // the size of every record in the journal
	// deleted holds the tombstones of deleted rooms (doc.go): a group of room id in a record
	// numbered below deleted[id] belongs to a room DeleteRoom deleted, and is dead.
	deleted map[string]uint64
}

// roomIndex is what the index knows of one room.
type roomIndex struct {
	lastSeq uint64 // the highest seq given out
	snapSeq uint64 // the seq of the newest snapshot
	// spans are the room's groups that hold live entries, one per record, oldest first: a
	// group whose last entry a snapshot covers is dead, and its span dropped.
	spans []span
}

// span is where one of a room's groups sits in the journal.
type span struct {
	record uint64 // the number of the record
	offset int    // the offset of the group in the record's value
	last   uint64 // the seq of its last entry
}

// recordInfo is what the index knows of one record.
type recordInfo struct {
	size int // the length of its value
	live int // how many rooms have live entries in it; a record with none is deleted
}

func newIndex() *index {
	return &index{rooms: make(map[string]*roomIndex), records: make(map[uint64]recordInfo), next: 1, deleted: make(map[string]uint64)}
}

// addTombstone adds the tombstone of a room deleted when the next record was number: the
// records after it, and so the next one, are numbered from there on.
func (x *index) addTombstone(id string, number uint64) {
	x.deleted[id] = number
	x.next = max(x.next, number)
}

// ofDeletedRoom reports whether the group of room id in record number belongs to a room that
// DeleteRoom deleted (the id may name a new room since): such a group is dead.
func (x *index) ofDeletedRoom(id string, number uint64) bool {
	return number < x.deleted[id]
}

// tombstonesAfterDelete returns the tombstones the journal needs once room id is deleted,
// when the oldest record left in the journal is number oldest (x.next if there is none): id's
// own, if a record may hold its groups, and those of the others that a record still may. A
// tombstone at n is needed while the journal holds a record below n. It changes nothing in x.
func (x *index) tombstonesAfterDelete(id string, oldest uint64) map[string]uint64 {
	kept := make(map[string]uint64)
	for other, n := range x.deleted {
		if oldest < n {
			kept[other] = n
		}
	}
	if oldest < x.next {
		kept[id] = x.next
	}
	return kept
}

// roomDeleted records that room id, whose index was r, was deleted, with every record it left
// without live entries, and that tombstones are the journal's tombstones now.
func (x *index) roomDeleted(id string, r *roomIndex, tombstones map[string]uint64) {
	for _, s := range r.spans {
		x.release(s.record)
	}
	delete(x.rooms, id)
	x.deleted = tombstones
}

// addRoom adds a room whose snapshot is at snapSeq, and which gave out seqs up to lastSeq
// outside the journal.
func (x *index) addRoom(id string, lastSeq, snapSeq uint64) {
	x.rooms[id] = &roomIndex{lastSeq: max(lastSeq, snapSeq), snapSeq: snapSeq}
}

// planAppend groups the entries of every batch into one record, numbering them after their
// room's last seq, and fills results: a batch for an unknown room or with entries
// store.CheckEntries refuses fails alone. It changes nothing in x.
func (x *index) planAppend(batches []store.Batch, results []store.BatchResult) *recordBuilder {
	rec := newRecordBuilder()
	for i, b := range batches {
		if err := store.CheckEntries(b.Entries); err != nil {
			results[i].Err = err
			continue
		}
		r := x.rooms[b.Room]
		if r == nil {
			results[i].Err = store.ErrNotFound
			continue
		}
		results[i].LastSeq = rec.add(b.Room, r, b.Entries)
	}
	return rec
}

// addRecord adds record number, of size bytes, whose groups sit at spans. Groups whose
// entries a snapshot covers (at Open) are dead and left out; the record must have a live one.
func (x *index) addRecord(number uint64, size int, spans []newSpan) {
	info := recordInfo{size: size}
	for _, s := range spans {
		r := s.room
		r.lastSeq = max(r.lastSeq, s.last)
		if s.last > r.snapSeq {
			r.spans = append(r.spans, span{record: number, offset: s.offset, last: s.last})
			info.live++
		}
	}
	x.records[number] = info
	x.bytes += size
	x.next = max(x.next, number+1)
}

// compaction returns how many of r's spans a snapshot at seq kills, and the records left
// with no live entries by it, which are to be deleted. It changes nothing in x.
func (x *index) compaction(r *roomIndex, seq uint64) (dropped int, dead []uint64) {
	for _, s := range r.spans {
		if s.last > seq {
			break
		}
		dropped++
		if x.records[s.record].live == 1 {
			dead = append(dead, s.record)
		}
	}
	return dropped, dead
}

// compacted records that r has a snapshot at seq, which killed its first dropped spans.
func (x *index) compacted(r *roomIndex, seq uint64, dropped int) {
	r.snapSeq = seq
	for _, s := range r.spans[:dropped] {
		x.release(s.record)
	}
	r.spans = r.spans[dropped:]
}

// folded records that record number was folded: the live groups in it, those of rooms (whose
// first span it holds), moved to the rooms' logs, and it was deleted.
func (x *index) folded(number uint64, rooms []*roomIndex) {
	for _, r := range rooms {
		r.spans = r.spans[1:]
	}
	x.bytes -= x.records[number].size
	delete(x.records, number)
}

// release records that a room's group in record number is no longer live, and forgets the
// record once none is.
func (x *index) release(number uint64) {
	info := x.records[number]
	info.live--
	if info.live > 0 {
		x.records[number] = info
		return
	}
	delete(x.records, number)
	x.bytes -= info.size
}

// foldMore reports whether a commit folds one more record from the journal's head: while the
// journal (size bytes, the commit's own record of added bytes included) minus the released
// bytes it has folded is over limit, at least one record and no more than twice what it adds,
// so that folding keeps pace with appends without one commit doing much more than its share.
func foldMore(size, limit, added, released, folded int) bool {
	return size-released > limit && (folded == 0 || released < 2*added)
}
