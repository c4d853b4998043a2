package protocol

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/pairpad/pairpad/crdt/internal/lib0"
)

// OutdatedTimeout is how long a remote client's awareness state lives without being renewed
// (outdatedTimeout in awareness.js). Yjs clients renew their state every OutdatedTimeout/2.
const OutdatedTimeout = 30 * time.Second

// Entry is one client's entry in an awareness update.
type Entry struct {
	Client uint64
	// Clock orders the client's states: a receiver keeps the state with the highest clock.
	Clock uint64
	// State is the client's state as JSON. nil, or the JSON null, announces that the client is
	// gone.
	State json.RawMessage
}

// Removed reports whether e announces that its client is gone.
func (e Entry) Removed() bool { return isNull(e.State) }

// isNull reports whether s is absent or the JSON null, with any JSON whitespace around it.
func isNull(s json.RawMessage) bool {
	return s == nil || string(bytes.Trim(s, " \t\r\n")) == "null"
}

// nullState is how a removed client's state is written (JSON.stringify(null)).
const nullState = "null"

// EncodeAwarenessUpdate returns the awareness update that carries entries, in order: the number
// of entries, then for each its client id, clock and state as a var-uint, a var-uint and a
// JSON string ("null" for a removed client), as encodeAwarenessUpdate in awareness.js writes it.
// States must be valid JSON, and ids and clocks at most 2^53-1 for JavaScript to read them.
func EncodeAwarenessUpdate(entries []Entry) []byte {
	var e lib0.Encoder
	e.WriteVarUint(uint64(len(entries)))
	for _, x := range entries {
		e.WriteVarUint(x.Client)
		e.WriteVarUint(x.Clock)
		if isNull(x.State) {
			e.WriteVarString(nullState)
		} else {
			e.WriteVarStringBytes(x.State)
		}
	}
	return e.Bytes()
}

// DecodeAwarenessUpdate decodes an awareness update. Each state must be valid JSON, as
// awareness.js's JSON.parse requires; it is returned compacted (insignificant whitespace
// removed) in memory of its own, with nil for null. Bytes after the last entry are ignored,
// as awareness.js ignores them.
//
// Malformed input is a *DecodeError wrapping ErrUnexpectedEOF, ErrIntegerOverflow,
// ErrInvalidUTF8 or ErrInvalidState; the count of entries read from the input bounds no
// allocation.
func DecodeAwarenessUpdate(update []byte) ([]Entry, error) {
	d := lib0.NewDecoder(update)
	n := d.ReadVarUint()
	if d.Err() != nil {
		return nil, decodeError(d)
	}
	// Every entry takes at least three bytes: never allocate beyond what the input can hold.
	entries := make([]Entry, 0, min(n, uint64(d.Remaining()/3)))
	for i := uint64(0); i < n; i++ {
		x := Entry{Client: d.ReadVarUint(), Clock: d.ReadVarUint()}
		at := d.Pos()
		raw := d.ReadVarStringBytes()
		if d.Err() != nil {
			return nil, decodeError(d)
		}
		state, err := compactState(raw)
		if err != nil {
			return nil, &DecodeError{Offset: at, Err: fmt.Errorf("%w for client %d: %v", ErrInvalidState, x.Client, err)}
		}
		x.State = state
		entries = append(entries, x)
	}
	return entries, nil
}

// compactState validates a state's JSON and returns a compacted copy, or nil for null.
func compactState(raw []byte) (json.RawMessage, error) {
	var buf bytes.Buffer
	buf.Grow(len(raw))
	if err := json.Compact(&buf, raw); err != nil {
		return nil, err
	}
	if buf.String() == nullState {
		return nil, nil
	}
	return buf.Bytes(), nil
}

// Changes lists the clients an awareness update or a removal changed, each in the order it was
// processed, like the 'update' event of awareness.js. A client may appear more than once when
// an update names it more than once.
type Changes struct {
	// Added lists clients seen for the first time, with a state.
	Added []uint64
	// Updated lists known clients that sent a state with a newer clock, even an unchanged
	// one: a renewal is an update (awareness.js filters these only for its 'change' event).
	// A client that had been removed and comes back is in Updated, not Added.
	Updated []uint64
	// Removed lists known clients whose state became null.
	Removed []uint64
}

// Empty reports whether nothing changed.
func (c Changes) Empty() bool { return len(c.Added)+len(c.Updated)+len(c.Removed) == 0 }

// Clients returns Added, Updated and Removed in one slice: the clients whose entries
// y-websocket's server broadcasts after a change (see Awareness.EncodeUpdate).
func (c Changes) Clients() []uint64 { return slices.Concat(c.Added, c.Updated, c.Removed) }

// clientMeta is what awareness.js keeps in its meta map for every client it has seen.
type clientMeta struct {
	clock       uint64
	lastUpdated int64 // Unix milliseconds
}

// Awareness holds the awareness states of the clients of one document and applies the rules
// of y-protocols/awareness.js to them. It is a pure state machine: the caller passes in the
// current time and sends the updates it returns. The zero value is an empty Awareness ready to
// use. An Awareness is not safe for concurrent use.
//
// It plays the part of the Awareness instance of y-websocket's server, which has no state of
// its own. So it has no local client: no local state to set or to renew every
// OutdatedTimeout/2, and no client whose removal by a peer it refuses (awareness.js answers
// that by raising its own clock).
//
// As in awareness.js, a client's clock is remembered after its state is removed, so that stale
// updates cannot bring it back; the memory held grows with the number of client ids ever
// seen.
//
// States are kept as received, compacted, and sent on as they are. awareness.js would send
// JSON.stringify(JSON.parse(state)) instead, which may differ in key order, number syntax and
// escapes (and writes null for numbers beyond the float64 range), but parses to the same
// value. awareness.js also writes `state || null`, sending a state of false, 0 or "" as null;
// EncodeUpdate sends such states as they are.
type Awareness struct {
	states map[uint64]json.RawMessage
	meta   map[uint64]clientMeta
}

// Apply applies an awareness update received at now, as applyAwarenessUpdate in awareness.js
// does (see ApplyEntries), and returns what changed.
//
// Unlike awareness.js, which applies the entries before a malformed one and then throws, Apply
// decodes the whole update first: on error (see DecodeAwarenessUpdate) nothing is applied.
func (a *Awareness) Apply(update []byte, now time.Time) (Changes, error) {
	entries, err := DecodeAwarenessUpdate(update)
	if err != nil {
		return Changes{}, err
	}
	return a.ApplyEntries(entries, now), nil
}

// ApplyEntries applies decoded entries received at now, in order, and returns what changed.
// An entry is accepted when its clock is newer than the client's known clock (0 for a client
// never seen), or equal to it with a null state while the client has a state: that is how a
// peer that is not the client announces it gone. An accepted entry sets or removes the state,
// records the clock and restarts the client's timeout. A null entry for a client never seen
// records its clock and changes nothing else.
//
// The states must be valid JSON (DecodeAwarenessUpdate's are); the Awareness keeps them, so the
// caller must not modify them afterwards.
func (a *Awareness) ApplyEntries(entries []Entry, now time.Time) Changes {
	if a.meta == nil {
		a.meta = make(map[uint64]clientMeta)
		a.states = make(map[uint64]json.RawMessage)
	}
	var c Changes
	for _, x := range entries {
		m, known := a.meta[x.Client]
		_, has := a.states[x.Client]
		removal := isNull(x.State)
		if !(m.clock < x.Clock || (m.clock == x.Clock && removal && has)) {
			continue
		}
		if removal {
			delete(a.states, x.Client)
		} else {
			a.states[x.Client] = x.State
		}
		a.meta[x.Client] = clientMeta{clock: x.Clock, lastUpdated: now.UnixMilli()}
		switch {
		case !known && !removal:
			c.Added = append(c.Added, x.Client)
		case known && removal:
			c.Removed = append(c.Removed, x.Client)
		case !removal:
			c.Updated = append(c.Updated, x.Client)
		}
	}
	return c
}

// Remove removes the states of clients, as removeAwarenessStates in awareness.js does for
// remote clients (y-websocket's server calls it for the clients of a connection that closed).
// It returns the clients that had a state, in the order given, and the update announcing
// their removal to the other peers, or nil if none had a state.
//
// The update carries each client's current clock with a null state, which peers accept
// because the clock equals theirs. The clocks are not raised: a clock belongs to its client,
// and the next state the client sends, with its next clock, must still be newer.
func (a *Awareness) Remove(clients []uint64) (removed []uint64, update []byte) {
	for _, client := range clients {
		if _, ok := a.states[client]; ok {
			delete(a.states, client)
			removed = append(removed, client)
		}
	}
	if len(removed) == 0 {
		return nil, nil
	}
	return removed, a.EncodeUpdate(removed)
}

// Outdated returns, in ascending order, the clients that have a state which was last set at
// least OutdatedTimeout before now.
func (a *Awareness) Outdated(now time.Time) []uint64 {
	var out []uint64
	ms := now.UnixMilli()
	for client := range a.states {
		if ms-a.meta[client].lastUpdated >= OutdatedTimeout.Milliseconds() {
			out = append(out, client)
		}
	}
	slices.Sort(out)
	return out
}

// Tick removes the states that Outdated(now) returns, as the check that awareness.js runs
// every OutdatedTimeout/10 does, and returns those clients and the update announcing their
// removal (nil if there are none). Call it about as often.
func (a *Awareness) Tick(now time.Time) (removed []uint64, update []byte) {
	a.forgetGone(now)
	return a.Remove(a.Outdated(now))
}

// forgetGone forgets the clocks of clients that have had no state for OutdatedTimeout: a
// clock outlives its client's state only to refuse a late, stale state of it, and kept for ever
// the clocks of clients that come and go (or that a hostile peer invents by the thousand) would
// only grow.
func (a *Awareness) forgetGone(now time.Time) {
	ms := now.UnixMilli()
	for client, m := range a.meta {
		if _, has := a.states[client]; !has && ms-m.lastUpdated >= OutdatedTimeout.Milliseconds() {
			delete(a.meta, client)
		}
	}
}

// EncodeUpdate returns the awareness update that carries the current entries of clients, in
// the order given: each with its clock and its state, or null once removed. It skips clients
// never seen (awareness.js would throw). EncodeUpdate(a.Clients()) is the update that brings a
// newly connected peer up to date.
func (a *Awareness) EncodeUpdate(clients []uint64) []byte {
	entries := make([]Entry, 0, len(clients))
	for _, client := range clients {
		if x, ok := a.Get(client); ok {
			entries = append(entries, x)
		}
	}
	return EncodeAwarenessUpdate(entries)
}

// Get returns client's current entry, with a nil State once the client is removed, and
// whether the client was ever seen. The State is shared with the Awareness: do not modify it.
func (a *Awareness) Get(client uint64) (Entry, bool) {
	m, ok := a.meta[client]
	if !ok {
		return Entry{}, false
	}
	return Entry{Client: client, Clock: m.clock, State: a.states[client]}, true
}

// Clients returns the clients that have a state, in ascending order.
func (a *Awareness) Clients() []uint64 {
	return slices.Sorted(maps.Keys(a.states))
}
