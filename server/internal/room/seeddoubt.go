package room

import (
	"slices"
	"unicode/utf16"

	"github.com/pairpad/pairpad/crdt"
	"github.com/pairpad/pairpad/internal/utf16x"
)

// A code's base is a guess (seedBase): other candidates may be nearly as likely. When the code
// lacks text of others that the chosen base holds, and a candidate nearly as near lacks that
// text too, the client may never have had it: the code is then no sign that the client
// deleted it, and the text is kept (omitted from the client's version, not deleted). What the
// client deleted of its own text is deleted; so is others' text that every such candidate
// holds. So when the base is in doubt, a deletion of others' text may take a second try, and
// nothing another typed is lost to a guess.

// seedAlternatives is the most candidates, nearest first, whose text a deletion is checked
// against, seedAlternativeBytes the most bytes of text of them all: checking costs building
// each candidate's version and a sort of its identities, on the room's goroutine. Past either,
// the nearer are checked.
const (
	seedAlternatives     = 4
	seedAlternativeBytes = 1 << 18
)

// alternatives returns the indices of the candidates other than chosen that the code may as
// well be based on: at most twice as far from it as chosen (plus seedGram bytes), or near
// enough to be compared again by a diff but not compared for time (nearest's bound, which a
// busy machine reaches sooner), nearest first, within seedAlternatives and
// seedAlternativeBytes.
func alternatives(all []candidate, chosen candidate) []int {
	var near []candidate
	for _, c := range all {
		if c.index != chosen.index && (c.dist <= 2*chosen.dist+seedGram || c.unrefined) {
			near = append(near, c)
		}
	}
	slices.SortStableFunc(near, func(a, c candidate) int { return a.dist - c.dist })
	var indices []int
	total := 0
	for _, c := range near[:min(len(near), seedAlternatives)] {
		if total += c.size; total > seedAlternativeBytes {
			break
		}
		indices = append(indices, c.index)
	}
	return indices
}

// keepDoubtful turns into omissions the deletions, among edits of the choice's base, of
// others' text that one of the choice's alternatives lacks.
func (c baseChoice) keepDoubtful(edits []crdt.VersionEdit) []crdt.VersionEdit {
	if len(c.alternatives) == 0 {
		return edits
	}
	var deleted [][2]int // the units of the base the edits delete
	pos := 0
	for _, e := range edits {
		n := utf16x.Len(e.Text)
		if e.Op == crdt.EditDelete {
			deleted = append(deleted, [2]int{pos, pos + n})
		}
		if e.Op != crdt.EditInsert {
			pos += n
		}
	}
	doubtful := c.doubtful(deleted)
	if len(doubtful) == 0 {
		return edits
	}
	out := make([]crdt.VersionEdit, 0, len(edits)+2*len(doubtful))
	pos = 0
	for _, e := range edits {
		n := utf16x.Len(e.Text)
		switch e.Op {
		case crdt.EditDelete:
			out = appendDeletion(out, e.Text, pos, doubtful)
		default:
			out = append(out, e)
		}
		if e.Op != crdt.EditInsert {
			pos += n
		}
	}
	return out
}

// doubtful returns the units of spans of the base that hold others' text one of the
// alternatives lacks, as sorted disjoint spans.
func (c baseChoice) doubtful(spans [][2]int) [][2]int {
	var others [][2]int
	for _, span := range spans {
		off := span[0]
		c.base.EachID(span[0], span[1], func(client, clock uint64, n int) {
			if client != ServerClientID || !c.bases.mine.holds(clock, uint64(n)) {
				others = append(others, [2]int{off, off + n})
			}
			off += n
		})
	}
	if len(others) == 0 {
		return nil // the client deleted only its own text (or nothing)
	}
	others = mergeSpans(others)
	var lacked [][2]int
	for _, index := range c.alternatives {
		c.base.Lacking(c.bases.version(index), others, func(from, to int) { lacked = append(lacked, [2]int{from, to}) })
	}
	return mergeSpans(lacked)
}

// mergeSpans sorts spans and merges those that overlap or touch.
func mergeSpans(spans [][2]int) [][2]int {
	slices.SortFunc(spans, func(a, b [2]int) int { return a[0] - b[0] })
	var out [][2]int
	for _, s := range spans {
		if n := len(out); n > 0 && s[0] <= out[n-1][1] {
			out[n-1][1] = max(out[n-1][1], s[1])
			continue
		}
		out = append(out, s)
	}
	return out
}

// appendDeletion appends the deletion of text, the base's units from pos on, to edits: as
// omissions where doubtful spans hold its units (a character by its first unit), else as
// deletions.
func appendDeletion(edits []crdt.VersionEdit, text string, pos int, doubtful [][2]int) []crdt.VersionEdit {
	k := 0 // the first doubtful span that does not end before the unit at pos
	start := 0
	op := crdt.EditOp(-1)
	for i, r := range text {
		for k < len(doubtful) && doubtful[k][1] <= pos {
			k++
		}
		next := crdt.EditDelete
		if k < len(doubtful) && doubtful[k][0] <= pos {
			next = crdt.EditOmit
		}
		if next != op && i > 0 {
			edits = append(edits, crdt.VersionEdit{Op: op, Text: text[start:i]})
			start = i
		}
		op = next
		pos += utf16.RuneLen(r)
	}
	if start < len(text) {
		edits = append(edits, crdt.VersionEdit{Op: op, Text: text[start:]})
	}
	return edits
}
