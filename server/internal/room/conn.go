package room

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/pairpad/pairpad/crdt"
	"github.com/pairpad/pairpad/crdt/protocol"
)

// ConnID identifies a connection: unique among the server's connections, and recorded in the op
// log as the session that sent each update.
type ConnID string

// Role is what a connection may do in its room.
type Role uint8

const (
	// Viewer reads the room and shares its awareness (cursor, name), but never edits.
	Viewer Role = iota
	// Editor may also edit the document.
	Editor
)

func (r Role) String() string {
	if r == Editor {
		return "editor"
	}
	return "viewer"
}

// conn is one connection of a room, as its session sees it: what the session may ask of the
// room on the connection's behalf.
type conn struct {
	id      ConnID
	role    Role
	link    string // the id it opened the room with (Join.Link)
	session Session
	room    *Room
	left    bool
	wake    time.Time // when the session wants a tick; zero for never
	// awareness holds the awareness clients whose state this connection set last (see
	// Room.owners): they are announced gone when it leaves.
	awareness map[uint64]struct{}
	// awarenessRate is the connection's bucket of awareness messages (Options.AwarenessRate),
	// inbound that of bytes received, shared by the connections of one address
	// (InboundBytesPerSecond).
	awarenessRate bucket
	inbound       *bucket
	address       string
	name          string // the name its client announced (noteName)
}

// bucket is a token bucket on the room's clock, full at first.
type bucket struct {
	tokens  float64
	at      time.Time
	started bool
}

// take takes n tokens at now from a bucket that refills at rate a second up to burst, and
// reports whether it held them.
func (b *bucket) take(n, rate, burst float64, now time.Time) bool {
	if !b.started {
		b.tokens, b.started = burst, true
	} else {
		b.tokens = min(burst, b.tokens+rate*now.Sub(b.at).Seconds())
	}
	b.at = now
	if b.tokens < n {
		return false
	}
	b.tokens -= n
	return true
}

// send queues a frame for the connection; nothing is sent to a connection that left.
func (c *conn) send(f Frame) {
	if !c.left {
		c.room.ready.Messages = append(c.room.ready.Messages, Message{Conn: c.id, Frame: f})
	}
}

// mayEdit reports whether the connection may edit the document (Room.mayEdit): applyUpdate and
// transact, the only ways a session edits, ask it, and sessions ask it to tell a client its
// edit was refused.
func (c *conn) mayEdit() bool { return c.room.mayEdit(c.role) }

// applyUpdate integrates an update the connection sent and queues it for commit and relay. A
// viewer's update is ignored: it is either the state a y-websocket client sends when it syncs,
// which the room has, or an edit the viewer may not make.
func (c *conn) applyUpdate(update []byte) error {
	if !c.mayEdit() {
		return nil
	}
	if crdt.UpdateAddsStructs(update) && !c.room.fits(len(update)) {
		return refuse(CloseRoomTooLarge, "the room is at its size limit", errRoomFull)
	}
	err := c.room.apply(c, update)
	if errors.Is(err, crdt.ErrTooMuchPending) {
		return refuse(ClosePolicyViolation, "too many pending changes", err)
	}
	if err != nil {
		return refuse(CloseInvalidPayload, updateRefusal(err), err)
	}
	return nil
}

// updateRefusal returns the close reason for an update the document refused with err: well
// formed but nesting types beyond crdt.MaxNestingDepth or writing as the server, or malformed.
func updateRefusal(err error) string {
	switch {
	case errors.Is(err, crdt.ErrTooDeep):
		return "shared types nested too deeply"
	case errors.Is(err, crdt.ErrReservedClient):
		return "update writes as the server"
	}
	return "malformed update"
}

// transact runs an edit of the document on the connection's behalf (a merged whole-code
// update); for a viewer it does nothing.
func (c *conn) transact(fn func(tx *crdt.Transaction) error) error {
	if !c.mayEdit() {
		return nil
	}
	return c.room.transact(c.id, fn)
}

// applyAwareness applies an awareness update the connection sent and relays what changed to
// the others.
func (c *conn) applyAwareness(update []byte) error {
	r := c.room
	entries, err := protocol.DecodeAwarenessUpdate(update)
	if err != nil {
		return refuse(CloseInvalidPayload, "malformed awareness update", err)
	}
	if i := slices.IndexFunc(entries, isServerEntry); i >= 0 {
		// Only the room sets the server's state (LockState); y-websocket clients send back
		// every state they receive, the server's too.
		entries = slices.DeleteFunc(entries, isServerEntry)
		if len(entries) == 0 {
			return nil
		}
		update = protocol.EncodeAwarenessUpdate(entries)
	}
	if err := c.checkAwareness(entries); err != nil {
		return err
	}
	changes := r.awareness.ApplyEntries(entries, r.now)
	r.claimAwareness(c, changes)
	for _, id := range slices.Concat(changes.Added, changes.Updated) {
		if e, ok := r.awareness.Get(id); ok {
			c.noteName(e.State)
		}
	}
	if !changes.Empty() {
		r.broadcastAwareness(c, update)
	}
	return nil
}

func isServerEntry(e protocol.Entry) bool { return e.Client == ServerClientID }

// checkAwareness refuses an awareness message past the room's limits (Options): too many
// messages, entries or client ids for one connection, or a state too large. Every one is
// relayed to every peer and a state is kept until its client leaves, so each is bounded.
func (c *conn) checkAwareness(entries []protocol.Entry) error {
	o := c.room.opts
	if !c.awarenessRate.take(1, o.AwarenessRate, 2*o.AwarenessRate, c.room.now) {
		return refuse(ClosePolicyViolation, "too many awareness updates", errors.New("room: awareness rate exceeded"))
	}
	if len(entries) > o.MaxAwarenessEntries {
		return refuse(ClosePolicyViolation, "too many awareness entries in one message",
			fmt.Errorf("room: %d awareness entries, more than %d", len(entries), o.MaxAwarenessEntries))
	}
	claimed := len(c.awareness)
	for _, e := range entries {
		if len(e.State) > o.MaxAwarenessStateBytes {
			return refuse(ClosePolicyViolation, "awareness state too large",
				fmt.Errorf("room: an awareness state of %d bytes, more than %d", len(e.State), o.MaxAwarenessStateBytes))
		}
		if _, mine := c.awareness[e.Client]; !mine && !e.Removed() {
			claimed++
		}
	}
	if claimed > o.MaxAwarenessClients {
		return refuse(ClosePolicyViolation, "too many awareness clients on one connection",
			fmt.Errorf("room: %d awareness clients, more than %d", claimed, o.MaxAwarenessClients))
	}
	return nil
}

// whenDurable runs fn once everything the room accepted so far is committed: at once if it is.
func (c *conn) whenDurable(fn func()) { c.room.whenDurable(fn) }

// durable reports whether everything the room accepted is committed.
func (c *conn) durable() bool { return c.room.durable() }

// wakeAt asks for a tick at t (or earlier).
func (c *conn) wakeAt(t time.Time) {
	if c.wake.IsZero() || t.Before(c.wake) {
		c.wake = t
	}
}

// now is the time of the input being handled.
func (c *conn) now() time.Time { return c.room.now }

// closeError is a refusal that closes the connection that caused it.
type closeError struct {
	code   CloseCode
	reason string
	err    error
}

func (e *closeError) Error() string { return e.reason + ": " + e.err.Error() }
func (e *closeError) Unwrap() error { return e.err }

// refuse returns the error that closes a connection with code and reason because of err.
func refuse(code CloseCode, reason string, err error) error {
	return &closeError{code: code, reason: reason, err: err}
}
