package crdt

import (
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
		for cur := l.last(); cur != nil && cur.id.Clock >= firstClock; {
			cur = l.prevStruct(tryToMergeWithLefts(l, cur))
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
	for {
		left := l.prevStruct(right)
		if left == nil || left.deleted() != right.deleted() || left.isGC() != right.isGC() || !left.mergeWith(right) {
			return right
		}
		if right.hasParentSub() && right.parent != nil && right.parent.entries[right.parentSub] == right {
			right.parent.entries[right.parentSub] = left
		}
		l.remove(right)
		right = left
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
			for it := l.find(r.Clock); it != nil && it.id.Clock < end; it = l.nextStruct(it) {
				if !it.isGC() && it.deleted() && !it.keep() {
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
			cur := l.find(r.Clock + r.Len - 1)
			if next := l.nextStruct(cur); next != nil {
				cur = next
			}
			for cur != nil && cur != l.first() && cur.id.Clock >= r.Clock {
				cur = l.prevStruct(tryToMergeWithLefts(l, cur))
			}
		}
	}
}

// encodeUpdate writes the transaction's update: every struct added, from each client's state
// before the transaction, and the transaction's delete set. It returns nil for no change.
func (tx *Transaction) encodeUpdate() []byte {
	store := &tx.doc.store
	sm := make(StateVector)
	for _, cc := range tx.before {
		if store.state(cc.client) > cc.clock {
			sm[cc.client] = cc.clock
		}
	}
	if len(sm) == 0 && len(tx.deleteSet) == 0 {
		return nil
	}
	var e lib0.Encoder
	writeStructsFrom(&e, store, sm)
	writeDeleteSet(&e, tx.deleteSet)
	return e.Bytes()
}
