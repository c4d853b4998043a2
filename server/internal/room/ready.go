package room

import (
	"errors"
	"time"
)

// Ready is what the caller must do after stepping the room, in this order:
//
//  1. queue Messages and then Closes on their connections (none of them depends on Append);
//  2. deliver Replies;
//  3. append Append to the op log in one durable commit and step Committed with the outcome;
//  4. write Snapshot with store.Compact and step Compacted with the outcome;
//  5. if Stopped, the room is over: exit.
//
// Then take the next Ready, until one is empty. The room hands out one Append (and one
// Snapshot) at a time: the next comes after Committed (Compacted). Stepping other inputs between
// an Append and its Committed is allowed, but what waits for durability (relays, replies to sync
// requests and queries) then waits until nothing accepted is left uncommitted.
type Ready struct {
	Messages []Message
	Closes   []Close
	Replies  []Reply
	Append   []Update
	Snapshot *Snapshot
	// Versions are versions of the room's history that ended, to store (history.go).
	Versions []Version
	Stopped  bool
	// Errors went wrong inside the room without an input to blame: log them.
	Errors []error
}

// Empty reports whether there is nothing to do.
func (rd *Ready) Empty() bool {
	return len(rd.Messages) == 0 && len(rd.Closes) == 0 && len(rd.Replies) == 0 &&
		len(rd.Append) == 0 && rd.Snapshot == nil && len(rd.Versions) == 0 && !rd.Stopped && len(rd.Errors) == 0
}

// Frame is one WebSocket message: a text frame, or a binary one.
type Frame struct {
	Text bool
	Data []byte
}

// Message is a frame to queue on a connection.
type Message struct {
	Conn  ConnID
	Frame Frame
}

// CloseCode is a WebSocket close code.
type CloseCode int

// The close codes the room uses.
const (
	CloseGoingAway       CloseCode = 1001
	CloseUnsupportedData CloseCode = 1003
	CloseInvalidPayload  CloseCode = 1007
	ClosePolicyViolation CloseCode = 1008
	CloseMessageTooBig   CloseCode = 1009
	CloseInternalError   CloseCode = 1011
	CloseTryAgainLater   CloseCode = 1013
	CloseRoomTooLarge    CloseCode = 4413
	// CloseLinkRevoked closes a connection whose link its owner replaced: the client must not
	// retry with it (4400-4499 are permanent to y-websocket).
	CloseLinkRevoked CloseCode = 4410
)

// Close is a connection to close, with its code and reason, once the messages queued before it
// are written. Err, if not nil, is why (for the log; never sent).
type Close struct {
	Conn   ConnID
	Code   CloseCode
	Reason string
	Err    error
}

// Reply answers a Query: the room's code and language once everything accepted before the query
// was durable, or Err.
type Reply struct {
	ID       uint64
	Code     string
	Language string
	Seq      uint64   // the op log's last seq (for a Restore: its entry's)
	Open     *Version // for a Query with History: the version being written, if any
	Err      error
}

// ErrStopped answers the queries of a room that stopped before it could answer them.
var ErrStopped = errors.New("room: stopped")

// Errors of a Query or a Restore the room refused.
var (
	// ErrReadOnly: the role may not edit the room (to set its language, to restore).
	ErrReadOnly = errors.New("room: read only")
	// ErrLinkRevoked: the link it came with was replaced meanwhile.
	ErrLinkRevoked = errors.New("room: link revoked")
	// ErrRoomFull: the restored code would not fit Options.MaxRoomBytes.
	ErrRoomFull = errRoomFull
	// ErrTooManyRestores: the room took as many restores as it may for now.
	ErrTooManyRestores = errors.New("room: too many restores")
)

// Update is an accepted update to append to the op log.
type Update struct {
	Data    []byte
	Time    time.Time // when the room accepted it
	Session ConnID    // the connection that sent it; "" for the server's own edits
	Author  string    // who sent it, as people know them (see AuthorServer)
}

// Snapshot is the room's whole state, covering the op log up to and including Seq. The caller
// calls Check before it stores it (off the room's goroutine: it decodes the whole state), and
// steps the room with Compacted either way. Final marks the snapshot of a stopping room: the
// caller writes it before the room takes any other input, so that nothing lands in the log
// after it.
type Snapshot struct {
	Seq   uint64
	State []byte
	Final bool
	// Checkpoint asks the store to keep it for history once a newer one replaces it
	// (Options.CheckpointEntries).
	Checkpoint bool
	want       snapshotWant
}
