package room

import (
	"encoding/json"
	"math"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/pairpad/pairpad/crdt"
)

// A room's history is its op log, whose every entry says when it was accepted and who sent it
// (Update.Author), and its versions: bursts of editing, each a run of entries with no pause of
// Options.VersionPause between them, and no more than Options.MaxVersionEntries of them. A
// restore is a version of its own. The room hands out each version once it ended and its
// entries are committed (Ready.Versions); the one still open is in the Reply of a Query that
// asks for it.

// Version is a burst of editing: the entries it spans, when they were accepted, who sent them,
// and how many UTF-16 units of the code it added and removed.
type Version struct {
	FromSeq, ToSeq uint64
	From, To       time.Time
	Authors        []string // each once, in the order of their first edit
	Added, Removed int
	Restore        uint64 // if not 0, the version restored the code of this seq
}

// restoreRate and restoreBurst bound a room's restores.
const (
	restoreRate  = 1
	restoreBurst = 5
)

// Authors of the updates a connection did not send.
const (
	AuthorServer    = "server"
	AuthorLegacy    = "legacy client"
	AuthorAnonymous = "anonymous" // a y-websocket client that announced no name
	// MaxAuthorLen bounds an author's name in bytes (a longer one is cut), maxAuthors the
	// authors a version lists.
	MaxAuthorLen = 64
	maxAuthors   = 32
)

// burst is the version being written: its text before its first update, and what it spans.
type burst struct {
	start     *crdt.TextVersion
	v         Version
	accepted  int    // updates accepted into it
	committed int    // of them, committed
	closed    bool   // v.Added and v.Removed are final
	author    string // of the update last asked for (burstFor, accept)
}

// Restore makes the code Code, the text of entry Seq, as an edit of the server's on top of the
// document: what others type meanwhile merges with it as usual. Role must be allowed to edit,
// the code must fit Options.MaxRoomBytes, and a room takes restoreRate a second (bursts of
// restoreBurst): each writes a whole text into the log. The Reply with the same ID carries the
// restore's seq once it is durable (the current last seq if the code was Code already), or
// ErrReadOnly, ErrLinkRevoked, ErrRoomFull or ErrTooManyRestores.
type Restore struct {
	ID   uint64
	Code string
	Seq  uint64
	Role Role
	Link string // as Query.Link
	At   time.Time
}

func (Restore) input() {}

// author returns the name the connection's edits are recorded under.
func (c *conn) author() string {
	switch {
	case c.session.Protocol() == "json":
		return AuthorLegacy
	case c.name != "":
		return c.name
	}
	return AuthorAnonymous
}

// noteName records the name a y-websocket client announced in its awareness state
// ({"user": {"name": ...}}), cut to MaxAuthorLen bytes.
func (c *conn) noteName(state json.RawMessage) {
	var s struct {
		User struct {
			Name string `json:"name"`
		} `json:"user"`
	}
	if json.Unmarshal(state, &s) != nil || s.User.Name == "" {
		return
	}
	if slices.Contains([]string{AuthorServer, AuthorLegacy, AuthorAnonymous}, s.User.Name) {
		return // the room's own names: a client taking one stays anonymous
	}
	name := s.User.Name
	for len(name) > MaxAuthorLen {
		_, n := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-n]
	}
	c.name = name
}

// authorOf returns the author of what session sends ("" for the server).
func (r *Room) authorOf(session ConnID) string {
	if c := r.conns[session]; c != nil {
		return c.author()
	}
	return AuthorServer
}

// burstFor returns the version an update accepted now by author joins, ending the open one
// if it paused long enough or is full: before is the code's version before the update.
func (r *Room) burstFor(author string, before func() *crdt.TextVersion) *burst {
	b := r.burst
	if b != nil && (r.now.Sub(b.v.To) >= r.opts.VersionPause || b.accepted >= r.opts.MaxVersionEntries || b.v.Restore != 0) {
		r.endBurst()
		b = nil
	}
	if b == nil {
		b = &burst{start: before(), v: Version{From: r.now}}
		r.burst = b
	}
	b.v.To = r.now
	b.accepted++
	b.author = author
	return b
}

// accept records that the update burstFor was asked for was accepted, or not: a burst that
// took nothing is dropped.
func (r *Room) accept(b *burst, ok bool) {
	if ok {
		if !slices.Contains(b.v.Authors, b.author) && len(b.v.Authors) < maxAuthors {
			b.v.Authors = append(b.v.Authors, b.author)
		}
		return
	}
	if b.accepted--; b.accepted == 0 && r.burst == b {
		r.burst = nil
	}
}

// endBurst ends the open version: it is handed out once its entries are committed.
func (r *Room) endBurst() {
	b := r.burst
	if b == nil {
		return
	}
	r.burst = nil
	b.v.Added, b.v.Removed = b.start.Changes(r.codeVersion())
	b.closed, b.start = true, nil
	r.handOutBurst(b)
}

// committedToBurst records that update a of a batch was committed as entry seq.
func (r *Room) committedToBurst(a accepted, seq uint64) {
	b := a.burst
	if b == nil {
		return
	}
	if b.v.FromSeq == 0 {
		b.v.FromSeq = seq
	}
	b.v.ToSeq = seq
	b.committed++
	r.handOutBurst(b)
}

// handOutBurst hands out a version that ended once all its entries are committed.
func (r *Room) handOutBurst(b *burst) {
	if b.closed && b.committed == b.accepted {
		r.ready.Versions = append(r.ready.Versions, b.v)
	}
}

// openVersion returns the version being written, as far as it is committed; nil if none is.
func (r *Room) openVersion() *Version {
	b := r.burst
	if b == nil || b.committed == 0 {
		return nil
	}
	v := b.v
	v.Authors = slices.Clone(v.Authors)
	v.Added, v.Removed = b.start.Changes(r.codeVersion())
	return &v
}

// endIdleBurst ends the open version once it paused for Options.VersionPause.
func (r *Room) endIdleBurst() {
	if b := r.burst; b != nil && r.now.Sub(b.v.To) >= r.opts.VersionPause {
		r.endBurst()
	}
}

// restore carries out a Restore: the open version ends, the code becomes in.Code as the
// server's edit, and that edit is a version of its own.
func (r *Room) restore(in Restore) {
	current := r.codeVersion()
	var refused error
	switch {
	case !r.opens(in.Link):
		refused = ErrLinkRevoked
	case !r.mayEdit(in.Role):
		refused = ErrReadOnly
	case len(in.Code) > len(current.String()) && !r.fits(len(in.Code)-len(current.String())):
		refused = ErrRoomFull
	case !r.restores.take(1, restoreRate, restoreBurst, r.now):
		refused = ErrTooManyRestores
	}
	if refused != nil {
		r.ready.Replies = append(r.ready.Replies, Reply{ID: in.ID, Err: refused})
		return
	}
	r.endBurst()
	var restored *burst
	if in.Code != current.String() {
		err := r.transact("", func(tx *crdt.Transaction) error {
			_, err := r.text.Edit(tx, current, versionEdits(diffTexts(current.String(), in.Code), false))
			return err
		})
		if err != nil {
			r.ready.Replies = append(r.ready.Replies, Reply{ID: in.ID, Err: err})
			return
		}
		if restored = r.burst; restored != nil {
			restored.v.Restore = in.Seq
			r.endBurst()
		}
	}
	r.whenDurable(func() {
		reply := Reply{ID: in.ID, Err: ErrStopped}
		switch {
		case r.stopped:
		case restored != nil:
			reply = Reply{ID: in.ID, Seq: restored.v.ToSeq}
		default:
			reply = Reply{ID: in.ID, Seq: r.lastSeq}
		}
		r.ready.Replies = append(r.ready.Replies, reply)
	})
}

// Doc is a room document rebuilt from its history: a checkpoint's state, then the entries
// after it.
type Doc struct {
	doc  *crdt.Doc
	text *crdt.Text
	meta *crdt.Map
}

// Rebuild returns the document whose state is state (nil for an empty one). It has no caps: its
// state and entries are the room's, which took them within its caps.
func Rebuild(state []byte) (*Doc, error) {
	doc, text, meta, err := newDoc(Options{MaxPendingStructs: math.MaxInt, MaxPendingDeleteRanges: math.MaxInt})
	if err != nil {
		return nil, err
	}
	d := &Doc{doc: doc, text: text, meta: meta}
	if state != nil {
		err = d.Apply(state)
	}
	return d, err
}

// Apply applies an entry's update.
func (d *Doc) Apply(update []byte) error { return d.doc.ApplyUpdate(update) }

// CodeVersion returns the version of the document's code (see crdt.TextVersion.Changes).
func (d *Doc) CodeVersion() *crdt.TextVersion { return d.text.Version() }

// Code returns the document's code.
func (d *Doc) Code() string { return d.text.String() }

// State returns the document's state, as a Yjs update.
func (d *Doc) State() ([]byte, error) { return d.doc.EncodeStateAsUpdate(nil) }

// Language returns the language its meta map holds, "" for none.
func (d *Doc) Language() string { return languageOf(d.meta) }
