package crdt

import (
	"fmt"

	"github.com/pairpad/pairpad/crdt/internal/lib0"
)

// RelativePosition is a position in a sequence that sticks to content rather than to an index:
// Yjs's RelativePosition. It names the item (character) right of the position, or, at the end of
// the sequence, the type itself. Assoc < 0 associates the position with the character to its
// left instead, so text inserted at the position goes after it.
type RelativePosition struct {
	Item     *ID    // the content unit the position sticks to, if any
	TypeName string // a root type's name, when Item is nil
	Type     *ID    // the item holding a nested type, when Item is nil
	Assoc    int
}

// RelativePosition returns a position at index that follows the surrounding text as others
// edit, as Y.createRelativePositionFromTypeIndex.
func (t *Type) RelativePosition(index, assoc int) RelativePosition {
	if index < 0 {
		index = 0
	}
	if assoc < 0 {
		if index == 0 {
			return t.relativePosition(nil, assoc)
		}
		index--
	}
	if index < t.length {
		if it, off := t.itemAt(index); it != nil {
			return t.relativePosition(&ID{it.id.Client, it.id.Clock + uint64(off)}, assoc)
		}
	}
	if assoc < 0 {
		// Past the end, associated to the left: stick to the last item of the list.
		var last *item
		for n := t.start; n != nil; n = n.right {
			last = n
		}
		if last != nil {
			id := last.lastID()
			return t.relativePosition(&id, assoc)
		}
	}
	return t.relativePosition(nil, assoc)
}

func (t *Type) relativePosition(id *ID, assoc int) RelativePosition {
	rp := RelativePosition{Item: id, Assoc: assoc}
	if t.item == nil {
		rp.TypeName = t.name
	} else {
		typeID := t.item.id
		rp.Type = &typeID
	}
	return rp
}

// AbsolutePosition returns the index rp stands for in the document now, and false if the
// content it refers to is not in the document (not received yet, or garbage-collected), as
// Y.createAbsolutePositionFromRelativePosition.
func (d *Doc) AbsolutePosition(rp RelativePosition) (*Type, int, bool) {
	if rp.Item != nil {
		id := *rp.Item
		if d.store.state(id.Client) <= id.Clock {
			return nil, 0, false
		}
		it := d.store.find(id)
		if it.isGC() || it.parent == nil {
			return nil, 0, false
		}
		t := it.parent
		index := 0
		if t.item == nil || !t.item.deleted() {
			if !it.deleted() && it.countable() {
				index = int(id.Clock - it.id.Clock)
				if rp.Assoc < 0 {
					index++
				}
			}
			index += t.visibleBefore(it)
		}
		return t, index, true
	}
	var t *Type
	switch {
	case rp.Type != nil:
		id := *rp.Type
		if d.store.state(id.Client) <= id.Clock {
			return nil, 0, false
		}
		c, ok := d.store.find(id).content.(*typeContent)
		if !ok {
			return nil, 0, false
		}
		t = c.t
	default:
		var err error
		if t, err = d.root(rp.TypeName, typeRefUnknown); err != nil {
			return nil, 0, false
		}
	}
	if rp.Assoc >= 0 {
		return t, t.length, true
	}
	return t, 0, true
}

// visibleBefore returns the visible units left of it in its list.
func (t *Type) visibleBefore(it *item) int {
	if !it.hasParentSub() {
		return t.offsetOf(it)
	}
	n := 0
	for l := it.left; l != nil; l = l.left {
		n += l.visibleLen()
	}
	return n
}

// EncodeRelativePosition encodes rp as Y.encodeRelativePosition does.
func EncodeRelativePosition(rp RelativePosition) []byte {
	var e lib0.Encoder
	switch {
	case rp.Item != nil:
		e.WriteVarUint(0)
		e.WriteVarUint(rp.Item.Client)
		e.WriteVarUint(rp.Item.Clock)
	case rp.Type != nil:
		e.WriteVarUint(2)
		e.WriteVarUint(rp.Type.Client)
		e.WriteVarUint(rp.Type.Clock)
	default:
		e.WriteVarUint(1)
		e.WriteVarString(rp.TypeName)
	}
	assoc := rp.Assoc
	e.WriteVarInt(uint64(max(assoc, -assoc)), assoc < 0)
	return e.Bytes()
}

// DecodeRelativePosition decodes a relative position encoded by Y.encodeRelativePosition. A
// malformed one is a *DecodeError; an unknown kind of position wraps ErrInvalidRelativePosition.
func DecodeRelativePosition(b []byte) (RelativePosition, error) {
	d := lib0.NewDecoder(b)
	var rp RelativePosition
	switch kind := d.ReadVarUint(); kind {
	case 0:
		rp.Item = &ID{d.ReadVarUint(), d.ReadVarUint()}
	case 1:
		rp.TypeName = d.ReadVarString()
	case 2:
		rp.Type = &ID{d.ReadVarUint(), d.ReadVarUint()}
	default:
		d.Fail(fmt.Errorf("%w: kind %d", ErrInvalidRelativePosition, kind))
	}
	if d.HasContent() {
		m, neg := d.ReadVarInt()
		rp.Assoc = int(m)
		if neg {
			rp.Assoc = -rp.Assoc
		}
	}
	if d.Err() != nil {
		return RelativePosition{}, decodeError(d, "relative position")
	}
	return rp, nil
}

// RelativePosition returns a position in the text at index that sticks to the characters
// around it; see Type.RelativePosition.
func (x *Text) RelativePosition(index, assoc int) RelativePosition {
	return x.t.RelativePosition(index, assoc)
}
