package crdt

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/pairpad/pairpad/internal/utf16x"
)

// TextVersion is a text as it was at some moment: its string and the identity of every UTF-16
// unit in it. A client that only ever sees whole strings (the legacy JSON protocol) edits some
// version; InsertAt and DeleteAt apply its edits to the text as it is now, the way a Yjs peer
// still at that version would, so that nothing others did since is reverted.
type TextVersion struct {
	text string
	runs []idRun // the identities of the units, in order, as runs of consecutive clocks
}

// idRun is n units of one client with consecutive clocks starting at id, which start at UTF-16
// offset off in the version.
type idRun struct {
	id  ID
	off int
	n   int
}

// Version returns the text's current version.
func (x *Text) Version() *TextVersion {
	var b strings.Builder
	v := &TextVersion{}
	for n := x.t.start; n != nil; n = n.right {
		if n.kind != kindString || n.deleted() {
			continue
		}
		b.Write(n.text)
		v.appendRun(idRun{id: n.id, n: n.length})
	}
	v.text = b.String()
	return v
}

// String returns the version's text.
func (v *TextVersion) String() string { return v.text }

// Len returns the version's length in UTF-16 units.
func (v *TextVersion) Len() int {
	if len(v.runs) == 0 {
		return 0
	}
	last := v.runs[len(v.runs)-1]
	return last.off + last.n
}

// idAt returns the identity of the unit at UTF-16 offset i (0 <= i < Len).
func (v *TextVersion) idAt(i int) ID {
	k := sort.Search(len(v.runs), func(k int) bool { return v.runs[k].off > i }) - 1
	r := v.runs[k]
	return ID{r.id.Client, r.id.Clock + uint64(i-r.off)}
}

// InsertAt inserts s into the text between the units at index-1 and index of version v, as a
// peer at v inserting at index would: the new text's origin is the unit before it in v and its
// right origin the unit after it in v, and YATA places it among whatever was inserted between
// them since. Invalid UTF-8 in s becomes U+FFFD.
func (x *Text) InsertAt(tx *Transaction, v *TextVersion, index int, s string) error {
	_, err := x.insertAt(tx, v, index, s)
	return err
}

// insertAt is InsertAt, and returns the run of units it inserted.
func (x *Text) insertAt(tx *Transaction, v *TextVersion, index int, s string) (idRun, error) {
	if index < 0 || index > v.Len() {
		return idRun{}, fmt.Errorf("%w: insert at %d of a version of %d", ErrIndexOutOfRange, index, v.Len())
	}
	if s == "" {
		return idRun{}, nil
	}
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, replacementChar)
	}
	text := []byte(s)
	it := newIndexedItem()
	n, _ := utf16LenValid(text)
	if err := tx.checkClock(n); err != nil {
		return idRun{}, err
	}
	it.kind, it.text, it.length = kindString, text, n
	it.id = tx.nextID()
	it.parent = x.t
	if index > 0 {
		origin := v.idAt(index - 1)
		it.setOrigin(&origin)
	}
	if index < v.Len() {
		right := v.idAt(index)
		it.setRightOrigin(&right)
	}
	// The anchors were integrated when v was taken, so nothing is missing: this resolves left
	// and right (splitting items as needed), then YATA orders the item among concurrent ones.
	if _, isMissing, ok := tx.missing(it); isMissing || !ok {
		return idRun{}, fmt.Errorf("crdt: version anchors of insert at %d are not in the document", index)
	}
	if it.parent != x.t {
		return idRun{}, fmt.Errorf("crdt: version does not belong to this text")
	}
	tx.integrate(it, 0)
	return idRun{id: it.id, n: n}, nil
}

// DeleteAt deletes the units [index, index+length) of version v that are still in the text;
// those others deleted already stay deleted and nothing else is touched.
func (x *Text) DeleteAt(tx *Transaction, v *TextVersion, index, length int) error {
	if index < 0 || length < 0 || index+length > v.Len() {
		return fmt.Errorf("%w: delete %d at %d of a version of %d", ErrIndexOutOfRange, length, index, v.Len())
	}
	v.eachRun(index, length, func(r idRun) { tx.deleteRange(r.id.Client, r.id.Clock, r.id.Clock+uint64(r.n)) })
	return nil
}

// eachRun calls fn for each run of consecutive identities among the units [index,
// index+length) of the version, in order; the runs' offsets are left zero.
func (v *TextVersion) eachRun(index, length int, fn func(idRun)) {
	end := index + length
	k := sort.Search(len(v.runs), func(k int) bool { return v.runs[k].off+v.runs[k].n > index })
	for ; k < len(v.runs) && v.runs[k].off < end; k++ {
		r := v.runs[k]
		from := max(index, r.off) - r.off
		to := min(end, r.off+r.n) - r.off
		fn(idRun{id: ID{r.id.Client, r.id.Clock + uint64(from)}, n: to - from})
	}
}

// EachID calls fn for each run of units with consecutive identities among the units [from, to)
// of the version: their client, first clock and count.
func (v *TextVersion) EachID(from, to int, fn func(client, clock uint64, n int)) {
	from, to = max(from, 0), min(to, v.Len())
	if from < to {
		v.eachRun(from, to-from, func(r idRun) { fn(r.id.Client, r.id.Clock, r.n) })
	}
}

// EditOp is the kind of a VersionEdit.
type EditOp int8

// The kinds of VersionEdit.
const (
	EditKeep   EditOp = iota
	EditDelete        // delete from the text
	EditInsert
	EditOmit // leave out of the edited text's version, but not delete from the text
)

// VersionEdit is one step of a diff from a version's text to another: keep, delete or omit
// the next Text of the version, or insert Text.
type VersionEdit struct {
	Op   EditOp
	Text string
}

// Edit applies edits, a diff from v's text to a text made of it, to the text as a peer at v
// would (see InsertAt and DeleteAt), and returns the edited text's version: the units of v it
// kept and those it inserted, in order. Keep and delete steps must hold v's text.
func (x *Text) Edit(tx *Transaction, v *TextVersion, edits []VersionEdit) (*TextVersion, error) {
	var b strings.Builder
	out := &TextVersion{}
	pos := 0
	for _, e := range edits {
		n := utf16x.Len(e.Text)
		switch e.Op {
		case EditKeep:
			if pos+n > v.Len() {
				return nil, fmt.Errorf("%w: keep %d at %d of a version of %d", ErrIndexOutOfRange, n, pos, v.Len())
			}
			v.eachRun(pos, n, out.appendRun)
			pos += n
		case EditDelete:
			if err := x.DeleteAt(tx, v, pos, n); err != nil {
				return nil, err
			}
			pos += n
			continue
		case EditOmit:
			if pos+n > v.Len() {
				return nil, fmt.Errorf("%w: omit %d at %d of a version of %d", ErrIndexOutOfRange, n, pos, v.Len())
			}
			pos += n
			continue
		case EditInsert:
			r, err := x.insertAt(tx, v, pos, e.Text)
			if err != nil {
				return nil, err
			}
			out.appendRun(r)
		}
		b.WriteString(e.Text)
	}
	out.text = b.String()
	return out, nil
}

// appendRun appends a run of units to the version's identities (not its text).
func (v *TextVersion) appendRun(r idRun) {
	if r.n == 0 {
		return
	}
	r.off = v.Len()
	if k := len(v.runs) - 1; k >= 0 && v.runs[k].id.Client == r.id.Client && v.runs[k].id.Clock+uint64(v.runs[k].n) == r.id.Clock {
		v.runs[k].n += r.n
		return
	}
	v.runs = append(v.runs, r)
}

// Same reports whether two versions are the same units, so the same text.
func (v *TextVersion) Same(w *TextVersion) bool {
	return v.text == w.text && slices.Equal(v.runs, w.runs)
}
