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

// writeStructsFrom writes the structs of every client in from, starting at its clock, clients
// in descending order.
func writeStructsFrom(e *lib0.Encoder, store *structStore, from StateVector) {
	e.WriteVarUint(uint64(len(from)))
	for _, client := range sortedClientsDesc(from) {
		writeClientStructs(e, store.clients[client], client, from[client], nil)
	}
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

// deleteSetFromStore returns the delete set of every deleted struct, as Yjs's
// createDeleteSetFromStructStore.
func (s *structStore) deleteSet() DeleteSet {
	ds := DeleteSet{}
	for client, l := range s.clients {
		if ranges := l.deletedRanges(); len(ranges) > 0 {
			ds[client] = ranges
		}
	}
	return ds
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

// encode writes the pending structs as one update, with Skips over the gaps between them.
func (p *pendingStructs) encode() []byte {
	var e lib0.Encoder
	e.WriteVarUint(uint64(len(p.queues)))
	for _, client := range sortedClientsDesc(p.queues) {
		q := p.queues[client]
		var structs []*item
		for _, it := range q {
			if n := len(structs); n > 0 {
				prev := structs[n-1]
				if gap := it.id.Clock - prev.endClock(); gap > 0 {
					structs = append(structs, &item{id: ID{client, prev.endClock()}, length: int(gap), kind: kindSkip})
				} else if prev.kind == kindGC && it.kind == kindGC {
					structs[n-1] = &item{id: prev.id, length: prev.length + it.length, kind: kindGC}
					continue
				}
			}
			structs = append(structs, it)
		}
		e.WriteVarUint(uint64(len(structs)))
		e.WriteVarUint(client)
		e.WriteVarUint(structs[0].id.Clock)
		for _, it := range structs {
			it.write(&e, 0)
		}
	}
	e.WriteVarUint(0)
	return e.Bytes()
}
