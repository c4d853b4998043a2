package embedded

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/pairpad/pairpad/store"
)

// layoutVersion is the version of the file layout this code reads and writes (doc.go describes
// it). Open upgrades a file of an older layout and refuses one of a newer layout.
const layoutVersion = 7

var (
	bucketMeta = []byte("meta")
	keyLayout  = []byte("layout")
	// keyLanguage held a room's language in layout 1; the room's document holds it now.
	keyLanguage = []byte("language")
	// keySnapshotSeq and keySnapshot held a room's snapshot in its bucket in layouts 1 and 2;
	// the snapshots bucket holds it now.
	keySnapshotSeq = []byte("snapshot_seq")
	keySnapshot    = []byte("snapshot")
)

var errNewerLayout = errors.New("store/embedded: the file was written by a newer pairpad")

// entryHeaderLen is the size of an entry value's fixed header: the time, then the session's length.
const entryHeaderLen = 8 + 1

// upgrade brings a file to layoutVersion in tx: a new file gets the empty layout, a file
// written by an older layout is converted. A file without a meta bucket but with a rooms
// bucket has layout 1, which predates the meta bucket.
func upgrade(tx *bolt.Tx) error {
	if tx.Bucket(bucketRooms) == nil {
		for _, name := range [][]byte{bucketRooms, bucketSnapshots, bucketJournal, bucketDeleted, bucketLinks} {
			if _, err := tx.CreateBucket(name); err != nil {
				return err
			}
		}
		return setLayout(tx)
	}
	version, err := storedLayout(tx)
	switch {
	case err != nil:
		return err
	case version == layoutVersion:
		return nil
	case version > layoutVersion:
		return fmt.Errorf("%w (layout %d; this one reads layouts up to %d)", errNewerLayout, version, layoutVersion)
	}
	if version < 2 {
		if err := upgradeFrom1(tx); err != nil {
			return fmt.Errorf("upgrade from layout 1: %w", err)
		}
	}
	if version < 3 {
		if err := upgradeFrom2(tx); err != nil {
			return fmt.Errorf("upgrade from layout 2: %w", err)
		}
	}
	if version < 4 {
		// Layout 3 had no journal: every entry is in its room's log, with its room's last_seq.
		if _, err := tx.CreateBucket(bucketJournal); err != nil {
			return fmt.Errorf("upgrade from layout 3: %w", err)
		}
	}
	if version < 5 {
		// Layout 4 could not delete rooms, so it has no tombstones; its rooms have no
		// opened_at, and read their created_at instead.
		if _, err := tx.CreateBucket(bucketDeleted); err != nil {
			return fmt.Errorf("upgrade from layout 4: %w", err)
		}
	}
	// Layout 5 wrote every snapshot whole: it has no chunks.
	if version < 7 {
		if err := upgradeFrom6(tx); err != nil {
			return fmt.Errorf("upgrade from layout 6: %w", err)
		}
	}
	return setLayout(tx)
}

// storedLayout returns the layout of the file, which has a rooms bucket.
func storedLayout(tx *bolt.Tx) (uint64, error) {
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		return 1, nil
	}
	v := meta.Get(keyLayout)
	if len(v) != 8 {
		return 0, fmt.Errorf("%w: layout is %d bytes", errCorrupt, len(v))
	}
	return binary.BigEndian.Uint64(v), nil
}

func setLayout(tx *bolt.Tx) error {
	meta, err := tx.CreateBucketIfNotExists(bucketMeta)
	if err != nil {
		return err
	}
	return meta.Put(keyLayout, binary.BigEndian.AppendUint64(nil, layoutVersion))
}

// upgradeFrom1 converts every room of a layout 1 file, whose log values were bare updates, to
// entries with the zero time and the empty session (both unknown), and deletes the rooms'
// language keys. It runs in one transaction: the file is in one layout or the other.
func upgradeFrom1(tx *bolt.Tx) error {
	return tx.Bucket(bucketRooms).ForEachBucket(func(id []byte) error {
		b := tx.Bucket(bucketRooms).Bucket(id)
		if err := b.Delete(keyLanguage); err != nil {
			return err
		}
		log := b.Bucket(bucketLog)
		// A cursor must not go on after a Put, so read the whole log before writing it.
		var keys, values [][]byte
		err := log.ForEach(func(k, v []byte) error {
			keys = append(keys, bytes.Clone(k))
			values = append(values, appendEntry(nil, store.Entry{Update: v}))
			return nil
		})
		if err != nil {
			return err
		}
		for i, k := range keys {
			if err := log.Put(k, values[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

// upgradeFrom2 moves every room's snapshot (snapshot_seq and snapshot, in the room's bucket
// in layouts 1 and 2) to the room's bucket in the snapshots bucket, as seq and state.
func upgradeFrom2(tx *bolt.Tx) error {
	snapshots, err := tx.CreateBucket(bucketSnapshots)
	if err != nil {
		return err
	}
	rooms := tx.Bucket(bucketRooms)
	return rooms.ForEachBucket(func(id []byte) error {
		b := rooms.Bucket(id)
		seq := b.Get(keySnapshotSeq)
		if len(seq) != 8 {
			return fmt.Errorf("%w: room %q: snapshot_seq is %d bytes", errCorrupt, id, len(seq))
		}
		sb, err := snapshots.CreateBucket(id)
		if err != nil {
			return err
		}
		// Put keeps the value it is given until the commit, and these point into the memory
		// map, which a growing file moves: put copies.
		if err := putAll(sb, keySeq, bytes.Clone(seq), keyState, bytes.Clone(b.Get(keySnapshot))); err != nil {
			return err
		}
		return errors.Join(b.Delete(keySnapshotSeq), b.Delete(keySnapshot))
	})
}

// upgradeFrom6 gives every room of a file of layout 6 or older, which had no links, the access
// a room created before links has: its id as its edit link (edit_id in its bucket, and a key
// of the links bucket that maps it to the room), no view link, no owner, unlocked.
func upgradeFrom6(tx *bolt.Tx) error {
	links, err := tx.CreateBucket(bucketLinks)
	if err != nil {
		return err
	}
	rooms := tx.Bucket(bucketRooms)
	return rooms.ForEachBucket(func(id []byte) error {
		// Put keeps the slices it is given until the commit, and id points into the memory
		// map, which a growing file moves.
		id = bytes.Clone(id)
		return errors.Join(links.Put(id, id), rooms.Bucket(id).Put(keyEditID, id))
	})
}

// appendEntry appends the value that stores e in a room's log to dst: e.Time as Unix
// microseconds (8 bytes, big-endian two's complement; the zero time.Time is a value like any
// other), the length of e.Session (one byte), its bytes, then e.Update. The key holds e.Seq.
func appendEntry(dst []byte, e store.Entry) []byte {
	dst = binary.BigEndian.AppendUint64(dst, uint64(e.Time.UnixMicro()))
	dst = append(dst, byte(len(e.Session)))
	dst = append(dst, e.Session...)
	return append(dst, e.Update...)
}

// decodeEntry decodes the log entry stored under key with value v, copying what it keeps:
// bbolt's keys and values are valid only inside their transaction.
func decodeEntry(key, v []byte) (store.Entry, error) {
	if len(key) != 8 {
		return store.Entry{}, fmt.Errorf("%w: log key is %d bytes", errCorrupt, len(key))
	}
	seq := binary.BigEndian.Uint64(key)
	if len(v) < entryHeaderLen || len(v) < entryHeaderLen+int(v[8]) {
		return store.Entry{}, fmt.Errorf("%w: log entry %d is %d bytes, too short", errCorrupt, seq, len(v))
	}
	session := v[entryHeaderLen : entryHeaderLen+int(v[8])]
	return store.Entry{
		Seq:     seq,
		Update:  bytes.Clone(v[entryHeaderLen+len(session):]),
		Time:    time.UnixMicro(int64(binary.BigEndian.Uint64(v))).UTC(),
		Session: string(session),
	}, nil
}
