package embedded

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/pairpad/pairpad/store"
)

// FileName is the name of the database file in the directory given to Open.
const FileName = "pairpad.db"

// lockTimeout bounds how long Open waits for another process to release the database file.
const lockTimeout = time.Second

var (
	bucketRooms     = []byte("rooms")
	bucketSnapshots = []byte("snapshots")
	bucketLog       = []byte("log")
	bucketJournal   = []byte("journal")
	bucketDeleted   = []byte("deleted")
	bucketLinks     = []byte("links")

	keyCreatedAt = []byte("created_at")
	keyOpenedAt  = []byte("opened_at")
	keyLastSeq   = []byte("last_seq")
	keySeq       = []byte("seq")
	keyState     = []byte("state")
	keyChunks    = []byte("chunks")
	keyEditID    = []byte("edit_id")
	keyViewID    = []byte("view_id")
	keyOwnerHash = []byte("owner_hash")
	keyLocked    = []byte("locked")
)

var (
	errEmptyID = errors.New("store/embedded: empty room id")
	errCorrupt = errors.New("store/embedded: corrupt room record")
)

// Store is a store.Store kept in one bbolt file. It is safe for concurrent use: bbolt runs one
// write transaction at a time and read transactions in parallel with it.
//
// bbolt calls cannot be interrupted, so ctx is checked before a transaction starts and again
// before it commits: a cancelled call returns ctx's error and changes nothing, but a call
// waiting for another write to finish waits until it has.
type Store struct {
	db           *bolt.DB
	journalLimit int
	// writeMu serializes the writers, each from the start of its write transaction to the end
	// of the index update that follows its commit: a writer reads index without mu, as only
	// writers change it.
	writeMu sync.Mutex
	// mu guards index. A writer holds it across its commit and its index update, and Load while
	// it begins its read transaction and reads index: what Load reads in the file and in the
	// index always agree.
	mu    sync.Mutex
	index *index
}

var _ store.Store = (*Store)(nil)

// DefaultJournalLimit is the size, in bytes of records, past which the journal folds its oldest
// records into their rooms' logs (doc.go says why this size).
const DefaultJournalLimit = 64 << 20

// options are Open's settings; the zero value means the defaults.
type options struct {
	// journalLimit replaces DefaultJournalLimit when it is positive.
	journalLimit int
}

// Open opens the store in dir, creating the directory and the database file if needed, and
// upgrades a file written in an older layout (doc.go) in one transaction. It fails if another
// process has the store open, or if a newer pairpad wrote the file. It reads the whole
// journal, at most DefaultJournalLimit bytes and a record, to rebuild its index.
func Open(dir string) (*Store, error) {
	return open(dir, options{})
}

func open(dir string, opts options) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("store/embedded: %w", err)
	}
	path := filepath.Join(dir, FileName)
	// NoFreelistSync: doc.go says why commits do not write the freelist.
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: lockTimeout, NoFreelistSync: true})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("store/embedded: %s is in use by another process", path)
	}
	if err != nil {
		return nil, fmt.Errorf("store/embedded: open %s: %w", path, err)
	}
	s := &Store{db: db, journalLimit: DefaultJournalLimit}
	if opts.journalLimit > 0 {
		s.journalLimit = opts.journalLimit
	}
	err = db.Update(upgrade)
	if err == nil {
		err = db.View(func(tx *bolt.Tx) (err error) {
			s.index, err = readIndex(tx)
			return err
		})
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("store/embedded: open %s: %w", path, err)
	}
	return s, nil
}

// readIndex builds the journal's index from the file: each room's seqs from its bucket and
// its snapshot, the tombstones of deleted rooms, then the groups of every record.
func readIndex(tx *bolt.Tx) (*index, error) {
	x := newIndex()
	err := tx.Bucket(bucketDeleted).ForEach(func(id, v []byte) error {
		if len(v) != 8 {
			return fmt.Errorf("%w: the tombstone of room %q is %d bytes", errCorrupt, id, len(v))
		}
		x.addTombstone(string(id), binary.BigEndian.Uint64(v))
		return nil
	})
	if err != nil {
		return nil, err
	}
	rooms, snapshots := tx.Bucket(bucketRooms), tx.Bucket(bucketSnapshots)
	err = rooms.ForEachBucket(func(id []byte) error {
		last, err := getSeq(rooms.Bucket(id), keyLastSeq)
		if err != nil {
			return fmt.Errorf("room %q: %w", id, err)
		}
		sb := snapshots.Bucket(id)
		if sb == nil {
			return fmt.Errorf("%w: room %q has no snapshot", errCorrupt, id)
		}
		snapSeq, err := getSeq(sb, keySeq)
		if err != nil {
			return fmt.Errorf("room %q: %w", id, err)
		}
		x.addRoom(string(id), last, snapSeq)
		return nil
	})
	if err != nil {
		return nil, err
	}
	var spans []newSpan // reused from record to record
	c := tx.Bucket(bucketJournal).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if spans, err = readRecord(x, k, v, spans[:0]); err != nil {
			return nil, err
		}
	}
	return x, nil
}

// readRecord adds the record stored under key with value v to x. It appends the record's spans
// to spans and returns them.
func readRecord(x *index, key, v []byte, spans []newSpan) ([]newSpan, error) {
	number, err := recordNumber(key)
	if err != nil {
		return nil, err
	}
	live := false
	for offset, next := 0, 0; offset < len(v); offset = next {
		var g group
		if g, next, err = decodeGroup(v, offset); err != nil {
			return nil, fmt.Errorf("journal record %d: %w", number, err)
		}
		if x.ofDeletedRoom(string(g.room), number) {
			continue
		}
		r := x.rooms[string(g.room)]
		if r == nil {
			return nil, fmt.Errorf("%w: journal record %d holds entries of room %q, which does not exist", errCorrupt, number, g.room)
		}
		live = live || g.last() > r.snapSeq
		spans = append(spans, newSpan{room: r, offset: offset, last: g.last()})
	}
	if !live {
		// Compact and DeleteRoom delete a record whose last live entries they kill, in their
		// transaction.
		return nil, fmt.Errorf("%w: journal record %d has no live entries", errCorrupt, number)
	}
	x.addRecord(number, len(v), spans)
	return spans, nil
}

// CreateRoom stores a new room, its links and its initial snapshot in one transaction.
func (s *Store) CreateRoom(ctx context.Context, room store.Room, initial []byte) error {
	if room.ID == "" {
		return errEmptyID
	}
	a := room.Access
	if a.EditID == "" {
		a.EditID = room.ID
	}
	if err := store.CheckAccess(a); err != nil {
		return fmt.Errorf("store/embedded: create room %q: %w", room.ID, err)
	}
	createdAt, err := room.CreatedAt.UTC().MarshalBinary()
	if err != nil {
		return fmt.Errorf("store/embedded: create room %q: %w", room.ID, err)
	}
	err = s.write(ctx, func(tx *bolt.Tx) (func(), error) {
		rooms := tx.Bucket(bucketRooms)
		if rooms.Bucket([]byte(room.ID)) != nil {
			return nil, store.ErrExists
		}
		b, err := rooms.CreateBucket([]byte(room.ID))
		if err != nil {
			return nil, err
		}
		if _, err := b.CreateBucket(bucketLog); err != nil {
			return nil, err
		}
		if err := putAll(b, keyCreatedAt, createdAt, keyOpenedAt, createdAt, keyLastSeq, seqKey(0)); err != nil {
			return nil, err
		}
		if err := putAccess(tx, b, room.ID, store.Access{}, a); err != nil {
			return nil, err
		}
		snap, err := tx.Bucket(bucketSnapshots).CreateBucket([]byte(room.ID))
		if err != nil {
			return nil, err
		}
		if err := putAll(snap, keySeq, seqKey(0), keyState, initial, keyCheckpoint, []byte{1}); err != nil {
			return nil, err
		}
		if err := createHistory(tx.Bucket(bucketHistory), []byte(room.ID), int64(len(initial))); err != nil {
			return nil, err
		}
		return func() { s.index.addRoom(room.ID, 0, 0) }, nil
	})
	if err != nil {
		return fmt.Errorf("store/embedded: create room %q: %w", room.ID, err)
	}
	return nil
}

// CountRooms returns how many rooms the store holds, from its index.
func (s *Store) CountRooms(ctx context.Context) (int, error) {
	if err := s.view(ctx, func(*bolt.Tx) error { return nil }); err != nil {
		return 0, fmt.Errorf("store/embedded: count rooms: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.index.rooms), nil
}

// Room returns a room's metadata, or store.ErrNotFound.
func (s *Store) Room(ctx context.Context, id string) (store.Room, error) {
	var room store.Room
	err := s.view(ctx, func(tx *bolt.Tx) error {
		b, err := roomBucket(tx, id)
		if err != nil {
			return err
		}
		room, err = readRoom(b, id)
		return err
	})
	if err != nil {
		return store.Room{}, fmt.Errorf("store/embedded: room %q: %w", id, err)
	}
	return room, nil
}

// RoomByLink finds the room's id in the links bucket, then reads its bucket, in one read
// transaction.
func (s *Store) RoomByLink(ctx context.Context, link string) (store.Room, error) {
	var room store.Room
	err := s.view(ctx, func(tx *bolt.Tx) error {
		id := tx.Bucket(bucketLinks).Get([]byte(link))
		if id == nil {
			return store.ErrNotFound
		}
		b := tx.Bucket(bucketRooms).Bucket(id)
		if b == nil {
			return fmt.Errorf("%w: the link names room %q, which does not exist", errCorrupt, id)
		}
		var err error
		room, err = readRoom(b, string(id))
		return err
	})
	if err != nil {
		return store.Room{}, fmt.Errorf("store/embedded: room of link %q: %w", link, err)
	}
	return room, nil
}

// readRoom returns the metadata of room id, whose bucket is b, copied out of the database.
func readRoom(b *bolt.Bucket, id string) (store.Room, error) {
	room := store.Room{ID: id}
	var err error
	if room.CreatedAt, err = getTime(b, keyCreatedAt); err != nil {
		return store.Room{}, err
	}
	if room.OpenedAt, err = openedAt(b); err != nil {
		return store.Room{}, err
	}
	if room.Access, err = getAccess(b); err != nil {
		return store.Room{}, err
	}
	return room, nil
}

// getAccess returns the access of the room whose bucket is b, copied out of the database.
func getAccess(b *bolt.Bucket) (store.Access, error) {
	a := store.Access{
		EditID:    string(b.Get(keyEditID)),
		ViewID:    string(b.Get(keyViewID)),
		OwnerHash: bytes.Clone(b.Get(keyOwnerHash)),
		Locked:    b.Get(keyLocked) != nil,
	}
	if a.EditID == "" {
		return store.Access{}, fmt.Errorf("%w: no %s", errCorrupt, keyEditID)
	}
	return a, nil
}

// SetAccess replaces a room's access and its links in one transaction.
func (s *Store) SetAccess(ctx context.Context, id string, a store.Access) error {
	if err := store.CheckAccess(a); err != nil {
		return fmt.Errorf("store/embedded: set access of room %q: %w", id, err)
	}
	err := s.write(ctx, func(tx *bolt.Tx) (func(), error) {
		b, err := roomBucket(tx, id)
		if err != nil {
			return nil, err
		}
		old, err := getAccess(b)
		if err != nil {
			return nil, err
		}
		return func() {}, putAccess(tx, b, id, old, a)
	})
	if err != nil {
		return fmt.Errorf("store/embedded: set access of room %q: %w", id, err)
	}
	return nil
}

// putAccess replaces old, the access of room id whose bucket is b (the zero Access for a new
// room), with a, which CheckAccess accepted: in the room's bucket, and in the links bucket,
// which loses old's links and maps a's to id. It returns store.ErrExists if a link of a is
// another room's, or a's two links are one.
func putAccess(tx *bolt.Tx, b *bolt.Bucket, id string, old, a store.Access) error {
	if a.EditID == a.ViewID {
		return fmt.Errorf("%w: the edit and view links are the same", store.ErrExists)
	}
	links := tx.Bucket(bucketLinks)
	for _, link := range linksOf(a) {
		if owner := links.Get([]byte(link)); owner != nil && string(owner) != id {
			return fmt.Errorf("%w: a link is another room's", store.ErrExists)
		}
	}
	if err := deleteLinks(links, old); err != nil {
		return err
	}
	for _, link := range linksOf(a) {
		if err := links.Put([]byte(link), []byte(id)); err != nil {
			return err
		}
	}
	var viewID, locked []byte
	if a.ViewID != "" {
		viewID = []byte(a.ViewID)
	}
	if a.Locked {
		locked = []byte{1}
	}
	return errors.Join(
		b.Put(keyEditID, []byte(a.EditID)),
		putOrDelete(b, keyViewID, viewID),
		putOrDelete(b, keyOwnerHash, a.OwnerHash),
		putOrDelete(b, keyLocked, locked),
	)
}

// deleteLinks deletes a's links from the links bucket.
func deleteLinks(links *bolt.Bucket, a store.Access) error {
	for _, link := range linksOf(a) {
		if err := links.Delete([]byte(link)); err != nil {
			return err
		}
	}
	return nil
}

// linksOf returns a's links, its edit link then its view link, leaving out an empty one: the
// zero Access, which putAccess replaces for a new room, has none.
func linksOf(a store.Access) []string {
	var links []string
	for _, link := range []string{a.EditID, a.ViewID} {
		if link != "" {
			links = append(links, link)
		}
	}
	return links
}

// putOrDelete puts v under key in b, or deletes key if v is nil.
func putOrDelete(b *bolt.Bucket, key, v []byte) error {
	if v == nil {
		return b.Delete(key)
	}
	return b.Put(key, v)
}

// openedAt returns the opened_at of the room whose bucket is b, or its created_at if it has
// none: it was created by a layout before 5 and not opened since.
func openedAt(b *bolt.Bucket) (time.Time, error) {
	if b.Get(keyOpenedAt) == nil {
		return getTime(b, keyCreatedAt)
	}
	return getTime(b, keyOpenedAt)
}

// MarkOpened sets a room's opened_at in one transaction.
func (s *Store) MarkOpened(ctx context.Context, id string, t time.Time) error {
	opened, err := t.UTC().MarshalBinary()
	if err == nil {
		err = s.write(ctx, func(tx *bolt.Tx) (func(), error) {
			b, err := roomBucket(tx, id)
			if err != nil {
				return nil, err
			}
			if err := b.Put(keyOpenedAt, opened); err != nil {
				return nil, err
			}
			return func() {}, nil
		})
	}
	if err != nil {
		return fmt.Errorf("store/embedded: mark room %q opened: %w", id, err)
	}
	return nil
}

// RoomsOpenedBefore reads the rooms' buckets in id order until it has found limit rooms
// opened before t: every room's, when fewer were. There is no index on opened_at, so each call
// costs a read of up to every room's bucket: fine for a sweep now and then, not for every
// request.
func (s *Store) RoomsOpenedBefore(ctx context.Context, t time.Time, limit int) ([]string, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("store/embedded: rooms opened before %v: limit %d is not positive", t, limit)
	}
	var ids []string
	err := s.view(ctx, func(tx *bolt.Tx) error {
		rooms := tx.Bucket(bucketRooms)
		c := rooms.Cursor()
		for id, v := c.First(); id != nil && len(ids) < limit; id, v = c.Next() {
			if v != nil {
				continue // a key, not a room's bucket
			}
			opened, err := openedAt(rooms.Bucket(id))
			if err != nil {
				return fmt.Errorf("room %q: %w", id, err)
			}
			if opened.Before(t) {
				ids = append(ids, string(id))
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store/embedded: rooms opened before %v: %w", t, err)
	}
	return ids, nil
}

// DeleteRoom deletes a room's links and buckets (its history's among them) in one transaction, with the journal records
// left with no live entries, as Compact does, and writes the room's tombstone if the journal
// may hold its groups (doc.go).
func (s *Store) DeleteRoom(ctx context.Context, id string) error {
	err := s.write(ctx, func(tx *bolt.Tx) (func(), error) {
		r := s.index.rooms[id]
		if r == nil {
			return nil, store.ErrNotFound
		}
		b, err := roomBucket(tx, id)
		if err != nil {
			return nil, err
		}
		a, err := getAccess(b)
		if err != nil {
			return nil, err
		}
		if err := deleteLinks(tx.Bucket(bucketLinks), a); err != nil {
			return nil, err
		}
		for _, name := range [][]byte{bucketRooms, bucketSnapshots, bucketHistory} {
			if err := tx.Bucket(name).DeleteBucket([]byte(id)); err != nil {
				return nil, err
			}
		}
		journal := tx.Bucket(bucketJournal)
		_, dead := s.index.compaction(r, r.lastSeq)
		for _, number := range dead {
			if err := journal.Delete(seqKey(number)); err != nil {
				return nil, err
			}
		}
		oldest := s.index.next
		if k, _ := journal.Cursor().First(); k != nil {
			if oldest, err = recordNumber(k); err != nil {
				return nil, err
			}
		}
		tombstones := s.index.tombstonesAfterDelete(id, oldest)
		if err := putTombstones(tx.Bucket(bucketDeleted), s.index.deleted, tombstones); err != nil {
			return nil, err
		}
		return func() { s.index.roomDeleted(id, r, tombstones) }, nil
	})
	if err != nil {
		return fmt.Errorf("store/embedded: delete room %q: %w", id, err)
	}
	return nil
}

// putTombstones makes the bucket of tombstones, which holds old, hold tombstones.
func putTombstones(b *bolt.Bucket, old, tombstones map[string]uint64) error {
	for id := range old {
		if _, ok := tombstones[id]; !ok {
			if err := b.Delete([]byte(id)); err != nil {
				return err
			}
		}
	}
	for id, n := range tombstones {
		if old[id] != n {
			if err := b.Put([]byte(id), seqKey(n)); err != nil {
				return err
			}
		}
	}
	return nil
}

// Load returns a room's snapshot, the entries folded into its log after it, then its entries
// in the journal after those, copied out of the database.
func (s *Store) Load(ctx context.Context, id string) (store.Snapshot, []store.Entry, error) {
	snap, log, err := s.load(ctx, id)
	if err != nil {
		return store.Snapshot{}, nil, fmt.Errorf("store/embedded: load room %q: %w", id, err)
	}
	return snap, log, nil
}

func (s *Store) load(ctx context.Context, id string) (snap store.Snapshot, log []store.Entry, err error) {
	if err := ctx.Err(); err != nil {
		return snap, nil, err
	}
	tx, spans, err := s.beginLoad(id)
	if err != nil {
		return snap, nil, err
	}
	defer tx.Rollback()
	if _, err := roomBucket(tx, id); err != nil {
		return snap, nil, err
	}
	sb, err := snapshotBucket(tx, id)
	if err != nil {
		return snap, nil, err
	}
	if snap.Seq, err = getSeq(sb, keySeq); err != nil {
		return snap, nil, err
	}
	snap.Checkpoint = sb.Get(keyCheckpoint) != nil
	if snap.State, err = snapshotState(sb); err != nil {
		return snap, nil, err
	}
	log, err = liveEntries(tx, id, spans, snap.Seq)
	return snap, log, err
}

// liveEntries returns room id's live entries after seq after, copied out of the database: those
// folded into its log, then those of its groups in the journal at spans.
func liveEntries(tx *bolt.Tx, id string, spans []span, after uint64) ([]store.Entry, error) {
	b, err := roomBucket(tx, id)
	if err != nil {
		return nil, err
	}
	var log []store.Entry
	c := b.Bucket(bucketLog).Cursor()
	for k, v := c.Seek(seqKey(after + 1)); k != nil; k, v = c.Next() {
		e, err := decodeEntry(k, v)
		if err != nil {
			return nil, err
		}
		log = append(log, e)
	}
	if len(log) > 0 {
		after = log[len(log)-1].Seq
	}
	journal := tx.Bucket(bucketJournal)
	for _, sp := range spans {
		entries, err := spanEntries(journal, sp, after)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			// Values point into bbolt's memory map, valid only inside the transaction.
			e.Update = bytes.Clone(e.Update)
			log = append(log, e)
		}
	}
	return log, nil
}

// beginLoad begins a read transaction and returns it with room id's spans, both taken under
// mu, so that the transaction holds exactly the records the spans name. A room the index does
// not know has no spans.
func (s *Store) beginLoad(id string) (*bolt.Tx, []span, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	tx, err := s.db.Begin(false)
	if err != nil {
		return nil, nil, err
	}
	var spans []span
	if r := s.index.rooms[id]; r != nil {
		spans = slices.Clone(r.spans)
	}
	return tx, spans, nil
}

// spanEntries returns the entries after seq after of the group at sp, pointing into the record.
func spanEntries(journal *bolt.Bucket, sp span, after uint64) ([]store.Entry, error) {
	v := journal.Get(seqKey(sp.record))
	if v == nil {
		return nil, fmt.Errorf("%w: journal record %d is missing", errCorrupt, sp.record)
	}
	g, _, err := decodeGroup(v, sp.offset)
	if err != nil {
		return nil, fmt.Errorf("journal record %d: %w", sp.record, err)
	}
	return g.entries(after)
}

// Append adds entries to a room's log in one transaction, fsynced before it returns: it is
// AppendBatches of one batch, so with no entries it only reads the room's last seq.
func (s *Store) Append(ctx context.Context, id string, entries []store.Entry) (uint64, error) {
	r := s.AppendBatches(ctx, []store.Batch{{Room: id, Entries: entries}})[0]
	return r.LastSeq, r.Err
}

// Compact replaces a room's snapshot in one transaction, which moves the entries it covers to
// the room's history (doc.go), from its log and from the journal, and deletes the journal
// records left with no live entries. The snapshot replaced is kept as a checkpoint if it is
// one. A snapshot past the room's last seq is an error. A snapshot over snapshotChunk bytes is
// first written in chunks of that size, each in a transaction of its own, so that other rooms'
// commits go on between them; the last transaction makes them the snapshot.
func (s *Store) Compact(ctx context.Context, id string, snap store.Snapshot) error {
	var chunks chunkRef
	if len(snap.State) > snapshotChunk {
		var err error
		if chunks, err = s.writeChunks(ctx, id, snap.State); err != nil {
			return fmt.Errorf("store/embedded: compact room %q: %w", id, err)
		}
	}
	err := s.write(ctx, func(tx *bolt.Tx) (func(), error) {
		r := s.index.rooms[id]
		if r == nil {
			return nil, store.ErrNotFound
		}
		switch {
		case snap.Seq < r.snapSeq:
			return nil, fmt.Errorf("%w: seq %d, stored %d", store.ErrStaleSnapshot, snap.Seq, r.snapSeq)
		case snap.Seq > r.lastSeq:
			return nil, fmt.Errorf("snapshot at seq %d is past the last seq %d", snap.Seq, r.lastSeq)
		}
		sb, err := snapshotBucket(tx, id)
		if err != nil {
			return nil, err
		}
		hb, err := historyBucket(tx, id)
		if err != nil {
			return nil, err
		}
		old, err := readCurrent(sb)
		if err != nil {
			return nil, err
		}
		var added int64 // to the bytes the history bucket counts
		checkpoint := snap.Checkpoint
		switch {
		case snap.Seq == old.seq:
			checkpoint = checkpoint || old.checkpoint
			if old.checkpoint {
				added -= int64(old.size)
			}
		case old.checkpoint:
			if err := keepCheckpoint(sb, old); err != nil {
				return nil, err
			}
		}
		if checkpoint {
			added += int64(len(snap.State))
		}
		if err := putSnapshot(sb, snap, chunks, checkpoint); err != nil {
			return nil, err
		}
		covered, err := s.coveredEntries(tx, id, r, snap.Seq)
		if err != nil {
			return nil, err
		}
		n, err := putHistory(hb.Bucket(bucketEntries), covered)
		if err != nil {
			return nil, err
		}
		if err := addBytes(hb, added+n); err != nil {
			return nil, err
		}
		dropped, dead := s.index.compaction(r, snap.Seq)
		journal := tx.Bucket(bucketJournal)
		for _, number := range dead {
			if err := journal.Delete(seqKey(number)); err != nil {
				return nil, err
			}
		}
		return func() { s.index.compacted(r, snap.Seq, dropped) }, nil
	})
	if err != nil {
		return fmt.Errorf("store/embedded: compact room %q: %w", id, err)
	}
	return nil
}

// coveredEntries deletes from room id's log the entries up to seq, and returns them with those
// of its groups in the journal (r's spans), in seq order: the live entries a snapshot at seq
// covers. The journal keeps its groups until the caller deletes the records they die with.
func (s *Store) coveredEntries(tx *bolt.Tx, id string, r *roomIndex, seq uint64) ([]store.Entry, error) {
	b, err := roomBucket(tx, id)
	if err != nil {
		return nil, err
	}
	var covered []store.Entry
	// Covered entries are a prefix of the log. A cursor must not step with Next after
	// Delete (it would skip a key), so each round starts again from First.
	c := b.Bucket(bucketLog).Cursor()
	for k, v := c.First(); k != nil && binary.BigEndian.Uint64(k) <= seq; k, v = c.First() {
		e, err := decodeEntry(k, v)
		if err != nil {
			return nil, err
		}
		covered = append(covered, e)
		if err := c.Delete(); err != nil {
			return nil, err
		}
	}
	after := r.snapSeq
	if len(covered) > 0 {
		after = covered[len(covered)-1].Seq
	}
	journal := tx.Bucket(bucketJournal)
	for _, sp := range r.spans {
		entries, err := spanEntries(journal, sp, after)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			if e.Seq > seq {
				return covered, nil
			}
			covered = append(covered, e)
		}
	}
	return covered, nil
}

// snapshotChunk is the most bytes of a snapshot one transaction writes. While a room compacts
// a snapshot of 32 MiB, the slowest commit of another room took 78 ms with the snapshot
// written whole, 23 ms in chunks of 1 MiB, 7 ms in chunks of 256 KiB, and the compaction 0.33
// then 0.43 s (BenchmarkAppendDuringCompaction).
const snapshotChunk = 256 << 10

// chunkRef names the chunks a snapshot was written in: their generation and count; zero for
// a snapshot written whole.
type chunkRef struct {
	generation uint64
	count      uint32
}

// writeChunks writes state in chunks of snapshotChunk bytes into room id's snapshot bucket,
// under a generation no chunk of the room has, each chunk in a transaction of its own.
func (s *Store) writeChunks(ctx context.Context, id string, state []byte) (chunkRef, error) {
	var ref chunkRef
	for at := 0; at < len(state); at += snapshotChunk {
		chunk := state[at:min(at+snapshotChunk, len(state))]
		err := s.write(ctx, func(tx *bolt.Tx) (func(), error) {
			if s.index.rooms[id] == nil {
				return nil, store.ErrNotFound
			}
			sb, err := snapshotBucket(tx, id)
			if err != nil {
				return nil, err
			}
			if ref.count == 0 {
				ref.generation = nextChunkGeneration(sb)
			}
			return func() {}, sb.Put(chunkKey(ref.generation, ref.count), chunk)
		})
		if err != nil {
			return chunkRef{}, err
		}
		ref.count++
	}
	return ref, nil
}

// A chunk's key is chunkPrefix, its generation (8 big-endian bytes) and its index (4): chunk
// keys sort after the bucket's other keys, by generation, then index.
const chunkPrefix = 0xff

func chunkKey(generation uint64, index uint32) []byte {
	k := binary.BigEndian.AppendUint64([]byte{chunkPrefix}, generation)
	return binary.BigEndian.AppendUint32(k, index)
}

// nextChunkGeneration returns a generation above that of every chunk in the bucket.
func nextChunkGeneration(sb *bolt.Bucket) uint64 {
	k, _ := sb.Cursor().Last()
	if len(k) != 13 || k[0] != chunkPrefix {
		return 1
	}
	return binary.BigEndian.Uint64(k[1:9]) + 1
}

// putSnapshot makes snap the snapshot of bucket sb, a checkpoint or not: its state whole, or
// the chunks written for it. Chunks of other generations (a snapshot replaced, or chunks
// written for a Compact that did not finish) are deleted, but those of checkpoints.
func putSnapshot(sb *bolt.Bucket, snap store.Snapshot, chunks chunkRef, checkpoint bool) error {
	var flag []byte
	if checkpoint {
		flag = []byte{1}
	}
	if err := errors.Join(sb.Put(keySeq, seqKey(snap.Seq)), putOrDelete(sb, keyCheckpoint, flag)); err != nil {
		return err
	}
	for i := range chunks.count {
		if sb.Get(chunkKey(chunks.generation, i)) == nil {
			// Another Compact of the room finished meanwhile, and deleted it.
			return fmt.Errorf("snapshot chunk %d of %d is gone", i, chunks.count)
		}
	}
	var err error
	if chunks.count == 0 {
		err = errors.Join(sb.Put(keyState, snap.State), sb.Delete(keyChunks))
	} else {
		err = errors.Join(sb.Delete(keyState), sb.Put(keyChunks, chunks.encode()))
	}
	if err != nil {
		return err
	}
	kept, err := keptGenerations(sb)
	if err != nil {
		return err
	}
	var stale [][]byte
	c := sb.Cursor()
	for k, _ := c.Seek([]byte{chunkPrefix}); k != nil; k, _ = c.Next() {
		if len(k) != 13 {
			continue
		}
		if g := binary.BigEndian.Uint64(k[1:9]); g != chunks.generation && !kept[g] {
			stale = append(stale, bytes.Clone(k))
		}
	}
	for _, k := range stale {
		if err := sb.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// snapshotState returns the state of the snapshot in bucket sb, a copy.
func snapshotState(sb *bolt.Bucket) ([]byte, error) {
	v := sb.Get(keyChunks)
	if v == nil {
		return bytes.Clone(sb.Get(keyState)), nil
	}
	ref, err := decodeChunkRef(v)
	if err != nil {
		return nil, err
	}
	return chunkedState(sb, ref)
}

// chunkedState returns the state held in the chunks ref names in bucket sb, a copy.
func chunkedState(sb *bolt.Bucket, ref chunkRef) ([]byte, error) {
	state := make([]byte, 0, int(ref.count)*snapshotChunk)
	for i := range ref.count {
		chunk := sb.Get(chunkKey(ref.generation, i))
		if chunk == nil {
			return nil, fmt.Errorf("%w: snapshot chunk %d of %d is missing", errCorrupt, i, ref.count)
		}
		state = append(state, chunk...)
	}
	return state, nil
}

// Ping reports an error once the store is closed.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.view(ctx, func(*bolt.Tx) error { return nil }); err != nil {
		return fmt.Errorf("store/embedded: ping: %w", err)
	}
	return nil
}

// Close closes the database file. Calls after the first do nothing.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("store/embedded: close: %w", err)
	}
	return nil
}

// write runs build in a write transaction and commits it if ctx is still live, then calls the
// function build returned, which brings the index in step with what the transaction wrote. It
// holds mu across the commit and that call, so that no Load sees the file and the index out of
// step; a transaction that fails changes neither.
func (s *Store) write(ctx context.Context, build func(*bolt.Tx) (apply func(), err error)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	tx, err := s.db.Begin(true)
	if err != nil {
		return err
	}
	defer tx.Rollback() // after Commit, a no-op
	apply, err := build(tx)
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := tx.Commit(); err != nil {
		return err
	}
	apply()
	return nil
}

// view runs fn in a read transaction unless ctx is already done.
func (s *Store) view(ctx context.Context, fn func(*bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.View(fn)
}

// roomBucket returns the bucket of room id, or store.ErrNotFound.
func roomBucket(tx *bolt.Tx, id string) (*bolt.Bucket, error) {
	if id == "" {
		return nil, store.ErrNotFound
	}
	b := tx.Bucket(bucketRooms).Bucket([]byte(id))
	if b == nil {
		return nil, store.ErrNotFound
	}
	return b, nil
}

// snapshotBucket returns the bucket of room id's snapshot, which every room has.
func snapshotBucket(tx *bolt.Tx, id string) (*bolt.Bucket, error) {
	b := tx.Bucket(bucketSnapshots).Bucket([]byte(id))
	if b == nil {
		return nil, fmt.Errorf("%w: no snapshot", errCorrupt)
	}
	return b, nil
}

// seqKey encodes seq as 8 big-endian bytes, so that byte order is seq order.
func seqKey(seq uint64) []byte {
	return binary.BigEndian.AppendUint64(make([]byte, 0, 8), seq)
}

// getTime returns the time stored under key, in UTC.
func getTime(b *bolt.Bucket, key []byte) (time.Time, error) {
	var t time.Time
	if err := t.UnmarshalBinary(b.Get(key)); err != nil {
		return t, fmt.Errorf("%w: %s: %w", errCorrupt, key, err)
	}
	return t.UTC(), nil
}

func getSeq(b *bolt.Bucket, key []byte) (uint64, error) {
	v := b.Get(key)
	if len(v) != 8 {
		return 0, fmt.Errorf("%w: %s is %d bytes", errCorrupt, key, len(v))
	}
	return binary.BigEndian.Uint64(v), nil
}

// recordNumber decodes the key of a journal record.
func recordNumber(key []byte) (uint64, error) {
	if len(key) != 8 {
		return 0, fmt.Errorf("%w: journal key is %d bytes", errCorrupt, len(key))
	}
	return binary.BigEndian.Uint64(key), nil
}

// putAll puts alternating keys and values into b.
func putAll(b *bolt.Bucket, kv ...[]byte) error {
	for i := 0; i < len(kv); i += 2 {
		if err := b.Put(kv[i], kv[i+1]); err != nil {
			return err
		}
	}
	return nil
}
