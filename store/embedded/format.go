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
const layoutVersion = 8

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

// upgrade brings a file to layoutVersion in tx: a new file gets the empty layout, a file
// written by an older layout is converted. A file without a meta bucket but with a rooms
// bucket has layout 1, which predates the meta bucket.
func upgrade(tx *bolt.Tx) error {
	if tx.Bucket(bucketRooms) == nil {
		for _, name := range [][]byte{bucketRooms, bucketSnapshots, bucketJournal, bucketDeleted, bucketLinks, bucketHistory} {
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
	for _, u := range upgrades {
		if version <= u.from {
			if err := u.upgrade(tx); err != nil {
				return fmt.Errorf("upgrade from layout %d: %w", u.from, err)
			}
		}
	}
	return setLayout(tx)
}

// upgrades convert a file of layout from to the next, in order. Layout 5 needs none: it wrote
// every snapshot whole, and has no chunks.
var upgrades = []struct {
	from    uint64
	upgrade func(tx *bolt.Tx) error
}{
	{1, upgradeFrom1},
	{2, upgradeFrom2},
	// Layout 3 had no journal: every entry is in its room's log, with its room's last_seq.
	{3, createBucket(bucketJournal)},
	// Layout 4 could not delete rooms, so it has no tombstones; its rooms have no opened_at,
	// and read their created_at instead.
	{4, createBucket(bucketDeleted)},
	{6, upgradeFrom6},
	{7, upgradeFrom7},
}

// createBucket returns an upgrade that adds the top-level bucket name.
func createBucket(name []byte) func(tx *bolt.Tx) error {
	return func(tx *bolt.Tx) error {
		_, err := tx.CreateBucket(name)
		return err
	}
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
		return rewriteValues(b.Bucket(bucketLog), func(_, v []byte) ([]byte, error) {
			return appendEntry7(nil, store.Entry{Update: v}), nil
		})
	})
}

// rewriteValues replaces every value of b with what rewrite makes of it. A cursor must not go
// on after a Put, so it reads them all before it writes any.
func rewriteValues(b *bolt.Bucket, rewrite func(k, v []byte) ([]byte, error)) error {
	var keys, values [][]byte
	err := b.ForEach(func(k, v []byte) error {
		value, err := rewrite(k, v)
		keys, values = append(keys, bytes.Clone(k)), append(values, value)
		return err
	})
	if err != nil {
		return err
	}
	for i, k := range keys {
		if err := b.Put(k, values[i]); err != nil {
			return err
		}
	}
	return nil
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

// upgradeFrom7 gives the entries of a file of layout 7 or older, which had no authors, the
// empty author: it rewrites every journal record's groups and every value of the rooms' logs.
// It gives every room a bucket in the new history bucket, and makes every room's snapshot a
// checkpoint: compaction deleted the entries before it, so the room's history starts there.
func upgradeFrom7(tx *bolt.Tx) error {
	err := rewriteValues(tx.Bucket(bucketJournal), func(k, v []byte) ([]byte, error) {
		record, err := upgradeRecord7(v)
		if err != nil {
			return nil, fmt.Errorf("journal record %x: %w", k, err)
		}
		return record, nil
	})
	if err != nil {
		return err
	}
	history, err := tx.CreateBucket(bucketHistory)
	if err != nil {
		return err
	}
	rooms, snapshots := tx.Bucket(bucketRooms), tx.Bucket(bucketSnapshots)
	return rooms.ForEachBucket(func(id []byte) error {
		id = bytes.Clone(id) // Put keeps it until the commit; the memory map may move
		err := rewriteValues(rooms.Bucket(id).Bucket(bucketLog), func(k, v []byte) ([]byte, error) {
			if len(v) < 9 || len(v) < 9+int(v[8]) {
				return nil, fmt.Errorf("%w: room %q: log entry %x is %d bytes, too short", errCorrupt, id, k, len(v))
			}
			// Layout 7's value is the time, the session's length and bytes, the update: the
			// author's length, 0, goes after the session.
			value := append(bytes.Clone(v[:9+int(v[8])]), 0)
			return append(value, v[9+int(v[8]):]...), nil
		})
		if err != nil {
			return err
		}
		sb := snapshots.Bucket(id)
		if sb == nil {
			return fmt.Errorf("%w: room %q has no snapshot", errCorrupt, id)
		}
		current, err := readCurrent(sb)
		if err != nil {
			return fmt.Errorf("room %q: %w", id, err)
		}
		if err := sb.Put(keyCheckpoint, []byte{1}); err != nil {
			return err
		}
		return createHistory(history, id, int64(current.size))
	})
}

// upgradeRecord7 returns a journal record of layout 7, whose entries had no author, in today's
// form: each entry with the empty author.
func upgradeRecord7(v []byte) ([]byte, error) {
	var record []byte
	for offset := 0; offset < len(v); {
		g, next, err := decodeGroup(v, offset)
		if err != nil {
			return nil, err
		}
		offset = next
		d := decoder{buf: g.body}
		b := groupBuilder{first: g.first, last: g.first - 1}
		var t int64
		var session string
		for range g.count {
			t += d.varint()
			session = d.repeated(session)
			update := d.bytes(d.uvarint())
			b.add(store.Entry{Update: update, Time: time.UnixMicro(t), Session: session})
		}
		if d.err != nil || d.off != len(g.body) {
			return nil, fmt.Errorf("%w: journal group of room %q in layout 7: %v", errCorrupt, g.room, d.err)
		}
		record = binary.AppendUvarint(record, uint64(len(g.room)))
		record = append(record, g.room...)
		record = binary.AppendUvarint(record, g.first)
		record = binary.AppendUvarint(record, g.count)
		record = binary.AppendUvarint(record, uint64(len(b.body)))
		record = append(record, b.body...)
	}
	return record, nil
}

// appendEntry7 appends the value that stored e in a room's log in layouts 2 to 7: appendEntry's
// without the author.
func appendEntry7(dst []byte, e store.Entry) []byte {
	dst = binary.BigEndian.AppendUint64(dst, uint64(e.Time.UnixMicro()))
	dst = append(dst, byte(len(e.Session)))
	dst = append(dst, e.Session...)
	return append(dst, e.Update...)
}

// appendEntry appends the value that stores e in a room's log to dst: e.Time as Unix
// microseconds (8 bytes, big-endian two's complement; the zero time.Time is a value like any
// other), the length of e.Session (one byte) and its bytes, the length of e.Author (one byte)
// and its bytes, then e.Update. The key holds e.Seq.
func appendEntry(dst []byte, e store.Entry) []byte {
	dst = binary.BigEndian.AppendUint64(dst, uint64(e.Time.UnixMicro()))
	dst = append(dst, byte(len(e.Session)))
	dst = append(dst, e.Session...)
	dst = append(dst, byte(len(e.Author)))
	dst = append(dst, e.Author...)
	return append(dst, e.Update...)
}

// decodeEntry decodes the log entry stored under key with value v, copying what it keeps:
// bbolt's keys and values are valid only inside their transaction.
func decodeEntry(key, v []byte) (store.Entry, error) {
	if len(key) != 8 {
		return store.Entry{}, fmt.Errorf("%w: log key is %d bytes", errCorrupt, len(key))
	}
	seq := binary.BigEndian.Uint64(key)
	short := func() error { return fmt.Errorf("%w: log entry %d is %d bytes, too short", errCorrupt, seq, len(v)) }
	if len(v) < 8+1 {
		return store.Entry{}, short()
	}
	rest := v[8:]
	var texts [2]string // the session, then the author
	for i := range texts {
		if len(rest) < 1 || len(rest) < 1+int(rest[0]) {
			return store.Entry{}, short()
		}
		texts[i], rest = string(rest[1:1+int(rest[0])]), rest[1+int(rest[0]):]
	}
	return store.Entry{
		Seq:     seq,
		Update:  bytes.Clone(rest),
		Time:    time.UnixMicro(int64(binary.BigEndian.Uint64(v))).UTC(),
		Session: texts[0],
		Author:  texts[1],
	}, nil
}
