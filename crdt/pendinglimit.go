package crdt

import (
	"errors"
	"fmt"
	"slices"
)

// Defaults of Options.MaxPendingStructs and Options.MaxPendingDeleteRanges. An honest peer's
// content waits only while a dependency is in flight, or while a client that reconnects late
// sends an offline backlog built on content another peer has not delivered yet: a few hundred
// structs and ranges for hours of typing. Ten thousand of each leaves room for a large backlog,
// and bounds what a document that could never integrate them re-emits with its state (some
// 100 bytes a struct and 2-10 bytes a range: about 1 MiB and 100 KiB) and what an update retries.
const (
	DefaultMaxPendingStructs      = 10_000
	DefaultMaxPendingDeleteRanges = 10_000
)

// ErrTooMuchPending reports an update that could take the document's pending structs or
// deletions past Options.MaxPendingStructs or Options.MaxPendingDeleteRanges. ApplyUpdate returns
// it wrapped (not in a *DecodeError: the update is well formed) and changes nothing.
var ErrTooMuchPending = errors.New("crdt: too much pending content")

// pendingLimits are a document's caps on its pending structs and delete ranges.
type pendingLimits struct{ structs, ranges int }

func (o Options) pendingLimits() pendingLimits {
	l := pendingLimits{o.MaxPendingStructs, o.MaxPendingDeleteRanges}
	if l.structs == 0 {
		l.structs = DefaultMaxPendingStructs
	}
	if l.ranges == 0 {
		l.ranges = DefaultMaxPendingDeleteRanges
	}
	return l
}

// checkPending fails with ErrTooMuchPending if integrating u could leave more pending structs or
// delete ranges than the document's limits. It counts what u adds that cannot integrate now, as
// checkDepth finds it, and not what u may unblock: an update that fills a gap always passes, one
// that adds to the pending data near the cap may be refused although it also unblocks some.
// Most updates pass on a bound that needs no search: the cap minus what is pending is more than
// all they hold beyond the document's state.
func (d *Doc) checkPending(u *decodedUpdate) error {
	structs, ranges := d.pendingBound(u)
	if d.pending.count+structs <= d.limits.structs && d.pendingRanges+ranges <= d.limits.ranges {
		return nil
	}
	structs, ranges = d.pendingCount(u)
	if n := d.pending.count + structs; n > d.limits.structs {
		return fmt.Errorf("%w: %d structs would wait, beyond %d", ErrTooMuchPending, n, d.limits.structs)
	}
	if n := d.pendingRanges + ranges; n > d.limits.ranges {
		return fmt.Errorf("%w: %d delete ranges would wait, beyond %d", ErrTooMuchPending, n, d.limits.ranges)
	}
	return nil
}

// pendingBound returns how many structs and delete ranges of u reach beyond the document's
// state: at most these can be left pending.
func (d *Doc) pendingBound(u *decodedUpdate) (structs, ranges int) {
	for _, cs := range u.clients {
		state := d.store.state(cs.client)
		for _, s := range cs.structs {
			if s.kind != kindSkip && s.endClock() > state {
				structs++
			}
		}
	}
	for client, rs := range u.ds {
		state := d.store.state(client)
		for _, r := range rs {
			if r.Clock+r.Len > state {
				ranges++
			}
		}
	}
	return structs, ranges
}

// pendingCount returns how many structs of u cannot integrate now, and how many of its delete
// ranges reach beyond the state its integrable structs take their client to.
func (d *Doc) pendingCount(u *decodedUpdate) (structs, ranges int) {
	c := newDepthCheck(d, u)
	states := make(map[uint64]uint64, len(u.clients)) // each client's state once u's integrable structs are in
	for _, cs := range u.clients {
		state := d.store.state(cs.client)
		states[cs.client] = max(state, states[cs.client])
		for _, s := range cs.structs {
			if s.kind == kindSkip || s.endClock() <= state {
				continue
			}
			if !d.dependenciesIn(s, states) && !c.integrable(s) {
				structs++
				continue
			}
			if s.id.Clock <= states[cs.client] {
				states[cs.client] = max(states[cs.client], s.endClock())
			}
		}
	}
	for client, rs := range u.ds {
		state := max(d.store.state(client), states[client])
		for _, r := range rs {
			if r.Clock+r.Len > state {
				ranges++
			}
		}
	}
	return structs, ranges
}

// dependenciesIn reports, without a search, whether everything s depends on is below states
// (the document's state, or what the count found integrable so far): its client's content
// before it, its origins and its parent. Most structs of an update, all of a whole document's,
// pass this way; the others take depthCheck's search.
func (d *Doc) dependenciesIn(s *item, states map[uint64]uint64) bool {
	below := func(id *ID) bool { return id.Clock < max(d.store.state(id.Client), states[id.Client]) }
	if s.id.Clock > max(d.store.state(s.id.Client), states[s.id.Client]) {
		return false
	}
	for _, id := range [...]*ID{s.originPtr(), s.rightOriginPtr(), s.parentIDPtr()} {
		if id != nil && !below(id) {
			return false
		}
	}
	return true
}

// ExpirePending drops the pending structs and deletions that were pending already at the
// previous call, and remembers what is pending now for the next. A caller that calls it at
// intervals keeps pending content for at least one interval and at most two. Content that
// waits that long waits for something its sender never delivered: an honest peer that has it
// sends it again with what depends on it when it syncs (its sync step 2 holds all the document
// lacks), and the rest would otherwise be retried, and sent to every peer that syncs, for ever.
// It returns whether it dropped anything. It must not be called inside Transact.
func (d *Doc) ExpirePending() bool {
	dropped := d.pending.expire()
	if dropped {
		tx := d.begin(false)
		d.pending.drain(tx, d.pending.clients()) // relearn what the remaining heads wait for
		d.commit(tx, false)
	}
	return d.expireDeletions() || dropped
}

// expire drops the queued structs marked by the previous call and marks those left.
func (p *pendingStructs) expire() bool {
	dropped := false
	for client, q := range p.queues {
		kept := q.items[:0]
		for _, it := range q.items {
			if _, old := p.marked[it]; old {
				if it.kind != kindSkip {
					p.count--
				}
				dropped = true
				continue
			}
			kept = append(kept, it)
		}
		clear(q.items[len(kept):])
		q.items = kept
		if len(kept) == 0 {
			delete(p.queues, client)
		}
	}
	p.marked = make(map[*item]struct{}, p.count)
	for _, q := range p.queues {
		for _, it := range q.items {
			p.marked[it] = struct{}{}
		}
	}
	if dropped {
		clear(p.waiters)
	}
	return dropped
}

func (p *pendingStructs) clients() []uint64 {
	clients := make([]uint64, 0, len(p.queues))
	for client := range p.queues {
		clients = append(clients, client)
	}
	return clients
}

// expireDeletions drops the pending deletions marked by the previous call and marks those left.
func (d *Doc) expireDeletions() bool {
	dropped := false
	for client, ranges := range d.pendingDs {
		left := subtractRanges(ranges, d.markedDs[client])
		if !slices.Equal(left, ranges) {
			dropped = true
		}
		d.pendingRanges += len(left) - len(ranges)
		if len(left) == 0 {
			delete(d.pendingDs, client)
		} else {
			d.pendingDs[client] = left
		}
	}
	d.markedDs = DeleteSet{}
	for client, ranges := range d.pendingDs {
		d.markedDs[client] = slices.Clone(ranges)
	}
	return dropped
}

// subtractRanges returns the parts of the normalized ranges a outside the normalized ranges b.
func subtractRanges(a, b []DeleteRange) []DeleteRange {
	var out []DeleteRange
	j := 0
	for _, r := range a {
		clock, end := r.Clock, r.Clock+r.Len
		for j < len(b) && b[j].Clock+b[j].Len <= clock {
			j++
		}
		for k := j; k < len(b) && b[k].Clock < end; k++ {
			if b[k].Clock > clock {
				out = append(out, DeleteRange{Clock: clock, Len: b[k].Clock - clock})
			}
			clock = max(clock, b[k].Clock+b[k].Len)
		}
		if clock < end {
			out = append(out, DeleteRange{Clock: clock, Len: end - clock})
		}
	}
	return out
}
