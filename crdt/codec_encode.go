package crdt

import (
	"fmt"

	"github.com/pairpad/pairpad/crdt/internal/lib0"
)

// This file writes the update v1 format: structs as Yjs's Item.write, GC.write and Skip.write
// do, a document's state (EncodeStateAsUpdate) and its pending structs.

// write encodes the item as Yjs's Item.write, GC.write or Skip.write do, starting offset units
// into it.
func (it *item) write(e *lib0.Encoder, offset int) { e.Buf = it.appendTo(e.Buf, offset) }

// appendTo is write on a plain slice: hot loops keep the buffer in a local variable.
func (it *item) appendTo(b []byte, offset int) []byte {
	switch it.kind {
	case kindGC, kindSkip:
		b = append(b, it.kind)
		return lib0.AppendVarUint(b, uint64(it.length-offset))
	}
	origin := it.originPtr()
	var cut ID
	if offset > 0 {
		cut = ID{it.id.Client, it.id.Clock + uint64(offset) - 1}
		origin = &cut
	}
	rightOrigin := it.rightOriginPtr()
	info := it.kind
	if origin != nil {
		info |= infoHasOrigin
	}
	if rightOrigin != nil {
		info |= infoHasRightOrigin
	}
	if it.hasParentSub() {
		info |= infoHasParentSub
	}
	b = append(b, info)
	if origin != nil {
		b = lib0.AppendVarUint(lib0.AppendVarUint(b, origin.Client), origin.Clock)
	}
	if rightOrigin != nil {
		b = lib0.AppendVarUint(lib0.AppendVarUint(b, rightOrigin.Client), rightOrigin.Clock)
	}
	if origin == nil && rightOrigin == nil {
		b = it.appendParent(b)
		if it.hasParentSub() {
			b = lib0.AppendVarString(b, it.parentSub())
		}
	}
	return it.appendContentBytes(b, offset)
}

// appendParent writes the parent as a root name or as the ID of the item holding the parent type.
func (it *item) appendParent(b []byte) []byte {
	var ref parentRef
	switch {
	case it.parent != nil && it.parent.item == nil:
		ref = parentRef{name: it.parent.name, isName: true}
	case it.parent != nil:
		ref = parentRef{id: it.parent.item.id}
	case it.parentRef() != nil:
		ref = *it.parentRef()
	}
	if ref.isName {
		return lib0.AppendVarString(append(b, 1), ref.name)
	}
	return lib0.AppendVarUint(lib0.AppendVarUint(append(b, 0), ref.id.Client), ref.id.Clock)
}

func (it *item) appendContentBytes(b []byte, offset int) []byte {
	switch it.kind {
	case kindDeleted:
		b = lib0.AppendVarUint(b, uint64(it.length-offset))
	case kindString:
		b = lib0.AppendVarBytes(b, textFrom(it.text, it.length, offset))
	case kindJSON:
		values := it.content.(*jsonContent).values[offset:]
		b = lib0.AppendVarUint(b, uint64(len(values)))
		for _, v := range values {
			b = lib0.AppendVarString(b, v)
		}
	case kindAny:
		values := it.content.(*anyContent).values[offset:]
		b = lib0.AppendVarUint(b, uint64(len(values)))
		for _, v := range values {
			// Values came from the wire or were checked when inserted: encoding cannot fail.
			b, _ = lib0.AppendAny(b, v)
		}
	case kindBinary:
		b = lib0.AppendVarBytes(b, it.content.(*binaryContent).data)
	case kindEmbed:
		b = lib0.AppendVarString(b, it.content.(*embedContent).json)
	case kindFormat:
		c := it.content.(*formatContent)
		b = lib0.AppendVarString(lib0.AppendVarString(b, c.key), c.value)
	case kindType:
		t := it.content.(*typeContent).t
		b = lib0.AppendVarUint(b, uint64(t.ref))
		if t.ref == typeRefXmlElement || t.ref == typeRefXmlHook {
			b = lib0.AppendVarString(b, t.nodeName)
		}
	case kindDoc:
		c := it.content.(*docContent)
		b = lib0.AppendVarString(b, c.guid)
		b, _ = lib0.AppendAny(b, c.opts)
	}
	return b
}

// structsMissingFrom returns, for every client with content beyond sv, the clock from which a
// peer at sv lacks it (clients absent from sv from 0), as Yjs's writeClientsStructs computes it.
func (s *structStore) structsMissingFrom(sv StateVector) StateVector {
	from := make(StateVector)
	for client, clock := range sv {
		if s.state(client) > clock {
			from[client] = clock
		}
	}
	for client := range s.clients {
		if _, ok := sv[client]; !ok {
			from[client] = 0
		}
	}
	return from
}

// writeClientStructs writes one client's structs from clock on, the first one cut at clock. If
// deleted is not nil and every struct is written, it also collects the client's deleted ranges,
// saving a second pass over the structs.
func writeClientStructs(e *lib0.Encoder, l *structList, client, clock uint64, deleted *[]DeleteRange) {
	clock = max(clock, l.first().id.Clock)
	c, i := l.search(clock)
	count := l.n
	for k := 0; k < c; k++ {
		count -= len(l.chunks[k])
	}
	count -= i
	collect := deleted != nil && c == 0 && i == 0
	ranges := []DeleteRange(nil)
	b := lib0.AppendVarUint(e.Buf, uint64(count))
	b = lib0.AppendVarUint(b, client)
	b = lib0.AppendVarUint(b, clock)
	offset := int(clock - l.at(c, i).id.Clock)
	for _, chunk := range l.chunks[c:] {
		for _, en := range chunk[i:] {
			it := en.it
			b = it.appendTo(b, offset)
			offset = 0
			if collect && it.deleted() {
				ranges = appendDeleteRange(ranges, it)
			}
		}
		i = 0
	}
	e.Buf = b
	if collect {
		*deleted = ranges
	}
}

func appendDeleteRange(ranges []DeleteRange, it *item) []DeleteRange {
	if n := len(ranges); n > 0 && ranges[n-1].Clock+ranges[n-1].Len == it.id.Clock {
		ranges[n-1].Len += uint64(it.length)
		return ranges
	}
	return append(ranges, DeleteRange{it.id.Clock, uint64(it.length)})
}

func (l *structList) deletedRanges() []DeleteRange {
	var ranges []DeleteRange
	for _, chunk := range l.chunks {
		for _, en := range chunk {
			if en.it.deleted() {
				ranges = appendDeleteRange(ranges, en.it)
			}
		}
	}
	return ranges
}

// EncodeStateAsUpdate returns the whole document, or what a peer with the encoded state vector
// lacks, as one update v1: Y.encodeStateAsUpdate(doc, targetStateVector). Pending structs and
// deletions are included. A nil targetStateVector means an empty one; a malformed one is a
// *DecodeError.
func (d *Doc) EncodeStateAsUpdate(targetStateVector []byte) ([]byte, error) {
	sv := StateVector{}
	if targetStateVector != nil {
		var err error
		if sv, err = DecodeStateVector(targetStateVector); err != nil {
			return nil, err
		}
	}
	e := lib0.Encoder{Buf: make([]byte, 0, d.encodedSizeHint)}
	from := d.store.structsMissingFrom(sv)
	ds := DeleteSet{}
	e.WriteVarUint(uint64(len(from)))
	for _, client := range sortedClientsDesc(from) {
		var ranges []DeleteRange
		writeClientStructs(&e, d.store.clients[client], client, from[client], &ranges)
		if len(ranges) > 0 {
			ds[client] = ranges
		}
	}
	for client, l := range d.store.clients {
		if _, written := ds[client]; !written {
			if ranges := l.deletedRanges(); len(ranges) > 0 {
				ds[client] = ranges
			}
		}
	}
	writeDeleteSet(&e, ds)
	d.encodedSizeHint = e.Len() + e.Len()/8
	if !d.HasPending() {
		return e.Bytes(), nil
	}
	updates := [][]byte{e.Bytes()}
	if len(d.pendingDs) > 0 {
		var pe lib0.Encoder
		pe.WriteVarUint(0)
		writeDeleteSet(&pe, d.pendingDs)
		updates = append(updates, pe.Bytes())
	}
	if !d.pending.empty() {
		diff, err := DiffUpdate(d.pending.encode(), EncodeStateVector(sv))
		if err != nil {
			return nil, fmt.Errorf("crdt: encode pending structs: %w", err)
		}
		updates = append(updates, diff)
	}
	return MergeUpdates(updates...)
}

// encode writes the pending structs as one update, with Skips over the gaps between them and the
// parts already queued cut off, as Yjs's merged pending update holds them.
func (p *pendingStructs) encode() []byte {
	type part struct {
		it     *item
		offset int
	}
	var e lib0.Encoder
	e.WriteVarUint(uint64(len(p.queues)))
	for _, client := range sortedClientsDesc(p.queues) {
		var parts []part
		var end uint64 // the clock after the last part
		for _, it := range p.queues[client].items {
			if it.kind == kindSkip {
				continue
			}
			offset := 0
			if n := len(parts); n > 0 {
				if it.endClock() <= end {
					continue // queued already
				}
				if it.id.Clock < end {
					offset = int(end - it.id.Clock)
				} else if gap := it.id.Clock - end; gap > 0 {
					parts = append(parts, part{&item{id: ID{client, end}, length: int(gap), kind: kindSkip}, 0})
				} else if last := parts[n-1]; last.it.kind == kindGC && it.kind == kindGC {
					merged := &item{id: ID{client, last.it.id.Clock + uint64(last.offset)}, kind: kindGC}
					merged.length = int(it.endClock() - merged.id.Clock)
					parts[n-1] = part{merged, 0}
					end = it.endClock()
					continue
				}
			}
			parts = append(parts, part{it, offset})
			end = it.endClock()
		}
		e.WriteVarUint(uint64(len(parts)))
		e.WriteVarUint(client)
		e.WriteVarUint(parts[0].it.id.Clock + uint64(parts[0].offset))
		for _, pt := range parts {
			pt.it.write(&e, pt.offset)
		}
	}
	e.WriteVarUint(0)
	return e.Bytes()
}
