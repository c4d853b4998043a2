package crdt

import (
	"bytes"
	"fmt"
	"slices"
)

// ApplyUpdate integrates an update v1 (as produced by Y.encodeStateAsUpdate or a transaction)
// into the document. Structs whose dependencies have not arrived are kept pending and integrated
// as soon as they do; deletions of content not received yet are kept likewise. A malformed update
// is a *DecodeError (ErrSelfReference among its errors) and changes nothing; so does an update
// that would nest a type deeper than MaxNestingDepth, which fails with ErrTooDeep, and one that
// could leave more pending than Options.MaxPendingStructs or MaxPendingDeleteRanges, which fails
// with ErrTooMuchPending. The document keeps no reference to update.
func (d *Doc) ApplyUpdate(update []byte) error {
	_, err := d.applyUpdate(update, false, noClient)
	return err
}

// ApplyUpdateAndEncode is ApplyUpdate that also returns the update describing what the document
// integrated (nil if nothing), as Yjs's 'update' event does for remote transactions.
func (d *Doc) ApplyUpdateAndEncode(update []byte) ([]byte, error) {
	return d.applyUpdate(update, true, noClient)
}

// ApplyPeerUpdate is ApplyUpdateAndEncode for an update from a peer that must not write as
// client reserved: a server that edits its document as reserved takes its peers' updates through
// it. An update holding a struct of reserved, or deleting content of reserved, that the document
// does not have yet fails with ErrReservedClient and changes nothing. Peers may send reserved's
// content back (a client's whole state holds it) and delete it: that is ordinary editing. A
// peer that could write as reserved could take reserved's clock to 2^53-1, so that reserved
// could never edit again, or delete its future edits in advance. The check costs one step per
// client of the update and per range deleting reserved's content.
func (d *Doc) ApplyPeerUpdate(update []byte, reserved uint64) ([]byte, error) {
	return d.applyUpdate(update, true, reserved)
}

// noClient is a client id no update can hold (ids are at most MaxClientID): ApplyUpdate and
// ApplyUpdateAndEncode reserve it, which reserves nothing.
const noClient = MaxClientID + 1

func (d *Doc) applyUpdate(update []byte, wantUpdate bool, reserved uint64) ([]byte, error) {
	u, err := decodeUpdate(bytes.Clone(update), true)
	if err != nil {
		return nil, err
	}
	if err := d.checkReserved(u, reserved); err != nil {
		return nil, err
	}
	if err := d.checkDepth(u); err != nil {
		return nil, err
	}
	if err := d.checkPending(u); err != nil {
		return nil, err
	}
	if d.tx != nil {
		d.tx.integrateUpdate(u)
		return nil, nil
	}
	tx := d.begin(false)
	tx.integrateUpdate(u)
	return d.commit(tx, wantUpdate), nil
}

// checkReserved fails with ErrReservedClient if u holds structs of client reserved, or deletes
// content of reserved, beyond what the document holds.
func (d *Doc) checkReserved(u *decodedUpdate, reserved uint64) error {
	state := d.store.state(reserved)
	for _, cs := range u.clients {
		if n := len(cs.structs); cs.client == reserved && n > 0 && cs.structs[n-1].endClock() > state {
			return fmt.Errorf("%w: structs of client %d beyond its clock %d", ErrReservedClient, reserved, state)
		}
	}
	for _, r := range u.ds[reserved] {
		if r.Clock+r.Len > state {
			return fmt.Errorf("%w: deletion of %d:%d..%d beyond its clock %d", ErrReservedClient, reserved, r.Clock, r.Clock+r.Len, state)
		}
	}
	return nil
}

// integrateUpdate integrates the structs of u together with any pending ones, then applies the
// delete set (and pending deletions).
func (tx *Transaction) integrateUpdate(u *decodedUpdate) {
	d := tx.doc
	work := make([]uint64, 0, len(u.clients))
	for _, cs := range u.clients {
		if d.pending.add(cs.structs, d.store.state(cs.client)) {
			work = append(work, cs.client)
		}
	}
	d.pending.drain(tx, work)
	tx.applyDeleteSet(u.ds)
}

// applyDeleteSet deletes the ranges of ds that are integrated and keeps the rest pending, then
// retries the pending deletions of the clients whose state advanced in the transaction: those of
// the others start at or beyond their client's state, which has not moved. Retrying every pending
// range on every update made each keystroke as slow as the largest delete set ever left pending.
func (tx *Transaction) applyDeleteSet(ds DeleteSet) {
	d := tx.doc
	d.keepPending(tx.deleteRanges(ds))
	for _, cc := range tx.before {
		ranges, ok := d.pendingDs[cc.client]
		if !ok {
			continue
		}
		delete(d.pendingDs, cc.client)
		d.pendingRanges -= len(ranges)
		d.keepPending(tx.deleteRanges(DeleteSet{cc.client: ranges}))
	}
}

// keepPending adds ds to the pending deletions, merging only the clients ds holds.
func (d *Doc) keepPending(ds DeleteSet) {
	for client, ranges := range ds {
		if d.pendingDs == nil {
			d.pendingDs = DeleteSet{}
		}
		old := d.pendingDs[client]
		merged := normalizeRanges(append(old, ranges...))
		d.pendingDs[client] = merged
		d.pendingRanges += len(merged) - len(old)
	}
}

// deleteRanges deletes the integrated part of every range and returns the rest.
func (tx *Transaction) deleteRanges(ds DeleteSet) DeleteSet {
	store := &tx.doc.store
	var unapplied DeleteSet
	keep := func(client, clock, length uint64) {
		if unapplied == nil {
			unapplied = DeleteSet{}
		}
		unapplied.add(client, clock, length)
	}
	for _, client := range sortedClientsDesc(ds) {
		state := store.state(client)
		for _, r := range ds[client] {
			end := r.Clock + r.Len
			if r.Clock >= state {
				keep(client, r.Clock, r.Len)
				continue
			}
			if state < end {
				keep(client, state, end-state)
			}
			tx.deleteRange(client, r.Clock, min(end, state))
		}
	}
	return unapplied
}

// deleteRange deletes the integrated content of client in [clock, end).
func (tx *Transaction) deleteRange(client, clock, end uint64) {
	l := tx.doc.store.clients[client]
	c, i := l.search(clock)
	if it := l.at(c, i); !it.deleted() && it.id.Clock < clock {
		tx.getItemCleanStart(ID{client, clock})
		c, i = l.search(clock)
	}
	for ok := true; ok; c, i, ok = l.next(c, i) {
		it := l.at(c, i)
		if it.id.Clock >= end {
			return
		}
		if it.deleted() {
			continue
		}
		if end < it.endClock() {
			tx.getItemCleanStart(ID{client, end})
			c, i = l.search(it.id.Clock) // the split may have moved it to another chunk
		}
		tx.deleteItem(it)
	}
}

// pendingStructs holds structs that wait for content they depend on, by client, sorted by
// clock (parts may overlap). Unlike Yjs, which re-merges and re-applies its whole pending update
// on every update, it keeps a queue per client and wakes a client only when the state of a client
// it waits for advances.
type pendingStructs struct {
	queues  map[uint64]*queue
	waiters map[uint64][]uint64 // client -> clients whose head waits for it
	count   int                 // structs queued, Skips not counted: what MaxPendingStructs caps
	marked  map[*item]struct{}  // the structs queued at the last Doc.ExpirePending
}

// queue holds one client's waiting structs; its head is items[0].
type queue struct{ items []*item }

func newPendingStructs() pendingStructs {
	return pendingStructs{queues: make(map[uint64]*queue), waiters: make(map[uint64][]uint64)}
}

func (p *pendingStructs) empty() bool { return len(p.queues) == 0 }

// add queues structs of one client (in clock order) whose content is not integrated yet (the
// client's state is state), skipping those queued already, and reports whether anything was
// queued. Skips are dropped: they carry nothing to integrate.
func (p *pendingStructs) add(structs []*item, state uint64) bool {
	for len(structs) > 0 && (structs[0].endClock() <= state || structs[0].kind == kindSkip) {
		structs = structs[1:]
	}
	if len(structs) == 0 {
		return false
	}
	client := structs[0].id.Client
	q := p.queues[client]
	if q == nil || len(q.items) == 0 {
		// The common case: nothing queued for this client. The queue takes over the slice; Skips
		// in it are dropped when they reach the head.
		p.queues[client] = &queue{items: structs}
		for _, it := range structs {
			if it.kind != kindSkip {
				p.count++
			}
		}
		return true
	}
	// Skips cover nothing: drop those the queue took over before comparing ranges.
	q.items = slices.DeleteFunc(q.items, func(s *item) bool { return s.kind == kindSkip })
	added := false
	for _, it := range structs {
		if it.kind == kindSkip {
			continue
		}
		// Keep the queue sorted by start clock: insert after every struct starting at or before it.
		i, _ := slices.BinarySearchFunc(q.items, it.id.Clock, func(s *item, clock uint64) int {
			if s.id.Clock <= clock {
				return -1
			}
			return 1
		})
		if i > 0 && q.items[i-1].endClock() >= it.endClock() {
			continue // queued already
		}
		q.items = slices.Insert(q.items, i, it)
		p.count++
		added = true
	}
	return added
}

// drain integrates every queued struct whose dependencies are met, starting with the clients in
// work and waking the clients that wait for a client whose state advanced.
func (p *pendingStructs) drain(tx *Transaction, work []uint64) {
	slices.Sort(work)
	onStack := make(map[uint64]bool)
	blocked := make(map[uint64]bool)
	for len(work) > 0 {
		client := work[len(work)-1]
		work = work[:len(work)-1]
		if blocked[client] {
			continue
		}
		stack := []uint64{client}
		onStack[client] = true
		for len(stack) > 0 {
			cur := stack[len(stack)-1]
			dep, progressed, waiting := p.step(tx, cur)
			if progressed {
				// Clients that waited for cur may proceed now.
				for _, w := range p.waiters[cur] {
					delete(blocked, w)
					work = append(work, w)
				}
				delete(p.waiters, cur)
				continue
			}
			if waiting && !onStack[dep] && !blocked[dep] && p.queues[dep] != nil {
				// Integrate what cur waits for first.
				stack = append(stack, dep)
				onStack[dep] = true
				continue
			}
			if waiting {
				blocked[cur] = true
				if dep != cur && !slices.Contains(p.waiters[dep], cur) {
					// A client waiting for its own earlier content is retried when that arrives.
					p.waiters[dep] = append(p.waiters[dep], cur)
				}
			}
			stack = stack[:len(stack)-1]
			delete(onStack, cur)
		}
	}
}

// step tries to integrate the head of client's queue. It reports progress, or the client the head
// waits for (waiting is false when the queue is empty).
func (p *pendingStructs) step(tx *Transaction, client uint64) (dep uint64, progressed, waiting bool) {
	q := p.queues[client]
	if q == nil || len(q.items) == 0 {
		delete(p.queues, client)
		return 0, false, false
	}
	head := q.items[0]
	state := tx.doc.store.state(client)
	switch {
	case head.kind == kindSkip || head.endClock() <= state:
		p.pop(client, q)
		return 0, true, false
	case head.id.Clock > state:
		return client, false, true // a gap: wait for the client's own earlier content
	}
	if dep, isMissing, _ := tx.missing(head); isMissing {
		return dep, false, true
	}
	if head.kind == kindType && head.parent != nil && head.parent.depth >= MaxNestingDepth {
		// Too deep, from an update checked while the struct waited (Doc.checkDepth): it
		// integrates as if its parent were garbage-collected, and so does its content.
		head.parent = nil
	}
	p.pop(client, q)
	tx.integrate(head, int(state-head.id.Clock))
	return 0, true, false
}

func (p *pendingStructs) pop(client uint64, q *queue) {
	if q.items[0].kind != kindSkip {
		p.count--
	}
	q.items[0] = nil
	q.items = q.items[1:]
	if len(q.items) == 0 {
		delete(p.queues, client)
	}
}
