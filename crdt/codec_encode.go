package crdt

import (
	"fmt"

	"github.com/pairpad/pairpad/crdt/internal/lib0"
)

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
// deletions are included. A nil targetStateVector means an empty one.
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
