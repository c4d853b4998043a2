package room

import (
	"errors"
	"slices"
	"time"

	"github.com/pairpad/pairpad/crdt"
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

// errReadOnly refuses an edit from a connection whose role is Viewer.
var errReadOnly = errors.New("room: this connection may not edit the room")

// conn is one connection of a room, as its session sees it: what the session may ask of the
// room on the connection's behalf.
type conn struct {
	id      ConnID
	role    Role
	session Session
	room    *Room
	left    bool
	wake    time.Time // when the session wants a tick; zero for never
	// awareness lists the awareness clients this connection announced: it controls them until
	// it removes them, as in y-websocket's server, and they are announced gone when it leaves.
	awareness []uint64
}

// send queues a frame for the connection; nothing is sent to a connection that left.
func (c *conn) send(f Frame) {
	if !c.left {
		c.room.ready.Messages = append(c.room.ready.Messages, Message{Conn: c.id, Frame: f})
	}
}

// applyUpdate integrates an update the connection sent and queues it for commit and relay. This
// is the one place where a connection's role is checked: a viewer's update is never applied. If
// it holds structs the room lacks, it is an edit and closes the connection; else it is what a
// y-websocket client sends when it syncs (its state, which the room has) and is ignored, delete
// set included (deletions are ignored rather than checked: the room applies none of a viewer's).
func (c *conn) applyUpdate(update []byte) error {
	if c.role != Editor {
		missing, err := crdt.DiffUpdate(update, c.room.doc.EncodeStateVector())
		if err != nil {
			return refuse(CloseInvalidPayload, "malformed update", err)
		}
		u, err := crdt.DecodeUpdate(missing)
		if err != nil {
			return refuse(CloseInvalidPayload, "malformed update", err)
		}
		if u.NumStructs() > 0 {
			return refuse(CloseForbidden, "this link may not edit the room", errReadOnly)
		}
		return nil
	}
	if err := c.room.apply(c, update); err != nil {
		return refuse(CloseInvalidPayload, "malformed update", err)
	}
	return nil
}

// transact runs an edit of the document on the connection's behalf (a merged whole-code
// update), subject to its role like applyUpdate.
func (c *conn) transact(fn func(tx *crdt.Transaction) error) error {
	if c.role != Editor {
		return refuse(CloseForbidden, "this link may not edit the room", errReadOnly)
	}
	return c.room.transact(c.id, fn)
}

// applyAwareness applies an awareness update the connection sent and relays what changed to
// the others.
func (c *conn) applyAwareness(update []byte) error {
	r := c.room
	changes, err := r.awareness.Apply(update, r.now)
	if err != nil {
		return refuse(CloseInvalidPayload, "malformed awareness update", err)
	}
	c.awareness = append(c.awareness, changes.Added...)
	c.awareness = slices.DeleteFunc(c.awareness, func(id uint64) bool { return slices.Contains(changes.Removed, id) })
	if !changes.Empty() {
		r.broadcastAwareness(c, update)
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
