package embedded

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
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

	keyCreatedAt = []byte("created_at")
	keyLastSeq   = []byte("last_seq")
	keySeq       = []byte("seq")
	keyState     = []byte("state")
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
	db *bolt.DB
}

var _ store.Store = (*Store)(nil)

// Open opens the store in dir, creating the directory and the database file if needed, and
// upgrades a file written in an older layout (doc.go) in one transaction. It fails if another
// process has the store open, or if a newer pairpad wrote the file.
func Open(dir string) (*Store, error) {
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
	if err := db.Update(upgrade); err != nil {
		db.Close()
		return nil, fmt.Errorf("store/embedded: open %s: %w", path, err)
	}
	return &Store{db: db}, nil
}

// CreateRoom stores a new room and its initial snapshot in one transaction.
func (s *Store) CreateRoom(ctx context.Context, room store.Room, initial []byte) error {
	if room.ID == "" {
		return errEmptyID
	}
	createdAt, err := room.CreatedAt.UTC().MarshalBinary()
	if err != nil {
		return fmt.Errorf("store/embedded: create room %q: %w", room.ID, err)
	}
	err = s.update(ctx, func(tx *bolt.Tx) error {
		rooms := tx.Bucket(bucketRooms)
		if rooms.Bucket([]byte(room.ID)) != nil {
			return store.ErrExists
		}
		b, err := rooms.CreateBucket([]byte(room.ID))
		if err != nil {
			return err
		}
		if _, err := b.CreateBucket(bucketLog); err != nil {
			return err
		}
		if err := putAll(b, keyCreatedAt, createdAt, keyLastSeq, seqKey(0)); err != nil {
			return err
		}
		snap, err := tx.Bucket(bucketSnapshots).CreateBucket([]byte(room.ID))
		if err != nil {
			return err
		}
		return putAll(snap, keySeq, seqKey(0), keyState, initial)
	})
	if err != nil {
		return fmt.Errorf("store/embedded: create room %q: %w", room.ID, err)
	}
	return nil
}

// Room returns a room's metadata, or store.ErrNotFound.
func (s *Store) Room(ctx context.Context, id string) (store.Room, error) {
	room := store.Room{ID: id}
	err := s.view(ctx, func(tx *bolt.Tx) error {
		b, err := roomBucket(tx, id)
		if err != nil {
			return err
		}
		if err := room.CreatedAt.UnmarshalBinary(b.Get(keyCreatedAt)); err != nil {
			return fmt.Errorf("%w: created_at: %w", errCorrupt, err)
		}
		room.CreatedAt = room.CreatedAt.UTC()
		return nil
	})
	if err != nil {
		return store.Room{}, fmt.Errorf("store/embedded: room %q: %w", id, err)
	}
	return room, nil
}

// Load returns a room's snapshot and the log entries after it, copied out of the database.
func (s *Store) Load(ctx context.Context, id string) (store.Snapshot, []store.Entry, error) {
	var snap store.Snapshot
	var log []store.Entry
	err := s.view(ctx, func(tx *bolt.Tx) error {
		b, err := roomBucket(tx, id)
		if err != nil {
			return err
		}
		sb, err := snapshotBucket(tx, id)
		if err != nil {
			return err
		}
		if snap.Seq, err = getSeq(sb, keySeq); err != nil {
			return err
		}
		// Values point into bbolt's memory map, valid only inside the transaction.
		snap.State = bytes.Clone(sb.Get(keyState))
		c := b.Bucket(bucketLog).Cursor()
		for k, v := c.Seek(seqKey(snap.Seq + 1)); k != nil; k, v = c.Next() {
			e, err := decodeEntry(k, v)
			if err != nil {
				return err
			}
			log = append(log, e)
		}
		return nil
	})
	if err != nil {
		return store.Snapshot{}, nil, fmt.Errorf("store/embedded: load room %q: %w", id, err)
	}
	return snap, log, nil
}

// Append adds entries to a room's log in one transaction, fsynced before it returns: it is
// AppendBatches of one batch, so with no entries it only reads the room's last seq.
func (s *Store) Append(ctx context.Context, id string, entries []store.Entry) (uint64, error) {
	r := s.AppendBatches(ctx, []store.Batch{{Room: id, Entries: entries}})[0]
	return r.LastSeq, r.Err
}

// appendLog puts entries into log with the seqs after last, and returns the last one it gave.
func appendLog(log *bolt.Bucket, last uint64, entries []store.Entry) (uint64, error) {
	// Keys only ever go at the end of the log: fill pages completely instead of half.
	log.FillPercent = 1
	for _, e := range entries {
		last++
		if err := log.Put(seqKey(last), appendEntry(nil, e)); err != nil {
			return 0, err
		}
	}
	return last, nil
}

// Compact replaces a room's snapshot and deletes the log entries it covers in one transaction.
// A snapshot past the room's last seq is an error.
func (s *Store) Compact(ctx context.Context, id string, snap store.Snapshot) error {
	err := s.update(ctx, func(tx *bolt.Tx) error {
		b, err := roomBucket(tx, id)
		if err != nil {
			return err
		}
		sb, err := snapshotBucket(tx, id)
		if err != nil {
			return err
		}
		stored, err := getSeq(sb, keySeq)
		if err != nil {
			return err
		}
		last, err := getSeq(b, keyLastSeq)
		if err != nil {
			return err
		}
		switch {
		case snap.Seq < stored:
			return fmt.Errorf("%w: seq %d, stored %d", store.ErrStaleSnapshot, snap.Seq, stored)
		case snap.Seq > last:
			return fmt.Errorf("snapshot at seq %d is past the last seq %d", snap.Seq, last)
		}
		if err := putAll(sb, keySeq, seqKey(snap.Seq), keyState, snap.State); err != nil {
			return err
		}
		// Covered entries are a prefix of the log. A cursor must not step with Next after
		// Delete (it would skip a key), so each round starts again from First.
		c := b.Bucket(bucketLog).Cursor()
		for k, _ := c.First(); k != nil && binary.BigEndian.Uint64(k) <= snap.Seq; k, _ = c.First() {
			if err := c.Delete(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store/embedded: compact room %q: %w", id, err)
	}
	return nil
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

// update runs fn in a write transaction that commits only if ctx is still live when fn returns.
func (s *Store) update(ctx context.Context, fn func(*bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		return ctx.Err()
	})
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

func getSeq(b *bolt.Bucket, key []byte) (uint64, error) {
	v := b.Get(key)
	if len(v) != 8 {
		return 0, fmt.Errorf("%w: %s is %d bytes", errCorrupt, key, len(v))
	}
	return binary.BigEndian.Uint64(v), nil
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
