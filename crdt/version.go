package crdt

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"
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
	off := 0
	for n := x.t.start; n != nil; n = n.right {
		if n.kind != kindString || n.deleted() {
			continue
		}
		b.Write(n.text)
		if k := len(v.runs) - 1; k >= 0 && v.runs[k].id.Client == n.id.Client && v.runs[k].id.Clock+uint64(v.runs[k].n) == n.id.Clock {
			v.runs[k].n += n.length
		} else {
			v.runs = append(v.runs, idRun{id: n.id, off: off, n: n.length})
		}
		off += n.length
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
	if index < 0 || index > v.Len() {
		return fmt.Errorf("%w: insert at %d of a version of %d", ErrIndexOutOfRange, index, v.Len())
	}
	if s == "" {
		return nil
	}
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, replacementChar)
	}
	text := []byte(s)
	it := newIndexedItem()
	n, _ := utf16LenValid(text)
	if err := tx.checkClock(n); err != nil {
		return err
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
		return fmt.Errorf("crdt: version anchors of insert at %d are not in the document", index)
	}
	if it.parent != x.t {
		return fmt.Errorf("crdt: version does not belong to this text")
	}
	tx.integrate(it, 0)
	return nil
}

// DeleteAt deletes the units [index, index+length) of version v that are still in the text;
// those others deleted already stay deleted and nothing else is touched.
func (x *Text) DeleteAt(tx *Transaction, v *TextVersion, index, length int) error {
	if index < 0 || length < 0 || index+length > v.Len() {
		return fmt.Errorf("%w: delete %d at %d of a version of %d", ErrIndexOutOfRange, length, index, v.Len())
	}
	end := index + length
	k := sort.Search(len(v.runs), func(k int) bool { return v.runs[k].off+v.runs[k].n > index })
	for ; k < len(v.runs) && v.runs[k].off < end; k++ {
		r := v.runs[k]
		from := max(index, r.off) - r.off
		to := min(end, r.off+r.n) - r.off
		tx.deleteRange(r.id.Client, r.id.Clock+uint64(from), r.id.Clock+uint64(to))
	}
	return nil
}
