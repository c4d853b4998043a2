package embedded

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/pairpad/pairpad/store"
)

// The history of a room (doc.go): its bucket in bucketHistory holds keyBytes and two buckets,
// bucketEntries (chunks of the entries Compact covered) and bucketVersions; its snapshot
// bucket holds keyCheckpoint and a key per checkpoint.
var (
	bucketHistory  = []byte("history")
	bucketEntries  = []byte("entries")
	bucketVersions = []byte("versions")

	// keyBytes holds the bytes of the room's history that its history bucket and its snapshot
	// bucket hold (8 big-endian bytes): the entries' updates in its chunks, and its
	// checkpoints' states, the current snapshot's when it is one.
	keyBytes = []byte("bytes")
	// keyCheckpoint is in a snapshot bucket when the current snapshot is a checkpoint.
	keyCheckpoint = []byte("checkpoint")
)

// A checkpoint's key in its room's snapshot bucket is checkpointPrefix and its seq (8
// big-endian bytes): they sort after the bucket's named keys and before the chunks. Its value
// is checkpointInline and the state, or checkpointChunks and the generation (8 big-endian
// bytes) and count (4) of the chunks that hold it, which putSnapshot keeps.
const (
	checkpointPrefix = 0xfe
	checkpointInline = 0
	checkpointChunks = 1
)

func checkpointKey(seq uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{checkpointPrefix}, seq)
}

// checkpointSeq returns the seq of checkpoint key k, and false if k is not one.
func checkpointSeq(k []byte) (uint64, bool) {
	if len(k) != 9 || k[0] != checkpointPrefix {
		return 0, false
	}
	return binary.BigEndian.Uint64(k[1:]), true
}

// historyChunk is about the most bytes of entries a chunk of history holds: Compact splits what
// it covers into chunks of this size, so that reading a few entries decodes few others.
const historyChunk = 32 << 10

// current is what a snapshot bucket says of the room's current snapshot.
type current struct {
	seq        uint64
	checkpoint bool
	chunks     chunkRef // zero when the state is whole, under keyState
	size       int      // the state's length
}

// readCurrent reads the current snapshot's seq, whether it is a checkpoint, and where its
// state is, from snapshot bucket sb.
func readCurrent(sb *bolt.Bucket) (current, error) {
	var c current
	var err error
	if c.seq, err = getSeq(sb, keySeq); err != nil {
		return current{}, err
	}
	c.checkpoint = sb.Get(keyCheckpoint) != nil
	ref := sb.Get(keyChunks)
	if ref == nil {
		c.size = len(sb.Get(keyState))
		return c, nil
	}
	if c.chunks, err = decodeChunkRef(ref); err != nil {
		return current{}, err
	}
	for i := range c.chunks.count {
		c.size += len(sb.Get(chunkKey(c.chunks.generation, i)))
	}
	return c, nil
}

func decodeChunkRef(ref []byte) (chunkRef, error) {
	if len(ref) != 12 {
		return chunkRef{}, fmt.Errorf("%w: chunks is %d bytes", errCorrupt, len(ref))
	}
	return chunkRef{generation: binary.BigEndian.Uint64(ref), count: binary.BigEndian.Uint32(ref[8:])}, nil
}

func (ref chunkRef) encode() []byte {
	return binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint64(nil, ref.generation), ref.count)
}

// keptGenerations returns the chunk generations that checkpoints in sb hold.
func keptGenerations(sb *bolt.Bucket) (map[uint64]bool, error) {
	kept := make(map[uint64]bool)
	c := sb.Cursor()
	for k, v := c.Seek([]byte{checkpointPrefix}); k != nil; k, v = c.Next() {
		if _, ok := checkpointSeq(k); !ok {
			break
		}
		if len(v) > 0 && v[0] == checkpointChunks {
			ref, err := decodeChunkRef(v[1:])
			if err != nil {
				return nil, err
			}
			kept[ref.generation] = true
		}
	}
	return kept, nil
}

// keepCheckpoint puts the current snapshot cur of sb, a checkpoint that a newer snapshot is
// about to replace, under its checkpoint key: its chunks by reference, a whole state copied.
func keepCheckpoint(sb *bolt.Bucket, cur current) error {
	var v []byte
	if cur.chunks.count == 0 {
		v = append([]byte{checkpointInline}, sb.Get(keyState)...)
	} else {
		v = append([]byte{checkpointChunks}, cur.chunks.encode()...)
	}
	return sb.Put(checkpointKey(cur.seq), v)
}

// checkpointState returns the state of checkpoint value v in sb, a copy.
func checkpointState(sb *bolt.Bucket, v []byte) ([]byte, error) {
	switch {
	case len(v) > 0 && v[0] == checkpointInline:
		return bytes.Clone(v[1:]), nil
	case len(v) > 0 && v[0] == checkpointChunks:
		ref, err := decodeChunkRef(v[1:])
		if err != nil {
			return nil, err
		}
		return chunkedState(sb, ref)
	}
	return nil, fmt.Errorf("%w: a checkpoint of %d bytes", errCorrupt, len(v))
}

// lastCheckpoint returns the key and value of the newest checkpoint in sb with a seq <= seq,
// or nils if there is none.
func lastCheckpoint(sb *bolt.Bucket, seq uint64) (k, v []byte) {
	c := sb.Cursor()
	if k, _ = c.Seek(checkpointKey(seq + 1)); k == nil {
		k, v = c.Last()
	} else {
		k, v = c.Prev()
	}
	if _, ok := checkpointSeq(k); !ok {
		return nil, nil
	}
	return k, v
}

// historyStart returns the seq where the room's history starts: its oldest checkpoint's, or,
// with none but the current snapshot, the current snapshot's (doc.go).
func historyStart(sb *bolt.Bucket, cur current) uint64 {
	k, _ := sb.Cursor().Seek([]byte{checkpointPrefix})
	if seq, ok := checkpointSeq(k); ok {
		return seq
	}
	return cur.seq
}

// createHistory creates room id's bucket in history, holding bytes bytes so far.
func createHistory(history *bolt.Bucket, id []byte, bytes int64) error {
	hb, err := history.CreateBucket(id)
	if err != nil {
		return err
	}
	for _, name := range [][]byte{bucketEntries, bucketVersions} {
		if _, err := hb.CreateBucket(name); err != nil {
			return err
		}
	}
	return putBytes(hb, bytes)
}

// historyBucket returns the bucket of room id's history, which every room has.
func historyBucket(tx *bolt.Tx, id string) (*bolt.Bucket, error) {
	b := tx.Bucket(bucketHistory).Bucket([]byte(id))
	if b == nil {
		return nil, fmt.Errorf("%w: no history", errCorrupt)
	}
	return b, nil
}

func getBytes(hb *bolt.Bucket) (int64, error) {
	n, err := getSeq(hb, keyBytes)
	return int64(n), err
}

func putBytes(hb *bolt.Bucket, n int64) error {
	return hb.Put(keyBytes, seqKey(uint64(n)))
}

// addBytes adds n (which may be negative) to the bytes history bucket hb counts.
func addBytes(hb *bolt.Bucket, n int64) error {
	if n == 0 {
		return nil
	}
	old, err := getBytes(hb)
	if err != nil {
		return err
	}
	return putBytes(hb, old+n)
}

// putHistory writes entries, consecutive and in seq order, into chunks in b, the entries
// bucket of a room's history, and returns the bytes of their updates.
func putHistory(b *bolt.Bucket, entries []store.Entry) (int64, error) {
	// Keys only ever go at the end, but for the chunk TrimHistory cuts: fill pages completely.
	b.FillPercent = 1
	var n int64
	for len(entries) > 0 {
		g := groupBuilder{first: entries[0].Seq, last: entries[0].Seq - 1}
		for len(entries) > 0 && (len(g.body) < historyChunk || g.last < g.first) {
			g.add(entries[0])
			n += int64(len(entries[0].Update))
			entries = entries[1:]
		}
		value := binary.AppendUvarint(nil, g.last-g.first+1)
		if err := b.Put(seqKey(g.first), append(value, g.body...)); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// decodeChunk decodes the chunk of history stored under key with value v.
func decodeChunk(key, v []byte) (group, error) {
	if len(key) != 8 {
		return group{}, fmt.Errorf("%w: history key is %d bytes", errCorrupt, len(key))
	}
	d := decoder{buf: v}
	g := group{room: []byte("history"), first: binary.BigEndian.Uint64(key), count: d.uvarint()}
	g.body = v[d.off:]
	if d.err != nil || g.first == 0 || g.count == 0 || g.last() < g.first || g.count > uint64(len(g.body))/minEncodedEntry {
		return group{}, fmt.Errorf("%w: history chunk at seq %d", errCorrupt, g.first)
	}
	return g, nil
}

// historyEntries appends to log the entries of history bucket hb after seq after and up to
// upto, while log has fewer than limit, copied out of the database.
func historyEntries(hb *bolt.Bucket, after, upto uint64, limit int, log []store.Entry) ([]store.Entry, error) {
	c := hb.Bucket(bucketEntries).Cursor()
	// The chunk that holds after+1 starts at or before it.
	k, v := c.Seek(seqKey(after + 1))
	switch {
	case k == nil:
		k, v = c.Last()
	case binary.BigEndian.Uint64(k) > after+1:
		if pk, pv := c.Prev(); pk != nil {
			k, v = pk, pv
		} else {
			k, v = c.First()
		}
	}
	for ; k != nil && len(log) < limit; k, v = c.Next() {
		g, err := decodeChunk(k, v)
		if err != nil {
			return nil, err
		}
		if g.first > upto {
			break
		}
		if g.last() <= after {
			continue
		}
		entries, err := g.entries(after)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			if e.Seq > upto || len(log) == limit {
				break
			}
			e.Update = bytes.Clone(e.Update)
			log = append(log, e)
		}
	}
	return log, nil
}

// Checkpoint reads the current snapshot, or the checkpoint before it, in one read transaction.
func (s *Store) Checkpoint(ctx context.Context, id string, seq uint64) (store.Snapshot, error) {
	var snap store.Snapshot
	err := s.view(ctx, func(tx *bolt.Tx) error {
		if _, err := roomBucket(tx, id); err != nil {
			return err
		}
		sb, err := snapshotBucket(tx, id)
		if err != nil {
			return err
		}
		cur, err := readCurrent(sb)
		if err != nil {
			return err
		}
		if seq >= cur.seq {
			snap = store.Snapshot{Seq: cur.seq, Checkpoint: cur.checkpoint}
			snap.State, err = snapshotState(sb)
			return err
		}
		k, v := lastCheckpoint(sb, seq)
		if k == nil {
			return fmt.Errorf("%w: history starts at seq %d", store.ErrTrimmed, historyStart(sb, cur))
		}
		at, _ := checkpointSeq(k)
		snap = store.Snapshot{Seq: at, Checkpoint: true}
		snap.State, err = checkpointState(sb, v)
		return err
	})
	if err != nil {
		return store.Snapshot{}, fmt.Errorf("store/embedded: checkpoint of room %q at %d: %w", id, seq, err)
	}
	return snap, nil
}

// Entries reads the room's history chunks, then its live entries (its log and the journal), in
// one read transaction begun as Load begins its own.
func (s *Store) Entries(ctx context.Context, id string, after, upto uint64, limit int) ([]store.Entry, error) {
	log, err := s.entries(ctx, id, after, upto, limit)
	if err != nil {
		return nil, fmt.Errorf("store/embedded: entries of room %q after %d: %w", id, after, err)
	}
	return log, nil
}

func (s *Store) entries(ctx context.Context, id string, after, upto uint64, limit int) ([]store.Entry, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("limit %d is not positive", limit)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	tx, spans, err := s.beginLoad(id)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if _, err := roomBucket(tx, id); err != nil {
		return nil, err
	}
	sb, err := snapshotBucket(tx, id)
	if err != nil {
		return nil, err
	}
	cur, err := readCurrent(sb)
	if err != nil {
		return nil, err
	}
	if start := historyStart(sb, cur); after < start {
		return nil, fmt.Errorf("%w: history starts at seq %d", store.ErrTrimmed, start)
	}
	var log []store.Entry
	if after < cur.seq {
		hb, err := historyBucket(tx, id)
		if err != nil {
			return nil, err
		}
		if log, err = historyEntries(hb, after, min(upto, cur.seq), limit, log); err != nil {
			return nil, err
		}
	}
	if upto <= cur.seq || len(log) == limit {
		return log, nil
	}
	live, err := liveEntries(tx, id, spans, max(after, cur.seq))
	if err != nil {
		return nil, err
	}
	for _, e := range live {
		if e.Seq > upto || len(log) == limit {
			break
		}
		log = append(log, e)
	}
	return log, nil
}

// PutVersion checks v against the versions beside it and puts it, in one write transaction.
func (s *Store) PutVersion(ctx context.Context, id string, v store.Version) error {
	if err := store.CheckVersion(v); err != nil {
		return fmt.Errorf("store/embedded: put version of room %q: %w", id, err)
	}
	err := s.write(ctx, func(tx *bolt.Tx) (func(), error) {
		r := s.index.rooms[id]
		if r == nil {
			return nil, store.ErrNotFound
		}
		if v.ToSeq > r.lastSeq {
			return nil, fmt.Errorf("%w: it ends at seq %d, past the last seq %d", store.ErrInvalidVersion, v.ToSeq, r.lastSeq)
		}
		hb, err := historyBucket(tx, id)
		if err != nil {
			return nil, err
		}
		b := hb.Bucket(bucketVersions)
		// Versions do not overlap, so only the nearest one on each side can overlap v.
		c := b.Cursor()
		k, _ := c.Seek(seqKey(v.FromSeq))
		if k != nil && binary.BigEndian.Uint64(k) == v.FromSeq {
			k, _ = c.Next()
		}
		if k != nil && binary.BigEndian.Uint64(k) <= v.ToSeq {
			return nil, fmt.Errorf("%w: it overlaps the version from seq %d", store.ErrInvalidVersion, binary.BigEndian.Uint64(k))
		}
		if k, _ = c.Seek(seqKey(v.FromSeq)); k == nil {
			k, _ = c.Last()
		} else {
			k, _ = c.Prev()
		}
		if k != nil {
			prev, err := decodeVersion(k, b.Get(k))
			if err != nil {
				return nil, err
			}
			if prev.ToSeq >= v.FromSeq {
				return nil, fmt.Errorf("%w: it overlaps the version from seq %d to %d", store.ErrInvalidVersion, prev.FromSeq, prev.ToSeq)
			}
		}
		return func() {}, b.Put(seqKey(v.FromSeq), encodeVersion(v))
	})
	if err != nil {
		return fmt.Errorf("store/embedded: put version of room %q from seq %d: %w", id, v.FromSeq, err)
	}
	return nil
}

// Versions walks the room's versions backwards from before with one cursor: a version with
// ToSeq < before has FromSeq < before too, and only the one that spans before is skipped.
func (s *Store) Versions(ctx context.Context, id string, before uint64, limit int) ([]store.Version, error) {
	var vs []store.Version
	err := s.view(ctx, func(tx *bolt.Tx) error {
		if limit <= 0 {
			return fmt.Errorf("limit %d is not positive", limit)
		}
		if _, err := roomBucket(tx, id); err != nil {
			return err
		}
		hb, err := historyBucket(tx, id)
		if err != nil {
			return err
		}
		c := hb.Bucket(bucketVersions).Cursor()
		var k, v []byte
		if before == 0 {
			k, v = c.Last()
		} else if k, _ = c.Seek(seqKey(before)); k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
		for ; k != nil && len(vs) < limit; k, v = c.Prev() {
			ver, err := decodeVersion(k, v)
			if err != nil {
				return err
			}
			if before == 0 || ver.ToSeq < before {
				vs = append(vs, ver)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store/embedded: versions of room %q before %d: %w", id, before, err)
	}
	return vs, nil
}

// encodeVersion returns the value that stores v under its FromSeq: uvarints of ToSeq, Added,
// Removed and Restore, varints of From and To (Unix microseconds), then the number of Authors
// and each one's length and bytes.
func encodeVersion(v store.Version) []byte {
	var b []byte
	for _, n := range []uint64{v.ToSeq, uint64(v.Added), uint64(v.Removed), v.Restore} {
		b = binary.AppendUvarint(b, n)
	}
	b = binary.AppendVarint(b, v.From.UnixMicro())
	b = binary.AppendVarint(b, v.To.UnixMicro())
	b = binary.AppendUvarint(b, uint64(len(v.Authors)))
	for _, a := range v.Authors {
		b = binary.AppendUvarint(b, uint64(len(a)))
		b = append(b, a...)
	}
	return b
}

// decodeVersion decodes the version stored under key with value v, copying what it keeps.
func decodeVersion(key, v []byte) (store.Version, error) {
	if len(key) != 8 {
		return store.Version{}, fmt.Errorf("%w: version key is %d bytes", errCorrupt, len(key))
	}
	d := decoder{buf: v}
	ver := store.Version{FromSeq: binary.BigEndian.Uint64(key), ToSeq: d.uvarint()}
	ver.Added, ver.Removed, ver.Restore = int(d.uvarint()), int(d.uvarint()), d.uvarint()
	ver.From, ver.To = time.UnixMicro(d.varint()).UTC(), time.UnixMicro(d.varint()).UTC()
	n := d.uvarint()
	if n > store.MaxVersionAuthors {
		return store.Version{}, fmt.Errorf("%w: version at seq %d has %d authors", errCorrupt, ver.FromSeq, n)
	}
	for range n {
		ver.Authors = append(ver.Authors, string(d.bytes(d.uvarint())))
	}
	if d.err != nil || d.off != len(v) {
		return store.Version{}, fmt.Errorf("%w: version at seq %d: %v", errCorrupt, ver.FromSeq, d.err)
	}
	return ver, nil
}

// TrimHistory drops what is older than the snapshot it keeps in one write transaction: the
// checkpoints before it with their chunks, the history chunks up to it (the one that spans it
// is written again from there), and the versions that end before before. The index does not
// change: it knows nothing of history.
func (s *Store) TrimHistory(ctx context.Context, id string, before uint64) error {
	err := s.write(ctx, func(tx *bolt.Tx) (func(), error) {
		if s.index.rooms[id] == nil {
			return nil, store.ErrNotFound
		}
		sb, err := snapshotBucket(tx, id)
		if err != nil {
			return nil, err
		}
		hb, err := historyBucket(tx, id)
		if err != nil {
			return nil, err
		}
		cur, err := readCurrent(sb)
		if err != nil {
			return nil, err
		}
		var removed int64
		keep := cur.seq
		if before < cur.seq {
			k, _ := lastCheckpoint(sb, before)
			if k == nil {
				return func() {}, nil // before is before the history starts: nothing to drop
			}
			keep, _ = checkpointSeq(k)
		} else if !cur.checkpoint {
			// The current snapshot becomes the oldest of the history: a newer one must not drop it.
			if err := sb.Put(keyCheckpoint, []byte{1}); err != nil {
				return nil, err
			}
			removed -= int64(cur.size)
		}
		n, err := trimCheckpoints(sb, keep)
		if err != nil {
			return nil, err
		}
		removed += n
		if n, err = trimEntries(hb.Bucket(bucketEntries), keep); err != nil {
			return nil, err
		}
		removed += n
		if err := trimVersions(hb.Bucket(bucketVersions), before); err != nil {
			return nil, err
		}
		return func() {}, addBytes(hb, -removed)
	})
	if err != nil {
		return fmt.Errorf("store/embedded: trim history of room %q before %d: %w", id, before, err)
	}
	return nil
}

// trimCheckpoints deletes the checkpoints of sb before seq keep, and their chunks, and returns
// the bytes of their states.
func trimCheckpoints(sb *bolt.Bucket, keep uint64) (int64, error) {
	var keys [][]byte
	var n int64
	c := sb.Cursor()
	for k, v := c.Seek([]byte{checkpointPrefix}); k != nil; k, v = c.Next() {
		seq, ok := checkpointSeq(k)
		if !ok || seq >= keep {
			break
		}
		keys = append(keys, bytes.Clone(k))
		if len(v) > 0 && v[0] == checkpointChunks {
			ref, err := decodeChunkRef(v[1:])
			if err != nil {
				return 0, err
			}
			for i := range ref.count {
				n += int64(len(sb.Get(chunkKey(ref.generation, i))))
				keys = append(keys, chunkKey(ref.generation, i))
			}
		} else {
			n += int64(len(v) - 1)
		}
	}
	for _, k := range keys {
		if err := sb.Delete(k); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// trimEntries deletes the entries up to seq keep from the history chunks of b, writing the one
// that spans keep again with the entries after it, and returns the bytes of their updates.
func trimEntries(b *bolt.Bucket, keep uint64) (int64, error) {
	var n int64
	var kept []store.Entry
	// A cursor must not step with Next after Delete: each round starts again from First.
	c := b.Cursor()
	for k, v := c.First(); k != nil && binary.BigEndian.Uint64(k) <= keep; k, v = c.First() {
		g, err := decodeChunk(k, v)
		if err != nil {
			return 0, err
		}
		entries, err := g.entries(0)
		if err != nil {
			return 0, err
		}
		for _, e := range entries {
			if e.Seq > keep {
				e.Update = bytes.Clone(e.Update)
				kept = append(kept, e)
			} else {
				n += int64(len(e.Update))
			}
		}
		if err := c.Delete(); err != nil {
			return 0, err
		}
	}
	if _, err := putHistory(b, kept); err != nil {
		return 0, err
	}
	return n, nil
}

// trimVersions deletes the versions of b that end before seq before: a prefix, as versions do
// not overlap.
func trimVersions(b *bolt.Bucket, before uint64) error {
	c := b.Cursor()
	for k, v := c.First(); k != nil; k, v = c.First() {
		ver, err := decodeVersion(k, v)
		if err != nil {
			return err
		}
		if ver.ToSeq >= before {
			return nil
		}
		if err := c.Delete(); err != nil {
			return err
		}
	}
	return nil
}

// HistoryBytes adds the bytes of the room's live entries, in its log and the journal, to the
// bytes its history bucket counts, in one read transaction begun as Load begins its own.
func (s *Store) HistoryBytes(ctx context.Context, id string) (int64, error) {
	n, err := s.historyBytes(ctx, id)
	if err != nil {
		return 0, fmt.Errorf("store/embedded: history bytes of room %q: %w", id, err)
	}
	return n, nil
}

func (s *Store) historyBytes(ctx context.Context, id string) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	tx, spans, err := s.beginLoad(id)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	if _, err := roomBucket(tx, id); err != nil {
		return 0, err
	}
	hb, err := historyBucket(tx, id)
	if err != nil {
		return 0, err
	}
	n, err := getBytes(hb)
	if err != nil {
		return 0, err
	}
	sb, err := snapshotBucket(tx, id)
	if err != nil {
		return 0, err
	}
	seq, err := getSeq(sb, keySeq)
	if err != nil {
		return 0, err
	}
	live, err := liveEntries(tx, id, spans, seq)
	if err != nil {
		return 0, err
	}
	for _, e := range live {
		n += int64(len(e.Update))
	}
	return n, nil
}
