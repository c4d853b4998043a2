package crdt

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"

	"github.com/pairpad/pairpad/crdt/internal/lib0"
)

// This file reads the structs of the update v1 format, headers and content, either into the
// items a document integrates (decodeUpdate) or into compact headers (DecodeUpdate, in
// updateops.go). Delete sets are read in deleteset.go, state vectors in id.go.

// decodedUpdate is an update v1 parsed into structs without integrating them.
type decodedUpdate struct {
	clients []clientStructs // in the order of the wire
	ds      DeleteSet
}

// clientStructs are consecutive structs of one client as they appear in an update.
type clientStructs struct {
	client  uint64
	structs []*item
}

// decodeUpdate parses update v1 bytes. Text and binary content alias update. With
// rejectSelfReferences, a struct that references its own client's content at or after itself
// fails with ErrSelfReference, as ApplyUpdate wants.
func decodeUpdate(update []byte, rejectSelfReferences bool) (*decodedUpdate, error) {
	d := lib0.NewDecoder(update)
	u := &decodedUpdate{}
	numClients := d.ReadVarUint()
	for i := uint64(0); i < numClients && d.Err() == nil; i++ {
		u.clients = append(u.clients, readClientStructs(d, rejectSelfReferences))
	}
	u.ds = readDeleteSet(d)
	if d.Err() != nil {
		return nil, decodeError(d, "update")
	}
	return u, nil
}

func readClientStructs(d *lib0.Decoder, rejectSelfReferences bool) clientStructs {
	n := d.ReadVarUint()
	client := d.ReadVarUint()
	clock := d.ReadVarUint()
	if d.Err() != nil {
		return clientStructs{}
	}
	// Every struct takes at least two bytes: bound the allocation by what remains.
	count := min(n, uint64(d.Remaining()/2)+1)
	slab := make([]item, count)
	cs := clientStructs{client: client, structs: make([]*item, 0, count)}
	for j := uint64(0); j < n && d.Err() == nil; j++ {
		var it *item
		if j < count {
			it = &slab[j]
		} else {
			it = new(item)
		}
		it.id = ID{client, clock}
		readStruct(d, it)
		if rejectSelfReferences {
			checkReferences(d, it)
		}
		if d.Err() != nil {
			break
		}
		if !advanceClock(d, &clock, it.length, it.kind == kindSkip) {
			break
		}
		cs.structs = append(cs.structs, it)
	}
	return cs
}

// span locates bytes of an update: [start, end).
type span struct{ start, end uint32 }

// Where a struct's header says its parent is.
const (
	parentFromNeighbour = iota // copied from the origin or right origin on integration
	parentByName               // a root type's name
	parentByID                 // the item holding the parent type
)

// structHeader is a struct as its wire form describes it, content aside. It holds no pointers:
// strings are spans of the update.
type structHeader struct {
	id          ID
	length      int // of GC and Skip structs; of items once their content is read
	origin      ID
	rightOrigin ID
	parentID    ID
	parentName  span
	parentSub   span
	info        uint8 // the wire's info byte: kind and flags
	parent      uint8 // parentFromNeighbour, parentByName or parentByID
}

func (h *structHeader) kind() uint8 { return h.info & infoKindMask }

// readHeader reads a struct up to its content, as Yjs's struct readers do: a parent sub is only
// read when the parent is written out; otherwise it is copied from the neighbour on integration.
func readHeader(d *lib0.Decoder, h *structHeader) {
	info := d.ReadUint8()
	h.info = info
	switch info & infoKindMask {
	case kindGC, kindSkip:
		h.length = int(d.ReadVarUint())
		return
	case kindDeleted, kindJSON, kindBinary, kindString, kindEmbed, kindFormat, kindType, kindAny, kindDoc:
	default:
		d.Fail(fmt.Errorf("%w %d", ErrUnknownContent, info&infoKindMask))
		return
	}
	if info&infoHasOrigin != 0 {
		h.origin = ID{d.ReadVarUint(), d.ReadVarUint()}
	}
	if info&infoHasRightOrigin != 0 {
		h.rightOrigin = ID{d.ReadVarUint(), d.ReadVarUint()}
	}
	if info&(infoHasOrigin|infoHasRightOrigin) != 0 {
		h.info &^= infoHasParentSub
		return
	}
	if d.ReadVarUint() == 1 {
		h.parent = parentByName
		h.parentName = readStringSpan(d)
	} else {
		h.parent = parentByID
		h.parentID = ID{d.ReadVarUint(), d.ReadVarUint()}
	}
	if info&infoHasParentSub != 0 {
		h.parentSub = readStringSpan(d)
	}
}

// readStringSpan reads a string and returns where it lies, failing on invalid UTF-8.
func readStringSpan(d *lib0.Decoder) span {
	start, end := d.ReadSpan()
	if d.Err() == nil && !utf8.Valid(d.Bytes(start, end)) {
		d.Fail(ErrInvalidUTF8)
	}
	return span{uint32(start), uint32(end)}
}

// checkReferences fails d if it references content of its own client at or after itself: no
// peer writes such a struct, and integrating it would need content that can never exist.
func checkReferences(d *lib0.Decoder, it *item) {
	for _, dep := range [...]*ID{it.originPtr(), it.rightOriginPtr(), it.parentIDPtr()} {
		if dep != nil && dep.Client == it.id.Client && dep.Clock >= it.id.Clock {
			d.Fail(fmt.Errorf("%w: %v references %v", ErrSelfReference, it.id, *dep))
			return
		}
	}
}

// advanceClock moves clock past a struct of length units, failing d on empty structs, structs
// longer than MaxStructLength and clocks beyond MaxClock. A Skip holds nothing: it may be as long
// as the gap it stands for, which a document's own state has between a client's content and a
// struct of it waiting far ahead (MergeUpdates and EncodeStateAsUpdate write one).
func advanceClock(d *lib0.Decoder, clock *uint64, length int, skip bool) bool {
	if length <= 0 {
		d.Fail(ErrEmptyStruct)
		return false
	}
	err := checkRange(*clock, uint64(length))
	if skip && err == ErrStructTooLong {
		err = checkRange(*clock+uint64(length)-1, 1)
	}
	if err != nil {
		d.Fail(err)
		return false
	}
	*clock += uint64(length)
	return true
}

// checkRange returns why length units from clock cannot be a struct or a delete range, or nil.
func checkRange(clock, length uint64) error {
	switch {
	case length > MaxStructLength:
		return ErrStructTooLong
	case clock+length > MaxClock:
		return ErrClockOverflow
	}
	return nil
}

// readStruct reads one struct (GC, Skip or Item) into it.
func readStruct(d *lib0.Decoder, it *item) {
	var h structHeader
	readHeader(d, &h)
	it.kind = h.kind()
	if it.kind == kindGC || it.kind == kindSkip {
		it.length = h.length
		return
	}
	if h.info&infoHasOrigin != 0 {
		it.origin = h.origin
		it.flags |= flagHasOrigin
	}
	if h.info&infoHasRightOrigin != 0 {
		it.rightOrigin = h.rightOrigin
		it.flags |= flagHasRightOrigin
	}
	if h.parent != parentFromNeighbour {
		ext := &itemExt{hasRef: true}
		if h.parent == parentByName {
			ext.ref = parentRef{isName: true, name: string(d.Bytes(int(h.parentName.start), int(h.parentName.end)))}
		} else {
			ext.ref = parentRef{id: h.parentID}
		}
		if h.info&infoHasParentSub != 0 {
			ext.parentSub = string(d.Bytes(int(h.parentSub.start), int(h.parentSub.end)))
			it.flags |= flagHasParentSub
		}
		it.ext = ext
	}
	it.length = readContent(d, it.kind, it)
}

// readContent reads a struct's content of kind (an item's kind, checked by readHeader) and
// returns its length. It builds the content into it; with it nil it only checks the content, as
// thoroughly, and builds nothing (DecodeUpdate's skip mode). Every content kind is read here
// alone, so that both modes accept exactly the same input.
func readContent(d *lib0.Decoder, kind uint8, it *item) int {
	switch kind {
	case kindDeleted:
		return int(d.ReadVarUint())
	case kindJSON:
		return readJSONContent(d, it)
	case kindBinary:
		if data := d.ReadVarUint8Array(); it != nil {
			it.content = &binaryContent{data: data}
		}
	case kindString:
		text := d.ReadVarUint8Array()
		n, ok := utf16LenValid(text)
		if !ok {
			d.Fail(ErrInvalidUTF8)
		}
		if it != nil {
			it.text = text
		}
		return n
	case kindEmbed:
		if value := readJSON(d); it != nil {
			it.content = &embedContent{json: string(value)}
		}
	case kindFormat:
		key := d.ReadVarStringBytes()
		if value := readJSON(d); it != nil {
			it.content = &formatContent{key: string(key), value: string(value)}
		}
	case kindType:
		readTypeContent(d, it)
	case kindAny:
		return readAnyContent(d, it)
	case kindDoc:
		guid := d.ReadVarStringBytes()
		if it == nil {
			d.SkipAny()
		} else {
			opts := d.ReadAny()
			it.content = &docContent{guid: string(guid), opts: subdocOptions(opts)}
		}
	}
	return 1
}

// readJSONContent reads ContentJSON into it (if not nil) and returns its length.
func readJSONContent(d *lib0.Decoder, it *item) int {
	n := d.ReadVarUint()
	var values []string
	if it != nil {
		values = make([]string, 0, min(n, uint64(d.Remaining())))
	}
	for i := uint64(0); i < n && d.Err() == nil; i++ {
		s := d.ReadVarStringBytes()
		if string(s) != "undefined" && !json.Valid(s) {
			d.Fail(ErrInvalidJSON)
		}
		if it != nil {
			values = append(values, string(s))
		}
	}
	if it != nil {
		it.content = &jsonContent{values: values}
	}
	return int(n)
}

// readAnyContent reads ContentAny into it (if not nil) and returns its length.
func readAnyContent(d *lib0.Decoder, it *item) int {
	n := d.ReadVarUint()
	if it == nil {
		for i := uint64(0); i < n && d.Err() == nil; i++ {
			d.SkipAny()
		}
		return int(n)
	}
	values := make([]any, 0, min(n, uint64(d.Remaining())))
	for i := uint64(0); i < n && d.Err() == nil; i++ {
		values = append(values, d.ReadAny())
	}
	it.content = &anyContent{values: values}
	return int(n)
}

// readTypeContent reads ContentType, a nested type's reference, into it (if not nil).
func readTypeContent(d *lib0.Decoder, it *item) {
	ref := d.ReadVarUint()
	var nodeName []byte
	switch ref {
	case typeRefXmlElement, typeRefXmlHook:
		nodeName = d.ReadVarStringBytes()
	case typeRefArray, typeRefMap, typeRefText, typeRefXmlFragment, typeRefXmlText:
	default:
		d.Fail(fmt.Errorf("%w %d", ErrUnknownTypeRef, ref))
	}
	if it != nil {
		it.content = &typeContent{t: &Type{ref: uint8(ref), nodeName: string(nodeName)}}
	}
}

// readJSON reads a string that must hold one JSON value.
func readJSON(d *lib0.Decoder) []byte {
	s := d.ReadVarStringBytes()
	if d.Err() == nil && !json.Valid(s) {
		d.Fail(ErrInvalidJSON)
	}
	return s
}

// subdocOptions returns the options Yjs writes back for a subdocument read with opts: Yjs
// creates the Doc from them and re-derives {gc: false} when gc is falsy, {autoLoad: true} when
// autoLoad is truthy and meta when it is neither null nor undefined, in that order.
func subdocOptions(opts any) lib0.Object {
	in, _ := opts.(lib0.Object)
	out := lib0.Object{}
	if v, ok := in.Get("gc"); ok && !isUndefined(v) && !truthy(v) {
		out = append(out, lib0.Field{Key: "gc", Value: false})
	}
	if v, ok := in.Get("autoLoad"); ok && truthy(v) {
		out = append(out, lib0.Field{Key: "autoLoad", Value: true})
	}
	if v, ok := in.Get("meta"); ok && v != nil && !isUndefined(v) {
		out = append(out, lib0.Field{Key: "meta", Value: v})
	}
	return out
}

func isUndefined(v any) bool {
	_, ok := v.(lib0.Undefined)
	return ok
}

// truthy reports JavaScript truthiness of a decoded any value.
func truthy(v any) bool {
	switch v := v.(type) {
	case nil, lib0.Undefined:
		return false
	case bool:
		return v
	case float64:
		return v != 0 && v == v
	case string:
		return v != ""
	case lib0.BigInt:
		return v != 0
	}
	return true
}
