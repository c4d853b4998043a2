package crdt

import (
	"errors"
	"fmt"
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
	states := make(map[uint64]uint64, len(u.clients))
	for _, cs := range u.clients {
		state := d.store.state(cs.client)
		after := max(state, states[cs.client])
		for _, s := range cs.structs {
			if s.kind == kindSkip || s.endClock() <= state {
				continue
			}
			if !c.integrable(s) {
				structs++
				continue
			}
			if s.id.Clock <= after {
				after = max(after, s.endClock())
			}
		}
		states[cs.client] = after
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
