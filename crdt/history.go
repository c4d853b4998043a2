package crdt

import (
	"math"
	"slices"
	"strings"
)

// TextHistory follows a Text for one client that only sees and sends the whole text as a
// string (the seed's JSON protocol), and merges each text the client sends without deleting
// anything the client had not been sent, however late the text arrives.
//
// Such a client edits whatever it last had: a version it was sent, or the text it sent last,
// and the server cannot tell which, since versions cross the client's texts on the wire. The
// history records every version sent (Record) and, per unit of the text, the versions that
// held it: units that were deleted stay, with their text, while a version the client may still
// be editing held them. Merge then picks the state the client most likely edited: it diffs the
// text against all candidate states at once and lets the runs of units others inserted vote
// (a run the text holds whole says its version was received; one it lacks whole says its
// version was not), then diffs the text against the winning state and applies that diff as a
// Yjs peer at that state would. Only units of that state can be deleted, so text others wrote
// in versions the client never had survives, and text others deleted that the client still
// shows stays deleted instead of coming back.
//
// Where the vote is wrong, a coincidence is to blame: the client typed, at the same place, the
// very run another user inserted. Then units of a version newer than the client's may be
// deleted; Merge ignores runs the text holds only in part to make that rare.
type TextHistory struct {
	text *Text
	// segs are every unit of the text now and the deleted units a candidate state holds,
	// in document order.
	segs []historySeg
	// latest is the number of the newest version recorded (0: none); versions are 1, 2, ...
	latest int
	// had is the newest version the client is known to have had when it last sent a text.
	had int
	// own is the units of the text the client last sent, nil before it sent any.
	own DeleteSet
	// maxDead bounds the bytes of deleted text kept; past it the oldest is forgotten.
	maxDead int
}

// unrecorded is the born of units no version held yet, and the died of units still in the
// newest version.
const unrecorded = math.MaxInt

// historySeg is a run of units of one client with consecutive clocks, adjacent in the
// document, that the same versions held.
type historySeg struct {
	id   ID
	n    int    // UTF-16 units
	text []byte // their text: for units in the document, a slice of its item's
	// born is the first version that held the units, died the first after it that did not.
	born, died int
	dead       bool // deleted from the document
}

// NewTextHistory returns the history of a client of x that was sent nothing yet. It keeps at
// most maxDead bytes of deleted text (at least 1 MiB is sensible for texts of that size): text
// a late client still shows that was deleted longer ago than that is taken as new.
func NewTextHistory(x *Text, maxDead int) *TextHistory {
	h := &TextHistory{text: x, maxDead: maxDead}
	h.sync(0)
	return h
}

// Record records the text as it is now as the next version sent to the client, and returns
// its number.
func (h *TextHistory) Record() int {
	h.latest++
	h.sync(h.latest)
	return h.latest
}

// EditOp is the kind of an Edit.
type EditOp int8

// The kinds of edits of a diff.
const (
	EditKeep EditOp = iota
	EditDelete
	EditInsert
)

// Edit is one step of a diff from one string to another: keep or delete Text of the first, or
// insert Text.
type Edit struct {
	Op   EditOp
	Text string
}

// Differ returns the edits that turn a into b, in order.
type Differ func(a, b string) []Edit

// Merge merges code, the whole text the client sent, into the text: against the state the
// client most likely edited, as described on TextHistory.
func (h *TextHistory) Merge(tx *Transaction, code string, diff Differ) error {
	h.sync(0)
	base := h.chooseBase(code, diff)
	view := h.view(base.holds)
	own, err := applyEdits(tx, h.text, view, diff(view.text, code))
	if err != nil {
		return err
	}
	if base.version > h.had {
		h.had = base.version
	}
	h.own = own
	h.sync(0) // the units inserted join while they are in the document
	return nil
}

// candidates are the states the client's next text may be based on: the versions from lo to
// the latest, and the text it sent last if it sent one.
func (h *TextHistory) candidates() (lo int, withOwn bool) {
	if h.own != nil {
		// After sending, the client has its own text until it receives a newer version.
		return h.had + 1, true
	}
	return max(h.had, 1), false
}

// state is one candidate: a version, or the client's own text (version 0).
type state struct{ version int }

// holds reports whether the state holds units of seg, given whether they are among the
// client's own.
func (s state) holds(seg *historySeg, own bool) bool {
	if s.version == 0 {
		return own
	}
	return seg.born <= s.version && s.version < seg.died
}

// chooseBase returns the candidate state code was most likely edited from: the one the runs
// of units the candidates differ by contradict least (see vote), and of equals the nearest to
// code.
func (h *TextHistory) chooseBase(code string, diff Differ) state {
	lo, withOwn := h.candidates()
	if lo > h.latest {
		return state{0} // the own text, or nothing at all
	}
	if !withOwn && lo == h.latest {
		return state{lo}
	}
	union := h.view(func(seg *historySeg, own bool) bool {
		return own || (seg.born != unrecorded && seg.died > lo)
	})
	votes := union.vote(diff(union.text, code), h.had)
	ranges, score := votes.fewest(lo, h.latest)
	if withOwn && votes.againstOwn < score {
		return state{0}
	}
	// The versions of a range differ by groups that did not vote, such as an "s" typed
	// beside an "s", and ranges apart by groups that died since: the version whose text is
	// nearest code wins, the oldest of equals. Within a range the distance falls to the
	// base's version and rises after it. The client's own text, as contradicted as they are,
	// wins if it is as near.
	distance := func(s state) int { return editDistance(diff(h.view(s.holds).text, code)) }
	best, bestDistance := state{0}, -1
	for _, r := range ranges {
		from, to := r[0], r[1]
		for from < to {
			mid := from + (to-from)/2
			if distance(state{mid + 1}) < distance(state{mid}) {
				from = mid + 1
			} else {
				to = mid
			}
		}
		if d := distance(state{from}); bestDistance < 0 || d < bestDistance {
			best, bestDistance = state{from}, d
		}
	}
	if withOwn && votes.againstOwn == score && distance(state{0}) <= bestDistance {
		return state{0}
	}
	return best
}

// editDistance returns the bytes a diff inserts and deletes.
func editDistance(edits []Edit) int {
	n := 0
	for _, e := range edits {
		if e.Op != EditKeep {
			n += len(e.Text)
		}
	}
	return n
}

// votes counts, for each candidate version, the runs of units that contradict it, and the
// runs that contradict the client's own text.
type votes struct {
	deltas     map[int]int // changes of the count at versions, for every version from there on
	againstOwn int
}

// against counts one contradiction of the versions [from, to).
func (v *votes) against(from, to int) {
	if from < to {
		v.deltas[from]++
		v.deltas[to]--
	}
}

// maxRanges bounds the ranges of versions fewest returns.
const maxRanges = 4

// fewest returns the ranges of versions within [lo, hi] that have the fewest contradictions,
// oldest first (at most maxRanges, the newest), and their count.
func (v *votes) fewest(lo, hi int) (ranges [][2]int, score int) {
	points := []int{lo}
	count := 0
	for p, d := range v.deltas {
		if p <= lo {
			count += d
		} else if p <= hi {
			points = append(points, p)
		}
	}
	slices.Sort(points)
	for i, p := range points {
		if i > 0 {
			count += v.deltas[p]
		}
		end := hi
		if i+1 < len(points) {
			end = points[i+1] - 1
		}
		switch {
		case i == 0 || count < score:
			ranges, score = [][2]int{{p, end}}, count
		case count == score:
			if last := &ranges[len(ranges)-1]; last[1] == p-1 {
				last[1] = end
			} else {
				ranges = append(ranges, [2]int{p, end})
			}
		}
	}
	if len(ranges) > maxRanges {
		ranges = ranges[len(ranges)-maxRanges:]
	}
	return ranges, score
}

// historyView is some of the history's units as a TextVersion, run by run with the segment
// each run came from.
type historyView struct {
	*TextVersion
	segs  []*historySeg // per run
	own   []bool        // per run: the units are among the client's own
	bytes []int         // per run: where its text begins in the view's
}

// view returns the units for which include is true.
func (h *TextHistory) view(include func(seg *historySeg, own bool) bool) *historyView {
	v := &historyView{TextVersion: &TextVersion{}}
	var b strings.Builder
	off := 0
	for i := range h.segs {
		seg := &h.segs[i]
		h.own.cover(seg.id, seg.n, func(from, n int, own bool) {
			if !include(seg, own) {
				return
			}
			v.bytes = append(v.bytes, b.Len())
			b.Write(unitsText(seg.text, seg.n, from, from+n))
			v.runs = append(v.runs, idRun{id: ID{seg.id.Client, seg.id.Clock + uint64(from)}, off: off, n: n})
			v.segs = append(v.segs, seg)
			v.own = append(v.own, own)
			off += n
		})
	}
	v.text = b.String()
	return v
}

// vote walks edits of the view's text and counts the contradictions of each candidate, by
// groups of units inserted in one version that the same versions held (runs of the view
// alike in segment lifetimes and ownership):
//   - a group the edited text keeps whole contradicts the versions that did not hold it and,
//     unless its units are the client's own, the client's own text (which does not hold them);
//   - a group of others' units it drops whole that the client was not known to have (born
//     after had) contradicts the versions that held it.
//
// A group kept in part says nothing, nor does one a diff could as well have kept or dropped
// (see classify).
func (v *historyView) vote(edits []Edit, had int) *votes {
	kept, unsure := v.classify(edits)
	result := &votes{deltas: map[int]int{}}
	for i := 0; i < len(v.runs); {
		seg, own := v.segs[i], v.own[i]
		j := i + 1
		for j < len(v.runs) && v.own[j] == own && v.segs[j].born == seg.born && v.segs[j].died == seg.died {
			j++
		}
		from, to := v.bytes[i], len(v.text)
		if j < len(v.runs) {
			to = v.bytes[j]
		}
		switch {
		case seg.born == unrecorded || slices.Contains(unsure[from:to], true):
		case !slices.Contains(kept[from:to], false):
			result.against(0, seg.born)
			result.against(seg.died, unrecorded)
			if !own {
				result.againstOwn++
			}
		case !slices.Contains(kept[from:to], true) && !own && seg.born > had:
			result.against(seg.born, seg.died)
		}
		i = j
	}
	return result
}

// maxSlide bounds how far classify looks from a dropped byte for equal ones.
const maxSlide = 64

// classify returns, per byte of the view's text, whether edits keep it, and whether another
// diff as short could treat it otherwise: a dropped byte and the kept bytes equal to it that
// the diff could have dropped instead, those reached from it without passing a kept byte
// that differs (in "rqr" with "qr" dropped, "rq" could be dropped instead, so both "r" are
// unsure; so are all the "a" of "aaa" when one of them is dropped).
func (v *historyView) classify(edits []Edit) (kept, unsure []bool) {
	kept, unsure = make([]bool, len(v.text)), make([]bool, len(v.text))
	at := 0
	for _, e := range edits {
		switch e.Op {
		case EditKeep:
			for k := range len(e.Text) {
				kept[at+k] = true
			}
			at += len(e.Text)
		case EditDelete:
			at += len(e.Text)
		}
	}
	for y := range kept {
		if kept[y] {
			continue
		}
		for _, step := range []int{-1, 1} {
			for k, n := y+step, 0; k >= 0 && k < len(kept) && n < maxSlide; k, n = k+step, n+1 {
				if kept[k] && v.text[k] != v.text[y] {
					break
				}
				if kept[k] {
					unsure[k], unsure[y] = true, true
				}
			}
		}
	}
	return kept, unsure
}

// applyEdits applies edits of v's text to x as a peer at v would, and returns the units of
// the edited text: those kept and those inserted.
func applyEdits(tx *Transaction, x *Text, v *historyView, edits []Edit) (DeleteSet, error) {
	own := DeleteSet{}
	pos := 0
	for _, e := range edits {
		n := utf16Len(e.Text)
		switch e.Op {
		case EditKeep:
			v.eachID(pos, n, func(id ID, n int) { own.add(id.Client, id.Clock, uint64(n)) })
			pos += n
		case EditDelete:
			if err := x.DeleteAt(tx, v.TextVersion, pos, n); err != nil {
				return nil, err
			}
			pos += n
		case EditInsert:
			first := tx.nextID()
			if err := x.InsertAt(tx, v.TextVersion, pos, e.Text); err != nil {
				return nil, err
			}
			own.add(first.Client, first.Clock, tx.nextID().Clock-first.Clock)
		}
	}
	own.normalize()
	return own, nil
}

// utf16Len returns the length of s in UTF-16 units.
func utf16Len(s string) int {
	n, _ := utf16LenValid([]byte(s))
	return n
}

// sync brings the segments in line with the text. Units the text gained join, deleted ones
// are marked dead, and deleted units no candidate state holds are dropped. With version > 0,
// that version is recorded: units in the text that no version held get it as born, and dead
// units that a version held get it as died.
func (h *TextHistory) sync(version int) {
	old := h.segs
	segs := make([]historySeg, 0, len(old)+1)
	p, off := 0, 0 // the next old segment, and units of it passed
	for it := h.text.t.start; it != nil; it = it.right {
		clock, end := it.id.Clock, it.id.Clock+uint64(it.length)
		for clock < end {
			at := end // where the next old segment's units are in this item, if they are
			if p < len(old) && old[p].id.Client == it.id.Client {
				if c := old[p].id.Clock + uint64(off); c >= clock && c < end {
					at = c
				}
			}
			segs = appendUnseen(segs, it, clock, at, version)
			if at == end {
				break
			}
			n := min(old[p].n-off, int(end-at))
			segs = h.appendSeen(segs, &old[p], off, n, it, at, version)
			clock = at + uint64(n)
			if off += n; off == old[p].n {
				p, off = p+1, 0
			}
		}
	}
	h.segs = h.forget(segs)
}

// appendUnseen appends the units [from, to) of item it, which the history did not have, if
// they are text in the document.
func appendUnseen(segs []historySeg, it *item, from, to uint64, version int) []historySeg {
	if from == to || it.kind != kindString || it.deleted() {
		return segs
	}
	born := unrecorded
	if version > 0 {
		born = version
	}
	start := int(from - it.id.Clock)
	return append(segs, historySeg{
		id:   ID{it.id.Client, from},
		n:    int(to - from),
		text: unitsText(it.text, it.length, start, start+int(to-from)),
		born: born,
		died: unrecorded,
	})
}

// appendSeen appends the n units of old from off, which are at clock at of item it now.
func (h *TextHistory) appendSeen(segs []historySeg, old *historySeg, off, n int, it *item, at uint64, version int) []historySeg {
	seg := historySeg{id: ID{it.id.Client, at}, n: n, born: old.born, died: old.died}
	if it.kind == kindString && !it.deleted() {
		start := int(at - it.id.Clock)
		seg.text = unitsText(it.text, it.length, start, start+n)
		if seg.born == unrecorded && version > 0 {
			seg.born = version
		}
		return append(segs, seg)
	}
	seg.text, seg.dead = unitsText(old.text, old.n, off, off+n), true
	if seg.died == unrecorded && seg.born != unrecorded && version > 0 {
		seg.died = version
	}
	return append(segs, seg)
}

// forget drops the dead units no candidate state holds, then the oldest dead units past
// maxDead bytes; the client's own units stay.
func (h *TextHistory) forget(segs []historySeg) []historySeg {
	lo, _ := h.candidates()
	dead := 0
	keep := func(s *historySeg) bool {
		return !s.dead || (s.born != unrecorded && s.died > lo) || h.own.overlaps(s.id, s.n)
	}
	segs = slices.DeleteFunc(segs, func(s historySeg) bool { return !keep(&s) })
	for i := range segs {
		if segs[i].dead {
			dead += len(segs[i].text)
		}
	}
	if dead <= h.maxDead {
		return segs
	}
	// Forget the units that died first until the rest fit.
	type death struct{ died, bytes int }
	var deaths []death
	for _, s := range segs {
		if s.dead && !h.own.overlaps(s.id, s.n) {
			deaths = append(deaths, death{s.died, len(s.text)})
		}
	}
	slices.SortFunc(deaths, func(a, b death) int { return a.died - b.died })
	cut := 0
	for _, d := range deaths {
		if dead <= h.maxDead {
			break
		}
		dead -= d.bytes
		cut = d.died
	}
	return slices.DeleteFunc(segs, func(s historySeg) bool {
		return s.dead && s.died <= cut && !h.own.overlaps(s.id, s.n)
	})
}

// unitsText returns the UTF-8 text of the units [from, to) of s, a text of length units.
func unitsText(s []byte, length, from, to int) []byte {
	if from == 0 && to == length {
		return s
	}
	_, right := splitText(s, length, from)
	if to == length {
		return right
	}
	left, _ := splitText(right, length-from, to-from)
	return left
}

// cover calls fn for the pieces of the n units from id, in order, with whether the set
// holds them.
func (ds DeleteSet) cover(id ID, n int, fn func(off, n int, in bool)) {
	ranges := ds[id.Client]
	from, end := id.Clock, id.Clock+uint64(n)
	i, _ := slices.BinarySearchFunc(ranges, from, func(r DeleteRange, clock uint64) int {
		if r.Clock+r.Len <= clock {
			return -1
		}
		return 1
	})
	for ; from < end; i++ {
		if i >= len(ranges) || ranges[i].Clock >= end {
			fn(int(from-id.Clock), int(end-from), false)
			return
		}
		r := ranges[i]
		if r.Clock > from {
			fn(int(from-id.Clock), int(r.Clock-from), false)
			from = r.Clock
		}
		to := min(end, r.Clock+r.Len)
		fn(int(from-id.Clock), int(to-from), true)
		from = to
	}
}

// overlaps reports whether the set holds any of the n units from id.
func (ds DeleteSet) overlaps(id ID, n int) bool {
	found := false
	ds.cover(id, n, func(_, _ int, in bool) { found = found || in })
	return found
}
