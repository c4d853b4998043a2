package crdt

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"

	"github.com/pairpad/pairpad/crdt/internal/lib0"
)

// Transaction groups changes to a document; Yjs merges and garbage-collects structs when it ends
// and describes it as one update. Get one from Doc.Transact.
type Transaction struct {
	doc   *Doc
	local bool
	// before holds, for every client whose structs grew in this transaction, its state before.
	before    []clientClock
	deleteSet DeleteSet
	// mergeStructs are structs created by splits during the transaction, merged again at the end.
	mergeStructs []*item
	// scratch is the buffer updates are encoded in before being copied out.
	scratch []byte
}

// addDelete records deleted content in the transaction's delete set.
func (tx *Transaction) addDelete(client, clock uint64, length int) {
	if tx.deleteSet == nil {
		tx.deleteSet = DeleteSet{}
	}
	tx.deleteSet.add(client, clock, uint64(length))
}

type clientClock struct {
	client uint64
	clock  uint64
}

// beforeState returns client's state when the transaction began.
func (tx *Transaction) beforeState(client uint64) uint64 {
	for _, cc := range tx.before {
		if cc.client == client {
			return cc.clock
		}
	}
	return tx.doc.store.state(client)
}

// addStruct appends a struct to the store, remembering the client's state before the first one.
func (tx *Transaction) addStruct(it *item) {
	client := it.id.Client
	if !slices.ContainsFunc(tx.before, func(cc clientClock) bool { return cc.client == client }) {
		tx.before = append(tx.before, clientClock{client, tx.doc.store.state(client)})
	}
	tx.doc.store.add(it)
}

// checkClock fails with ErrClockOverflow if length more units of the document's own content
// would end beyond MaxClock: no decoder would read them back, and a log holding them would never
// load again. Local inserts check before they change anything.
func (tx *Transaction) checkClock(length int) error {
	state := tx.doc.store.state(tx.doc.clientID)
	if uint64(length) > MaxClock-state {
		return fmt.Errorf("%w: %d units of client %d from clock %d", ErrClockOverflow, length, tx.doc.clientID, state)
	}
	return nil
}

// nextID returns the ID of the next local content unit.
func (tx *Transaction) nextID() ID {
	return ID{tx.doc.clientID, tx.doc.store.state(tx.doc.clientID)}
}

// cleanup garbage-collects deleted content and merges structs, as Yjs's cleanupTransactions does
// after observers ran.
func (tx *Transaction) cleanup() {
	d := tx.doc
	tx.deleteSet.normalize()
	if d.gc {
		tx.gcDeleteSet()
	}
	tx.mergeDeleteSet()
	// Merge the structs added in this transaction into their left neighbours, right to left.
	for _, cc := range tx.before {
		l := d.store.clients[cc.client]
		if l == nil || l.last().endClock() == cc.clock {
			continue
		}
		first := l.find(cc.clock)
		if first == l.first() {
			if l.n == 1 {
				continue
			}
			first = l.find(first.endClock())
		}
		firstClock := first.id.Clock
		c := len(l.chunks) - 1
		i := len(l.chunks[c]) - 1
		for ok := true; ok && l.at(c, i).id.Clock >= firstClock; {
			c, i = mergeWithLeftsAt(l, c, i)
			c, i, ok = l.prev(c, i)
		}
	}
	for k := len(tx.mergeStructs) - 1; k >= 0; k-- {
		id := tx.mergeStructs[k].id
		l := d.store.clients[id.Client]
		replaced := l.find(id.Clock)
		if next := l.nextStruct(replaced); next != nil {
			if survivor := tryToMergeWithLefts(l, next); survivor != next && survivor != replaced {
				continue // both merged already
			}
		}
		tryToMergeWithLefts(l, l.find(id.Clock))
	}
}

// tryToMergeWithLefts merges right into its left neighbours in the store while they allow it and
// returns the struct that absorbed it (right itself when nothing merged).
func tryToMergeWithLefts(l *structList, right *item) *item {
	c, i := l.search(right.id.Clock)
	c, i = mergeWithLeftsAt(l, c, i)
	return l.at(c, i)
}

// mergeWithLeftsAt merges the struct at (c, i) into its left neighbours while they allow it, as
// Yjs's tryToMergeWithLefts, and returns the position of the struct that absorbed it. Positions
// before it stay valid.
func mergeWithLeftsAt(l *structList, c, i int) (int, int) {
	for {
		pc, pi, ok := l.prev(c, i)
		if !ok {
			return c, i
		}
		left, right := l.at(pc, pi), l.at(c, i)
		if left.deleted() != right.deleted() || left.isGC() != right.isGC() || !left.mergeWith(right) {
			return c, i
		}
		if right.hasParentSub() && right.parent != nil && right.parent.entries[right.parentSub()] == right {
			right.parent.entries[right.parentSub()] = left
		}
		l.removeAt(c, i)
		c, i = pc, pi
	}
}

// gcDeleteSet replaces the content of deleted items with ContentDeleted.
func (tx *Transaction) gcDeleteSet() {
	store := &tx.doc.store
	for client, ranges := range tx.deleteSet {
		l := store.clients[client]
		for k := len(ranges) - 1; k >= 0; k-- {
			r := ranges[k]
			end := r.Clock + r.Len
			c, i := l.search(r.Clock)
			for ok := true; ok; c, i, ok = l.next(c, i) {
				it := l.at(c, i)
				if it.id.Clock >= end {
					break
				}
				if !it.isGC() && it.deleted() && !it.keep() {
					// gc with parentGCd replaces structs in place: positions stay valid.
					it.gc(store, false)
				}
			}
		}
	}
}

// mergeDeleteSet tries to merge deleted structs with their neighbours, right to left.
func (tx *Transaction) mergeDeleteSet() {
	store := &tx.doc.store
	for client, ranges := range tx.deleteSet {
		l := store.clients[client]
		for k := len(ranges) - 1; k >= 0; k-- {
			r := ranges[k]
			// Start with the struct right of the last deleted one.
			c, i := l.search(r.Clock + r.Len - 1)
			if nc, ni, ok := l.next(c, i); ok {
				c, i = nc, ni
			}
			for ok := true; ok && (c > 0 || i > 0) && l.at(c, i).id.Clock >= r.Clock; {
				c, i = mergeWithLeftsAt(l, c, i)
				c, i, ok = l.prev(c, i)
			}
		}
	}
}

// encodeUpdate writes the transaction's update: every struct added, from each client's state
// before the transaction, and the transaction's delete set. It returns nil for no change.
func (tx *Transaction) encodeUpdate() []byte {
	store := &tx.doc.store
	changed := tx.before[:0:0]
	for _, cc := range tx.before {
		if store.state(cc.client) > cc.clock {
			changed = append(changed, cc)
		}
	}
	if len(changed) == 0 && len(tx.deleteSet) == 0 {
		return nil
	}
	slices.SortFunc(changed, func(a, b clientClock) int { return cmp.Compare(b.client, a.client) })
	e := lib0.Encoder{Buf: tx.scratch[:0]}
	e.WriteVarUint(uint64(len(changed)))
	for _, cc := range changed {
		writeClientStructs(&e, store.clients[cc.client], cc.client, cc.clock, nil)
	}
	writeDeleteSet(&e, tx.deleteSet)
	tx.scratch = e.Buf
	return bytes.Clone(e.Buf)
}
