package crdt

// Item flags.
const (
	flagKeep           = 1 << iota // never garbage-collect (Yjs's keep)
	flagDeleted                    // the content is deleted
	flagHasOrigin                  // origin is set
	flagHasRightOrigin             // rightOrigin is set
	flagHasParentSub               // parentSub is set (the item is a map entry)
)

// item is a struct of the document: an Item with content, a GC (kindGC: content gone, only a
// length left) or, in updates only, a Skip (kindSkip: a gap). Items of one sequence form a doubly
// linked list through left and right; map entries of one key form a list whose rightmost item is
// the current value.
type item struct {
	id          ID
	length      int // units of content: UTF-16 code units for text, elements otherwise
	origin      ID  // the item to the left at creation (if flagHasOrigin)
	rightOrigin ID  // the item to the right at creation (if flagHasRightOrigin)
	left, right *item
	parent      *Type    // the type this item belongs to, once integrated
	ext         *itemExt // the map key and the parent as the wire named it, if any
	text        []byte   // content of kindString, UTF-8
	content     any      // content of the other kinds: *jsonContent, *anyContent, ...
	kind        uint8
	flags       uint8

	// node places the item in its sequence's position index (posindex.go), once there is one.
	node *posNode
}

// itemExt holds what only some items need: the map key of map entries and, until integration,
// the parent as the wire named it. It is never modified once set, so split parts share it.
type itemExt struct {
	parentSub string
	ref       parentRef
	hasRef    bool
}

// parentSub returns the item's map key ("" unless flagHasParentSub).
func (it *item) parentSub() string {
	if it.ext == nil {
		return ""
	}
	return it.ext.parentSub
}

// parentRef returns the parent as the wire named it, or nil if it is to be copied from a
// neighbour (or the item is integrated).
func (it *item) parentRef() *parentRef {
	if it.ext == nil || !it.ext.hasRef {
		return nil
	}
	return &it.ext.ref
}

// dropParentRef forgets the wire's parent once the item is integrated.
func (it *item) dropParentRef() {
	if it.ext == nil || !it.ext.hasRef {
		return
	}
	if it.hasParentSub() {
		it.ext = &itemExt{parentSub: it.ext.parentSub}
	} else {
		it.ext = nil
	}
}

// parentRef is an item's parent as written on the wire: a root type's name or the ID of the
// item holding the parent type. Neither is set when the parent is copied from a neighbour.
type parentRef struct {
	name   string
	id     ID
	isName bool
}

func (it *item) deleted() bool      { return it.flags&flagDeleted != 0 || it.kind == kindGC }
func (it *item) countable() bool    { return countableKind(it.kind) }
func (it *item) keep() bool         { return it.flags&flagKeep != 0 }
func (it *item) hasParentSub() bool { return it.flags&flagHasParentSub != 0 }
func (it *item) isGC() bool         { return it.kind == kindGC }

// visibleLen is the item's contribution to its sequence's length.
func (it *item) visibleLen() int {
	if it.flags&flagDeleted != 0 || !countableKind(it.kind) {
		return 0
	}
	return it.length
}

func (it *item) lastID() ID { return ID{it.id.Client, it.id.Clock + uint64(it.length) - 1} }

func (it *item) endClock() uint64 { return it.id.Clock + uint64(it.length) }

func (it *item) originPtr() *ID {
	if it.flags&flagHasOrigin == 0 {
		return nil
	}
	return &it.origin
}

func (it *item) rightOriginPtr() *ID {
	if it.flags&flagHasRightOrigin == 0 {
		return nil
	}
	return &it.rightOrigin
}

func (it *item) setOrigin(id *ID) {
	if id == nil {
		it.flags &^= flagHasOrigin
		return
	}
	it.origin = *id
	it.flags |= flagHasOrigin
}

func (it *item) setRightOrigin(id *ID) {
	if id == nil {
		it.flags &^= flagHasRightOrigin
		return
	}
	it.rightOrigin = *id
	it.flags |= flagHasRightOrigin
}

func sameOrigin(a, b *ID) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// spliceContent cuts the item's content at offset (0 < offset < length), keeps the left part
// and returns the right part as a new, unlinked item of the same kind with no origins set.
func (it *item) spliceContent(offset int) *item {
	var right *item
	if it.node != nil {
		right = newIndexedItem() // it will join the same position index
	} else {
		right = new(item)
	}
	right.id = ID{it.id.Client, it.id.Clock + uint64(offset)}
	right.length = it.length - offset
	right.kind = it.kind
	switch it.kind {
	case kindString:
		it.text, right.text = splitText(it.text, it.length, offset)
	case kindJSON:
		c := it.content.(*jsonContent)
		right.content = &jsonContent{values: c.values[offset:]}
		c.values = c.values[:offset:offset]
	case kindAny:
		c := it.content.(*anyContent)
		right.content = &anyContent{values: c.values[offset:]}
		c.values = c.values[:offset:offset]
	case kindDeleted, kindGC, kindSkip:
		// Only a length.
	default:
		// Binary, embed, format, type and doc content are one unit long and never split.
		panic("crdt: split of unsplittable content")
	}
	it.length = offset
	return right
}

// appendContent appends right's content to it's, when both are of a mergeable kind.
func (it *item) appendContent(right *item) bool {
	switch it.kind {
	case kindString:
		it.text = append(it.text, right.text...)
	case kindJSON:
		c := it.content.(*jsonContent)
		c.values = append(c.values, right.content.(*jsonContent).values...)
	case kindAny:
		c := it.content.(*anyContent)
		c.values = append(c.values, right.content.(*anyContent).values...)
	case kindDeleted, kindGC, kindSkip:
	default:
		return false
	}
	it.length += right.length
	return true
}
