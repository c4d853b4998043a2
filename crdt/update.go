package crdt

import (
	"fmt"

	"github.com/pairpad/pairpad/crdt/internal/lib0"
)

// Update is a decoded update v1: every struct parsed and checked, none integrated into a
// document. It keeps each struct compactly, without pointers, so decoding allocates little and
// costs the garbage collector nothing to hold.
type Update struct {
	buf     []byte
	structs []structHeader // in wire order; content spans are in contents
	content []span
	ds      DeleteSet
}

// DecodeUpdate parses an update v1 without integrating it, as Y.decodeUpdate does, and checks
// it as ApplyUpdate would. The result aliases update.
func DecodeUpdate(update []byte) (*Update, error) {
	if uint64(len(update)) > 1<<32-1 {
		return nil, fmt.Errorf("crdt: decode update: %d bytes is too large", len(update))
	}
	d := lib0.NewDecoder(update)
	u := &Update{buf: update}
	numClients := d.ReadVarUint()
	for i := uint64(0); i < numClients && d.Err() == nil; i++ {
		n := d.ReadVarUint()
		client := d.ReadVarUint()
		clock := d.ReadVarUint()
		// Every struct takes at least two bytes: bound the allocation by what remains.
		if grow := int(min(n, uint64(d.Remaining()/2)+1)); cap(u.structs)-len(u.structs) < grow {
			u.structs = append(make([]structHeader, 0, len(u.structs)+grow), u.structs...)
			u.content = append(make([]span, 0, len(u.content)+grow), u.content...)
		}
		for j := uint64(0); j < n && d.Err() == nil; j++ {
			// Read in place: a header is large enough for copies to show.
			u.structs = append(u.structs, structHeader{})
			h := &u.structs[len(u.structs)-1]
			h.id = ID{client, clock}
			readHeader(d, h)
			start := d.Pos()
			if kind := h.kind(); kind != kindGC && kind != kindSkip {
				h.length = skipContent(d, kind)
			}
			if d.Err() != nil {
				break
			}
			if !advanceClock(d, &clock, h.length) {
				break
			}
			u.content = append(u.content, span{uint32(start), uint32(d.Pos())})
		}
	}
	u.ds = readDeleteSet(d)
	if err := d.Err(); err != nil {
		return nil, fmt.Errorf("crdt: decode update: %w", err)
	}
	return u, nil
}

// NumStructs returns the number of structs (items, GCs and Skips) in the update.
func (u *Update) NumStructs() int { return len(u.structs) }

// DeleteSet returns the update's delete set.
func (u *Update) DeleteSet() DeleteSet { return u.ds }
