package crdt

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/pairpad/pairpad/crdt/internal/lib0"
)

// This file holds the operations on encoded updates that need no document: DecodeUpdate, and
// MergeUpdates, DiffUpdate and EncodeStateVectorFromUpdate, ported from Yjs's updates.js so that
// their output is byte for byte what Yjs writes. The wire format itself is read in
// codec_decode.go and written in codec_encode.go.

// Update is a decoded update v1: every struct parsed and checked, none integrated into a
// document. It keeps each struct compactly, without pointers, so decoding allocates little and
// costs the garbage collector nothing to hold.
type Update struct {
	buf     []byte
	structs []structHeader // in wire order; content spans are in content
	content []span
	ds      DeleteSet
}

// UpdateAddsStructs reports, reading only an update's first var-uint (the number of clients
// whose structs it carries, after which only its delete set comes), whether it may add
// content: one that does not only deletes. A malformed update reports true; applying it tells
// why.
func UpdateAddsStructs(update []byte) bool {
	d := lib0.NewDecoder(update)
	n := d.ReadVarUint()
	return d.Err() != nil || n > 0
}

// DecodeUpdate parses an update v1 without integrating it, as Y.decodeUpdate does, and checks
// it as MergeUpdates does: ApplyUpdate rejects what it rejects, and structs that reference their
// own client's later content (ErrSelfReference) too. A malformed update is a *DecodeError. The
// result aliases update.
func DecodeUpdate(update []byte) (*Update, error) {
	if uint64(len(update)) > 1<<32-1 {
		return nil, &DecodeError{Input: "update", Err: fmt.Errorf("%w: %d bytes", ErrTooLarge, len(update))}
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
				h.length = readContent(d, kind, nil)
			}
			if d.Err() != nil {
				break
			}
			if !advanceClock(d, &clock, h.length, h.kind() == kindSkip) {
				break
			}
			u.content = append(u.content, span{uint32(start), uint32(d.Pos())})
		}
	}
	u.ds = readDeleteSet(d)
	if d.Err() != nil {
		return nil, decodeError(d, "update")
	}
	return u, nil
}

// NumStructs returns the number of structs (items, GCs and Skips) in the update.
func (u *Update) NumStructs() int { return len(u.structs) }

// DeleteSet returns the update's delete set.
func (u *Update) DeleteSet() DeleteSet { return u.ds }

// structReader iterates over the structs of a decoded update in wire order.
type structReader struct {
	structs []*item
	pos     int
}

func newStructReader(u *decodedUpdate, filterSkips bool) *structReader {
	r := &structReader{}
	for _, cs := range u.clients {
		for _, it := range cs.structs {
			if filterSkips && it.kind == kindSkip {
				continue
			}
			r.structs = append(r.structs, it)
		}
	}
	return r
}

func (r *structReader) curr() *item {
	if r.pos < len(r.structs) {
		return r.structs[r.pos]
	}
	return nil
}

func (r *structReader) next() *item {
	r.pos++
	return r.curr()
}

// structWriter writes structs client by client without knowing their count in advance, as
// Yjs's LazyStructWriter.
type structWriter struct {
	currClient uint64
	written    int
	part       lib0.Encoder
	parts      []writtenPart
}

type writtenPart struct {
	written int
	bytes   []byte
}

func (w *structWriter) write(it *item, offset int) {
	if w.written > 0 && w.currClient != it.id.Client {
		w.flush()
	}
	if w.written == 0 {
		w.currClient = it.id.Client
		w.part.WriteVarUint(it.id.Client)
		w.part.WriteVarUint(it.id.Clock + uint64(offset))
	}
	it.write(&w.part, offset)
	w.written++
}

func (w *structWriter) flush() {
	if w.written > 0 {
		w.parts = append(w.parts, writtenPart{w.written, w.part.Bytes()})
		w.part = lib0.Encoder{}
		w.written = 0
	}
}

// finish writes the struct section of an update to e.
func (w *structWriter) finish(e *lib0.Encoder) {
	w.flush()
	e.WriteVarUint(uint64(len(w.parts)))
	for _, p := range w.parts {
		e.WriteVarUint(uint64(p.written))
		e.WriteRaw(p.bytes)
	}
}

// sliceStruct returns the part of a decoded struct after its first diff units.
func sliceStruct(left *item, diff int) *item {
	if left.kind == kindGC || left.kind == kindSkip {
		return &item{id: ID{left.id.Client, left.id.Clock + uint64(diff)}, length: left.length - diff, kind: left.kind}
	}
	right := left.spliceContent(diff)
	right.setOrigin(&ID{left.id.Client, left.id.Clock + uint64(diff) - 1})
	right.setRightOrigin(left.rightOriginPtr())
	right.ext = left.ext
	right.flags |= left.flags & flagHasParentSub
	return right
}

// MergeUpdates merges updates v1 into one, as Y.mergeUpdates does: structs of all updates in
// one sequence per client (Skips fill gaps), delete sets united. A single update is returned as
// it is. A malformed update is a *DecodeError whose Input is "updates[i]", i its index.
func MergeUpdates(updates ...[]byte) ([]byte, error) {
	if len(updates) == 1 {
		return updates[0], nil
	}
	decoded := make([]*decodedUpdate, len(updates))
	readers := make([]*structReader, len(updates))
	for i, u := range updates {
		var err error
		if decoded[i], err = decodeUpdate(u, false); err != nil {
			return nil, nameInput(err, fmt.Sprintf("updates[%d]", i))
		}
		readers[i] = newStructReader(decoded[i], true)
	}
	var w structWriter
	var currWrite *item
	for {
		readers = slices.DeleteFunc(readers, func(r *structReader) bool { return r.curr() == nil })
		if len(readers) == 0 {
			break
		}
		// Higher clients first, then by clock.
		sortLikeV8(readers, compareReaders)
		currDecoder := readers[0]
		firstClient := currDecoder.curr().id.Client
		if currWrite != nil {
			curr := currDecoder.curr()
			iterated := false
			// Skip what was written already (higher clients are written first).
			for curr != nil && curr.endClock() <= currWrite.endClock() && curr.id.Client >= currWrite.id.Client {
				curr = currDecoder.next()
				iterated = true
			}
			if curr == nil || curr.id.Client != firstClient || (iterated && curr.id.Clock > currWrite.endClock()) {
				continue
			}
			if firstClient != currWrite.id.Client {
				w.write(currWrite, 0)
				currWrite = curr
				currDecoder.next()
			} else if currWrite.endClock() < curr.id.Clock {
				if currWrite.kind == kindSkip {
					currWrite.length = int(curr.endClock() - currWrite.id.Clock)
				} else {
					w.write(currWrite, 0)
					diff := curr.id.Clock - currWrite.endClock()
					currWrite = &item{id: ID{firstClient, currWrite.endClock()}, length: int(diff), kind: kindSkip}
				}
			} else {
				if diff := int(currWrite.endClock() - curr.id.Clock); diff > 0 {
					if currWrite.kind == kindSkip {
						currWrite.length -= diff
					} else {
						curr = sliceStruct(curr, diff)
					}
				}
				if !mergeDecoded(currWrite, curr) {
					w.write(currWrite, 0)
					currWrite = curr
					currDecoder.next()
				}
			}
		} else {
			currWrite = currDecoder.curr()
			currDecoder.next()
		}
		for next := currDecoder.curr(); next != nil && next.id.Client == firstClient && next.id.Clock == currWrite.endClock() && next.kind != kindSkip; next = currDecoder.next() {
			w.write(currWrite, 0)
			currWrite = next
		}
	}
	if currWrite != nil {
		w.write(currWrite, 0)
	}
	var e lib0.Encoder
	w.finish(&e)
	sets := make([]DeleteSet, len(decoded))
	for i, u := range decoded {
		sets[i] = u.ds
	}
	writeDeleteSet(&e, mergeDeleteSets(sets...))
	return e.Bytes(), nil
}

// compareReaders is Yjs's comparator of struct readers in mergeUpdates. It is inconsistent for
// a GC and an Item at the same ID (each sorts before the other), so the order it gives depends on
// the sort algorithm: see sortLikeV8.
func compareReaders(a, b *structReader) int {
	ac, bc := a.curr(), b.curr()
	if ac.id.Client != bc.id.Client {
		return cmp.Compare(bc.id.Client, ac.id.Client)
	}
	if ac.id.Clock != bc.id.Clock {
		return cmp.Compare(ac.id.Clock, bc.id.Clock)
	}
	switch {
	case ac.kind == bc.kind || (ac.kind != kindSkip && ac.kind != kindGC && bc.kind != kindSkip && bc.kind != kindGC):
		return 0 // the same constructor
	case ac.kind == kindSkip:
		return 1
	}
	return -1
}

// sortLikeV8 sorts as V8's Array.prototype.sort (TimSort) does, so that Yjs's inconsistent
// comparator gives the same order here as in node: arrays shorter than 64 elements are one run,
// extended by binary insertion. Longer arrays use a stable merge sort, which agrees with V8
// whenever the comparator is consistent.
func sortLikeV8[T any](a []T, compare func(x, y T) int) {
	n := len(a)
	if n < 2 {
		return
	}
	if n >= 64 {
		slices.SortStableFunc(a, compare)
		return
	}
	// Count the leading run, reversing it if strictly descending.
	run := 2
	descending := compare(a[1], a[0]) < 0
	for i := 2; i < n; i++ {
		order := compare(a[i], a[i-1])
		if (descending && order >= 0) || (!descending && order < 0) {
			break
		}
		run++
	}
	if descending {
		slices.Reverse(a[:run])
	}
	for start := run; start < n; start++ {
		pivot := a[start]
		left, right := 0, start
		for left < right {
			mid := left + (right-left)/2
			if compare(pivot, a[mid]) < 0 {
				right = mid
			} else {
				left = mid + 1
			}
		}
		copy(a[left+1:start+1], a[left:start])
		a[left] = pivot
	}
}

// mergeDecoded merges structs of an update as Yjs's mergeWith does for structs that are not
// integrated: GCs with GCs and Skips with Skips; items never (they have no neighbours).
func mergeDecoded(left, right *item) bool {
	if (left.kind == kindGC || left.kind == kindSkip) && left.kind == right.kind {
		left.length += right.length
		return true
	}
	return false
}

// DiffUpdate returns the part of an update v1 that a peer with the encoded state vector lacks,
// as Y.diffUpdate does. A malformed update or state vector is a *DecodeError whose Input says
// which.
func DiffUpdate(update, stateVector []byte) ([]byte, error) {
	sv, err := DecodeStateVector(stateVector)
	if err != nil {
		return nil, err
	}
	u, err := decodeUpdate(update, false)
	if err != nil {
		return nil, err
	}
	r := newStructReader(u, false)
	var w structWriter
	for curr := r.curr(); curr != nil; curr = r.curr() {
		client := curr.id.Client
		svClock := sv[client]
		if curr.kind == kindSkip {
			r.next()
			continue
		}
		if curr.endClock() > svClock {
			offset := 0
			if svClock > curr.id.Clock {
				offset = int(svClock - curr.id.Clock)
			}
			w.write(curr, offset)
			for next := r.next(); next != nil && next.id.Client == client; next = r.next() {
				w.write(next, 0)
			}
		} else {
			for next := r.curr(); next != nil && next.id.Client == client && next.endClock() <= svClock; next = r.next() {
			}
		}
	}
	var e lib0.Encoder
	w.finish(&e)
	writeDeleteSet(&e, u.ds)
	return e.Bytes(), nil
}

// EncodeStateVectorFromUpdate returns the state vector of the content an update v1 holds from
// clock 0 on without gaps, as Y.encodeStateVectorFromUpdate does. A malformed update is a
// *DecodeError.
func EncodeStateVectorFromUpdate(update []byte) ([]byte, error) {
	u, err := decodeUpdate(update, false)
	if err != nil {
		return nil, err
	}
	type entry struct{ client, clock uint64 }
	var entries []entry
	r := newStructReader(u, false)
	if curr := r.curr(); curr != nil {
		currClient := curr.id.Client
		stopCounting := curr.id.Clock != 0
		var currClock uint64
		if !stopCounting {
			currClock = curr.endClock()
		}
		for ; curr != nil; curr = r.next() {
			if currClient != curr.id.Client {
				if currClock != 0 {
					entries = append(entries, entry{currClient, currClock})
				}
				currClient = curr.id.Client
				currClock = 0
				stopCounting = curr.id.Clock != 0
			}
			if curr.kind == kindSkip {
				stopCounting = true
			}
			if !stopCounting {
				currClock = curr.endClock()
			}
		}
		if currClock != 0 {
			entries = append(entries, entry{currClient, currClock})
		}
	}
	var e lib0.Encoder
	e.WriteVarUint(uint64(len(entries)))
	for _, en := range entries {
		e.WriteVarUint(en.client)
		e.WriteVarUint(en.clock)
	}
	return e.Bytes(), nil
}
