package embedded

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/pairpad/pairpad/store"
)

// A journal record holds every entry one commit appended, in one group per room (doc.go):
//
//	group   = uvarint(len(room)) room uvarint(first seq) uvarint(count) uvarint(len(body)) body
//	body    = count times: varint(time - previous time) session author uvarint(len(update)) update
//	session = uvarint(0), the previous entry's session | uvarint(n+1) and the n bytes of a session
//	author  = uvarint(0), the previous entry's author | uvarint(n+1) and the n bytes of an author
//
// Times are Unix microseconds; a group's first entry counts its time from 0 and its session
// and author from the empty one. The group's length lets a reader skip its entries. A chunk of
// a room's history (doc.go) holds a body of the same form.

// minEncodedEntry is the fewest bytes an entry takes in a group's body: a byte each for its
// time, its session, its author and its update's length.
const minEncodedEntry = 4

// recordBuilder builds one journal record: the entries a commit appends, numbered after each
// room's last seq, grouped by room in the order the rooms first appear.
type recordBuilder struct {
	groups []*groupBuilder
	byRoom map[string]*groupBuilder
}

// groupBuilder is one room's group in a record being built.
type groupBuilder struct {
	room        string
	index       *roomIndex
	first, last uint64
	body        []byte
	time        int64  // the last entry's time
	session     string // the last entry's session
	author      string // the last entry's author
}

// newSpan is where a room's group sits in a record: at offset in its value, holding entries
// up to seq last.
type newSpan struct {
	room   *roomIndex
	offset int
	last   uint64
}

func newRecordBuilder() *recordBuilder {
	return &recordBuilder{byRoom: make(map[string]*groupBuilder)}
}

// add numbers entries after the room's last seq (ri's), or after its entries already in the
// record, adds them to the room's group and returns the seq of the last one. With no entries
// it only returns the room's last seq.
func (r *recordBuilder) add(room string, ri *roomIndex, entries []store.Entry) uint64 {
	g := r.byRoom[room]
	if g == nil {
		if len(entries) == 0 {
			return ri.lastSeq
		}
		g = &groupBuilder{room: room, index: ri, first: ri.lastSeq + 1, last: ri.lastSeq}
		r.groups = append(r.groups, g)
		r.byRoom[room] = g
	}
	for _, e := range entries {
		g.add(e)
	}
	return g.last
}

// add appends e to the group's body, numbered after its last entry.
func (g *groupBuilder) add(e store.Entry) {
	t := e.Time.UnixMicro()
	g.body = binary.AppendVarint(g.body, t-g.time)
	g.body = appendRepeated(g.body, g.session, e.Session)
	g.body = appendRepeated(g.body, g.author, e.Author)
	g.body = binary.AppendUvarint(g.body, uint64(len(e.Update)))
	g.body = append(g.body, e.Update...)
	g.time, g.session, g.author = t, e.Session, e.Author
	g.last++
}

// appendRepeated appends s to dst as a body codes a session or an author: uvarint(0) if it is
// previous, the one the entry before had, else uvarint(len(s)+1) and s.
func appendRepeated(dst []byte, previous, s string) []byte {
	if s == previous {
		return binary.AppendUvarint(dst, 0)
	}
	dst = binary.AppendUvarint(dst, uint64(len(s))+1)
	return append(dst, s...)
}

// empty reports whether the record has no entries, so that there is nothing to write.
func (r *recordBuilder) empty() bool { return len(r.groups) == 0 }

// encode returns the record's value and where each room's group sits in it.
func (r *recordBuilder) encode() ([]byte, []newSpan) {
	var value []byte
	spans := make([]newSpan, len(r.groups))
	for i, g := range r.groups {
		spans[i] = newSpan{room: g.index, offset: len(value), last: g.last}
		value = binary.AppendUvarint(value, uint64(len(g.room)))
		value = append(value, g.room...)
		value = binary.AppendUvarint(value, g.first)
		value = binary.AppendUvarint(value, g.last-g.first+1)
		value = binary.AppendUvarint(value, uint64(len(g.body)))
		value = append(value, g.body...)
	}
	return value, spans
}

// group is one room's group decoded from a record; room and body point into the record.
type group struct {
	room  []byte
	first uint64
	count uint64
	body  []byte
}

// last returns the seq of the group's last entry.
func (g group) last() uint64 { return g.first + g.count - 1 }

// decodeGroup decodes the header of the group at value[offset:] and returns it with the offset
// of the group after it. It checks that the body fits in value, not the entries in the body.
func decodeGroup(value []byte, offset int) (group, int, error) {
	d := decoder{buf: value, off: offset}
	var g group
	g.room = d.bytes(d.uvarint())
	g.first = d.uvarint()
	g.count = d.uvarint()
	g.body = d.bytes(d.uvarint())
	switch {
	case d.err != nil:
		return group{}, 0, fmt.Errorf("%w: journal group at %d: %w", errCorrupt, offset, d.err)
	case g.first == 0 || g.count == 0 || g.last() < g.first:
		return group{}, 0, fmt.Errorf("%w: journal group at %d: seqs %d to %d", errCorrupt, offset, g.first, g.first+g.count-1)
	case g.count > uint64(len(g.body))/minEncodedEntry:
		return group{}, 0, fmt.Errorf("%w: journal group at %d: %d entries in %d bytes", errCorrupt, offset, g.count, len(g.body))
	}
	return g, d.off, nil
}

// entries decodes the group's entries with a seq after after. Their updates point into the
// record: a caller that keeps one past its transaction copies it.
func (g group) entries(after uint64) ([]store.Entry, error) {
	d := decoder{buf: g.body}
	var entries []store.Entry
	var t int64
	var session, author string
	for seq := g.first; seq <= g.last(); seq++ {
		t += d.varint()
		session = d.repeated(session)
		author = d.repeated(author)
		update := d.bytes(d.uvarint())
		if d.err != nil {
			return nil, fmt.Errorf("%w: journal entry %d of room %q: %w", errCorrupt, seq, g.room, d.err)
		}
		if seq > after {
			entries = append(entries, store.Entry{Seq: seq, Update: update, Time: time.UnixMicro(t).UTC(), Session: session, Author: author})
		}
	}
	if d.off != len(g.body) {
		return nil, fmt.Errorf("%w: journal group of room %q: %d bytes after its last entry", errCorrupt, g.room, len(g.body)-d.off)
	}
	return entries, nil
}

// decoder reads varints and byte strings from buf, trusting no length it reads: past the
// first error every read returns zero values.
type decoder struct {
	buf []byte
	off int
	err error
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.buf[d.off:])
	if n <= 0 {
		d.err = fmt.Errorf("bad uvarint at %d", d.off)
		return 0
	}
	d.off += n
	return v
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.buf[d.off:])
	if n <= 0 {
		d.err = fmt.Errorf("bad varint at %d", d.off)
		return 0
	}
	d.off += n
	return v
}

// repeated reads a session or an author as appendRepeated wrote it, after previous.
func (d *decoder) repeated(previous string) string {
	if n := d.uvarint(); n > 0 {
		return string(d.bytes(n - 1))
	}
	return previous
}

// bytes returns the next n bytes, in place.
func (d *decoder) bytes(n uint64) []byte {
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.buf)-d.off) {
		d.err = fmt.Errorf("%d bytes at %d, past the end (%d)", n, d.off, len(d.buf))
		return nil
	}
	b := d.buf[d.off : d.off+int(n)]
	d.off += int(n)
	return b
}
