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

// seedDiffTimeout bounds the diff of a whole-code update, on the room's goroutine, where every
// other edit of the room waits: past it the diff is coarser (a changed region replaced whole) but
// still exact, so it deletes only characters of the version the client edited. A crafted 900 KiB
// code of 2 KiB blocks, each changed, costs the room 19 ms with it, 36 ms at 20 ms
// (BenchmarkSeedManyBlocks).
const seedDiffTimeout = 5 * time.Millisecond

// DefaultSeedInterval is the least time between two code_update messages to one seed client.
const DefaultSeedInterval = 50 * time.Millisecond

// seedSession speaks the seed's JSON protocol (/ws/{roomId}): whole-code updates in text
// frames, merged into the document against the version the client edited, and the code and the
// user count sent back.
type seedSession struct {
	interval time.Duration
	bases    seedBase // the versions the client's next code may be based on
	dirty    bool     // the client has not been sent the latest code
	lastSent time.Time
	rate     bucket // of messages received (Options.JSONRate)
}

// NewSeedSession returns the session of a seed-protocol connection, which is sent the code at
// most once per interval (DefaultSeedInterval if interval <= 0), always the latest.
func NewSeedSession(interval time.Duration) Session {
	if interval <= 0 {
		interval = DefaultSeedInterval
	}
	return &seedSession{interval: interval, bases: seedBase{maxBytes: seedBaseBytes, refine: newRefineBudget()}}
}

// jsonBurstSeconds is how many seconds of Options.JSONRate a JSON connection may send at once:
// the codes a typist sent while the server was paused 25 s arrive together when it resumes.
const jsonBurstSeconds = 30

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

// open sends the code once what the room accepted so far is durable.
func (s *seedSession) open(c *conn) {
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
	if o := c.room.opts; !s.rate.take(1, o.JSONRate, jsonBurstSeconds*o.JSONRate, c.room.now) {
		return refuse(ClosePolicyViolation, "too many code updates", errors.New("room: JSON message rate exceeded"))
	}
	code, reply := parseSeed(f.Data)
	if reply != nil {
		c.send(*reply) // the connection stays up
		return nil
	}
	return s.merge(c, code)
}

// merge merges the whole code the client sent into the document: it diffs the code against
// the version the client most likely edited (seedBase) and applies that diff anchored to the
// version's characters, so that whatever others did since is kept. The client gets the merged
// code back.
func (s *seedSession) merge(c *conn, code string) error {
	if !utf8.ValidString(code) {
		c.send(seedError(httpapi.CodeValidation, "the code is not valid UTF-8"))
		return nil
	}
	if !c.mayEdit() {
		detail := "this link is view only: the code was not changed"
		if c.role == Editor {
			detail = "the room is locked: the code was not changed"
		}
		c.send(seedError(httpapi.CodeReadOnly, detail))
		return nil
	}
	text := c.room.text
	choice := s.bases.choose(code, c.now())
	if choice.base == nil {
		choice.base = c.room.codeVersion()
	}
	s.dirty = true
	if growth := len(code) - len(choice.base.String()); growth > 0 && !c.room.fits(growth) {
		c.send(seedError("room_full", "the room is at its size limit: the code may not grow"))
		return nil
	}
	var merged *crdt.TextVersion
	before := c.room.doc.StateVector()[ServerClientID]
	err := c.transact(func(tx *crdt.Transaction) (err error) {
		merged, err = choice.apply(tx, text, code)
		return err
	})
	inserted := clockRange{before, c.room.doc.StateVector()[ServerClientID]}
	if err != nil {
		// A diff of the version itself always applies to it.
		return refuse(CloseInternalError, "could not merge the code", err)
	}
	if merged != nil { // nil: the connection may not edit (transact checks it too)
		s.bases.merged(choice, merged, inserted, c.now())
	}
	s.flush(c)
	return nil
}

// apply merges code into the text against the choice's base, and returns the code's version.
func (c baseChoice) apply(tx *crdt.Transaction, text *crdt.Text, code string) (*crdt.TextVersion, error) {
	if c.whole {
		// A code that shares less than half with its base is a replacement: diffing it would
		// keep letters and lines it shares by chance, at the cost of thousands of edits.
		return text.Edit(tx, c.base, []crdt.VersionEdit{{Op: crdt.EditDelete, Text: c.base.String()}, {Op: crdt.EditInsert, Text: code}})
	}
	return text.Edit(tx, c.base, c.keepDoubtful(versionEdits(diffTexts(c.base.String(), code), c.maybeBefore)))
}

// versionEdits converts a diff to the edits of a version; with keep, the deletions are only
// omitted from the client's version.
func versionEdits(diffs []diffmatchpatch.Diff, keep bool) []crdt.VersionEdit {
	edits := make([]crdt.VersionEdit, len(diffs))
	for i, d := range diffs {
		op := crdt.EditKeep
		switch {
		case d.Type == diffmatchpatch.DiffDelete && keep:
			op = crdt.EditOmit
		case d.Type == diffmatchpatch.DiffDelete:
			op = crdt.EditDelete
		case d.Type == diffmatchpatch.DiffInsert:
			op = crdt.EditInsert
		}
		edits[i] = crdt.VersionEdit{Op: op, Text: d.Text}
	}
	return edits
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
	v := c.room.codeVersion()
	s.bases.record(v, c.now())
	code := v.String()
	msg, _ := json.Marshal(seedMessage{Type: "code_update", Code: &code})
	c.send(text(msg))
	s.dirty = false
	s.lastSent = c.now()
}

// seedLetterDiffBytes is the most text diffTexts compares letter by letter at once: beyond
// their common start and end, larger texts are compared line by line, and only the replaced
// blocks of at most this size letter by letter. A letter diff of 256 KiB took the room 85 ms,
// most of it outside the diff's timeout (BenchmarkSeedLargeReplacement).
const seedLetterDiffBytes = 16 << 10

// diffTexts returns go-diff's diff of a and b, bounded by seedDiffTimeout in all: past it a
// diff is coarser (a changed region replaced whole) but still exact.
func diffTexts(a, b string) []diffmatchpatch.Diff {
	dmp := diffmatchpatch.New()
	dmp.DiffTimeout = seedDiffTimeout
	if len(a)+len(b) <= seedLetterDiffBytes {
		return dmp.DiffMain(a, b, false)
	}
	deadline := time.Now().Add(seedDiffTimeout)
	start, end := commonEnds(a, b)
	var diffs []diffmatchpatch.Diff
	if start > 0 {
		diffs = append(diffs, diffmatchpatch.Diff{Type: diffmatchpatch.DiffEqual, Text: a[:start]})
	}
	ac, bc, lines := dmp.DiffLinesToChars(a[start:len(a)-end], b[start:len(b)-end])
	byLine := dmp.DiffCharsToLines(dmp.DiffMain(ac, bc, false), lines)
	for i := 0; i < len(byLine); i++ {
		if i+1 < len(byLine) && byLine[i].Type == diffmatchpatch.DiffDelete && byLine[i+1].Type == diffmatchpatch.DiffInsert &&
			len(byLine[i].Text)+len(byLine[i+1].Text) <= seedLetterDiffBytes {
			diffs = append(diffs, letterDiff(dmp, byLine[i].Text, byLine[i+1].Text, deadline)...)
			i++
			continue
		}
		diffs = append(diffs, byLine[i])
	}
	if end > 0 {
		diffs = append(diffs, diffmatchpatch.Diff{Type: diffmatchpatch.DiffEqual, Text: a[len(a)-end:]})
	}
	return diffs
}

// letterDiff diffs a replaced block letter by letter until deadline, then replaces it whole.
// The letters the two blocks share by chance, too few to be meant, are not kept: a dissimilar
// block becomes one deletion and one insertion rather than hundreds of edits to merge.
func letterDiff(dmp *diffmatchpatch.DiffMatchPatch, a, b string, deadline time.Time) []diffmatchpatch.Diff {
	left := time.Until(deadline)
	if left <= 0 { // go-diff takes a timeout of 0 for none
		return []diffmatchpatch.Diff{{Type: diffmatchpatch.DiffDelete, Text: a}, {Type: diffmatchpatch.DiffInsert, Text: b}}
	}
	dmp.DiffTimeout = left
	return dmp.DiffCleanupSemantic(dmp.DiffMain(a, b, false))
}

// utf8BoundaryBack returns how far before i the UTF-8 character s[i] is part of begins (0 if
// one begins at i), utf8BoundaryForward how far after i the next one begins.
func utf8BoundaryBack(s string, i int) int {
	n := 0
	for i-n > 0 && i-n < len(s) && !utf8.RuneStart(s[i-n]) {
		n++
	}
	return n
}

func utf8BoundaryForward(s string, i int) int {
	n := 0
	for i+n < len(s) && !utf8.RuneStart(s[i+n]) {
		n++
	}
	return n
}
