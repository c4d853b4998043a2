package room

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/sergi/go-diff/diffmatchpatch"

	"github.com/pairpad/pairpad/crdt"
	"github.com/pairpad/pairpad/server/internal/httpapi"
)

// seedDiffTimeout bounds each diff of a whole-code update, on the room's goroutine, where every
// other edit of the room waits: past it the diff is coarser (a changed region replaced whole) but
// still exact, so it deletes only characters of the version the client edited. At 200 ms a
// dissimilar replacement of 256 KiB stalled the room 371 ms; at 20 ms, 104 ms
// (BenchmarkSeedLargeReplacement).
const seedDiffTimeout = 20 * time.Millisecond

// seedMergeBudget bounds the time of all the diffs of one whole-code update: past it each diff
// is as coarse as it comes at once.
const seedMergeBudget = 2 * seedDiffTimeout

// DefaultSeedInterval is the least time between two code_update messages to one seed client.
const DefaultSeedInterval = 50 * time.Millisecond

// seedSession speaks the seed's JSON protocol (/ws/{roomId}): whole-code updates in text
// frames, merged into the document against the version the client most likely edited (see
// crdt.TextHistory), and the code and the user count sent back.
type seedSession struct {
	interval time.Duration
	history  *crdt.TextHistory // the versions of the code sent to the client, from open on
	dirty    bool              // the client has not been sent the latest code
	lastSent time.Time
}

// NewSeedSession returns the session of a seed-protocol connection, which is sent the code at
// most once per interval (DefaultSeedInterval if interval <= 0), always the latest.
func NewSeedSession(interval time.Duration) Session {
	if interval <= 0 {
		interval = DefaultSeedInterval
	}
	return &seedSession{interval: interval}
}

// seedMessage is a message of the seed's JSON protocol.
type seedMessage struct {
	Type  string  `json:"type"`
	Code  *string `json:"code,omitempty"`
	Count *int    `json:"count,omitempty"`
}

func text(data []byte) Frame { return Frame{Text: true, Data: data} }

// seedError is the JSON protocol's error message; its codes are the REST API's.
func seedError(code, detail string) Frame {
	b, _ := json.Marshal(map[string]string{"type": "error", "error": code, "detail": detail})
	return text(b)
}

// parseSeed parses a client message; the error message to send back is returned on failure.
func parseSeed(data []byte) (code string, reply *Frame) {
	var msg seedMessage
	fail := func(code, detail string) (string, *Frame) { f := seedError(code, detail); return "", &f }
	if err := json.Unmarshal(data, &msg); err != nil {
		return fail(httpapi.CodeInvalidJSON, "the message is not valid JSON: "+err.Error())
	}
	switch {
	case msg.Type != "code_update":
		return fail(httpapi.CodeBadRequest, `unknown message type "`+msg.Type+`"; clients send "code_update"`)
	case msg.Code == nil:
		return fail(httpapi.CodeValidation, `a code_update needs a "code" string`)
	}
	return *msg.Code, nil
}

func (*seedSession) Protocol() string { return "json" }

// open sends the code once what the room accepted so far is durable. The session keeps as
// much deleted text for late clients as a JSON message may hold.
func (s *seedSession) open(c *conn) {
	s.history = crdt.NewTextHistory(c.room.text, c.room.opts.MaxJSONMessageBytes)
	s.dirty = true
	s.flush(c)
}

func (s *seedSession) receive(c *conn, f Frame) error {
	if !f.Text {
		return refuse(CloseUnsupportedData, "text frames only", errors.New("room: a binary frame on a JSON connection"))
	}
	if limit := c.room.opts.MaxJSONMessageBytes; len(f.Data) > limit {
		return refuse(CloseMessageTooBig, fmt.Sprintf("JSON messages are limited to %d bytes", limit),
			fmt.Errorf("room: a JSON message of %d bytes", len(f.Data)))
	}
	code, reply := parseSeed(f.Data)
	if reply != nil {
		c.send(*reply) // the connection stays up
		return nil
	}
	return s.merge(c, code)
}

// merge merges the whole code the client sent into the document, against the version it
// most likely edited, so that whatever others did since is kept. The client gets the merged
// code back.
func (s *seedSession) merge(c *conn, code string) error {
	if !utf8.ValidString(code) {
		c.send(seedError(httpapi.CodeValidation, "the code is not valid UTF-8"))
		return nil
	}
	s.dirty = true // it gets the merged code, or the room's if its edit is refused or dropped
	if growth := len(code) - len(c.room.text.String()); growth > 0 && !c.room.fits(growth) {
		c.send(seedError("room_full", "the room is at its size limit: the code may not grow"))
		return nil
	}
	diff := budgetedDiff{deadline: c.now().Add(seedMergeBudget), now: c.now}
	if err := c.transact(func(tx *crdt.Transaction) error { return s.history.Merge(tx, code, diff) }); err != nil {
		// The history's diffs apply to the states it holds.
		return refuse(CloseInternalError, "could not merge the code", err)
	}
	s.flush(c)
	return nil
}

// budgetedDiff is the crdt.Differ of a merge: go-diff's diffs, each bounded by
// seedDiffTimeout and all by a deadline, on the room's clock. Edits slide to line and word
// boundaries, so that a line inserted after another is anchored after its line break.
type budgetedDiff struct {
	deadline time.Time
	now      func() time.Time
}

func (d budgetedDiff) diffMatchPatch() *diffmatchpatch.DiffMatchPatch {
	dmp := diffmatchpatch.New()
	dmp.DiffTimeout = min(seedDiffTimeout, max(d.deadline.Sub(d.now()), time.Nanosecond))
	return dmp
}

func (d budgetedDiff) Diff(a, b string) []crdt.Edit {
	dmp := d.diffMatchPatch()
	return crdtEdits(dmp.DiffCleanupSemanticLossless(dmp.DiffMain(a, b, true)))
}

func (d budgetedDiff) DiffLines(a, b string) []crdt.Edit {
	dmp := d.diffMatchPatch()
	ac, bc, lines := dmp.DiffLinesToChars(a, b)
	return crdtEdits(dmp.DiffCharsToLines(dmp.DiffMain(ac, bc, false), lines))
}

func crdtEdits(diffs []diffmatchpatch.Diff) []crdt.Edit {
	edits := make([]crdt.Edit, len(diffs))
	for i, d := range diffs {
		edits[i] = crdt.Edit{Op: editOps[d.Type], Text: d.Text}
	}
	return edits
}

var editOps = map[diffmatchpatch.Operation]crdt.EditOp{
	diffmatchpatch.DiffEqual:  crdt.EditKeep,
	diffmatchpatch.DiffDelete: crdt.EditDelete,
	diffmatchpatch.DiffInsert: crdt.EditInsert,
}

// committed: the client gets the new code if the commit changed the document.
func (s *seedSession) committed(c *conn, b *batch) {
	if b.changed() {
		s.dirty = true
	}
	s.flush(c)
}

func (*seedSession) awareness(*conn, *awarenessUpdate) {}

func (*seedSession) peers(c *conn, count *peerCount) { c.send(text(count.seedMessage())) }

func (s *seedSession) tick(c *conn, _ bool) { s.flush(c) }

// flush sends the latest code if the client lacks it, once everything the room accepted is
// durable and at most once per interval.
func (s *seedSession) flush(c *conn) {
	if !s.dirty || !c.durable() {
		return
	}
	if next := s.lastSent.Add(s.interval); c.now().Before(next) {
		c.wakeAt(next)
		return
	}
	s.history.Record()
	code := c.room.text.String()
	msg, _ := json.Marshal(seedMessage{Type: "code_update", Code: &code})
	c.send(text(msg))
	s.dirty, s.lastSent = false, c.now()
}
