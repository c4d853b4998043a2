package crdt

import (
	"index/suffixarray"
	"math"
	"slices"
	"strings"
)

// TextHistory follows a Text for one client that only sees and sends the whole text as a
// string (the seed's JSON protocol), and merges each text the client sends without deleting
// what the client had not been sent, however late the text arrives.
//
// Such a client edits whatever it last had: a version it was sent, or the text it sent last,
// and the server cannot tell which, since versions cross the client's texts on the wire. The
// history records every version sent (Record) and, per unit of the text, which versions held
// it; deleted units stay, with their text, while a version the client may still be editing
// held them. Merge picks the state the client most likely edited: the groups of units
// inserted in one version vote, by whether the client's text holds the group where it was,
// between the text around it (see vote), and among the states they contradict least, the one
// whose text is nearest the client's wins. Merge then diffs the client's text against that
// state and applies the diff as a Yjs peer at that state would: only units of that state are
// deleted, so text others wrote meanwhile survives, and text others deleted that the client
// still shows stays deleted instead of coming back.
//
// The choice can be wrong where the client's text holds, by coincidence, what another user
// typed at the same place (the same letter typed twice where one was deleted meanwhile). It
// then misses or doubles a character or two; TestHistoryLateClientKeepsOthersText measures
// how often on text typed one random letter at a time.
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

// Differ diffs texts for Merge.
type Differ interface {
	// Diff returns the edits that turn a into b, in order.
	Diff(a, b string) []Edit
	// DiffLines returns edits that turn a into b whole lines at a time: what Merge compares
	// candidates by, cheaper than Diff and blind to letters two unrelated lines share.
	DiffLines(a, b string) []Edit
}

// Merge merges code, the whole text the client sent, into the text: against the state the
// client most likely edited, as described on TextHistory.
func (h *TextHistory) Merge(tx *Transaction, code string, diff Differ) error {
	h.sync(0)
	base := h.chooseBase(code, diff)
	view := h.view(base.holds)
	own, err := applyEdits(tx, h.text, view, diff.Diff(view.text, code))
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
	votes := union.vote(code, lo, h.had)
	ranges, score := votes.fewest(lo, h.latest)
	if withOwn && votes.againstOwn < score {
		return state{0}
	}
	// The versions of a range differ by groups that did not vote (their surroundings changed
	// too) and ranges apart by groups that died since: the version nearest code wins, the
	// oldest of equals (the client is then known to have had no more than it). Nearest is
	// what the client would have deleted from it, then what it would have inserted, in whole
	// lines: a client mostly types, so a state holding text code lacks (a
	// newer version, or the client's own text with a line it sent before) is further than one
	// that lacks text code holds (an older version). The client's own text, as contradicted
	// as they are, wins if it is nearer: of equals, a version tells more of what the client has.
	cost := memo(func(v int) editCost { return costOf(diff.DiffLines(h.view(state{v}.holds).text, code)) })
	nearer := func(a, b int) bool { return cost(a).less(cost(b)) }
	best := 0
	for _, r := range ranges {
		if version := nearest(r[0], r[1], nearer); best == 0 || nearer(version, best) {
			best = version
		}
	}
	if withOwn && votes.againstOwn == score && nearer(0, best) {
		return state{0}
	}
	return state{best}
}

// memo returns f, computing each of its results once.
func memo(f func(int) editCost) func(int) editCost {
	results := map[int]editCost{}
	return func(v int) editCost {
		c, ok := results[v]
		if !ok {
			c = f(v)
			results[v] = c
		}
		return c
	}
}

// maxScan bounds the versions nearest measures in one pass.
const maxScan = 16

// nearest returns the version in [from, to] nearer than the others, the oldest of equals. It
// compares each version of a short range; of a long one, maxScan versions spread over it,
// then the stretch around the nearest of those, and so on (the distance mostly grows with
// the number of edits between a version and the base, but not always).
func nearest(from, to int, nearer func(a, b int) bool) int {
	for {
		stride := max(1, (to-from+1)/maxScan)
		best := from
		for v := from; v <= to; v += stride {
			if nearer(v, best) {
				best = v
			}
		}
		if stride == 1 {
			return best
		}
		from, to = max(from, best-stride), min(to, best+stride)
	}
}

// editCost is what a diff deletes and inserts, in bytes.
type editCost struct{ deleted, inserted int }

// minKeep is the shortest stretch a diff keeps between edits that costOf takes as kept: a
// diff of unrelated texts keeps scattered letters they share, which no client kept.
const minKeep = 3

// costOf returns what edits delete and insert, counting a stretch shorter than minKeep that
// they keep beside an edit as deleted and inserted again.
func costOf(edits []Edit) editCost {
	var c editCost
	for _, e := range edits {
		switch {
		case e.Op == EditDelete:
			c.deleted += len(e.Text)
		case e.Op == EditInsert:
			c.inserted += len(e.Text)
		case len(e.Text) < minKeep && len(edits) > 1:
			c.deleted += len(e.Text)
			c.inserted += len(e.Text)
		}
	}
	return c
}

// less orders costs by deletions, then insertions.
func (c editCost) less(d editCost) bool {
	return c.deleted < d.deleted || c.deleted == d.deleted && c.inserted < d.inserted
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

// contextLen is how much text on either side of a group vote looks for in the client's text;
// minContext is the least it looks for at all (a line break and a letter are everywhere).
const (
	contextLen = 32
	minContext = 8
)

// vote counts the contradictions of each candidate by the groups of units inserted in one
// version that the same versions held (runs of the view alike in segment lifetimes and
// ownership). Whether code holds a group is read from the text around it in a version that
// held it: code holds the group if it holds, once, the text before the group followed by the
// group; it lacks the group if it holds, once, the text before followed at once by the text
// after. Code may hold another unit's character where the group's would be (an "s" typed
// before "stn", an "h" typed beside an "h" that is deleted later): the text after the group
// in the view, every unit's, is taken along as far as it tells them apart, and a group whose
// first character the unit before it in the view, one the version did not hold, ends with
// does not count as held. (The text after the group alone would not do: a group that ends
// as the text before it does, an "i" typed after "tri", would be found in place of that
// text.) Then:
//   - a group code holds contradicts the versions that did not hold it and, unless its units
//     are the client's own, the client's own text (which does not hold them);
//   - a group code lacks that the client was not known to have (born after had) contradicts
//     the versions that held it (not the client's own text: the client may have deleted it).
//
// A group code holds and lacks, or neither, says nothing: its surroundings changed, or are too
// common in code to place it.
func (v *historyView) vote(code string, lo, had int) *votes {
	index := suffixarray.New([]byte(textEdge + code + textEdge))
	once := func(parts ...string) bool {
		s := strings.Join(parts, "")
		return len(s) >= minContext && len(index.Lookup([]byte(s), 2)) == 1
	}
	result := &votes{deltas: map[int]int{}}
	for i := 0; i < len(v.runs); {
		seg, own := v.segs[i], v.own[i]
		j := i + 1
		for j < len(v.runs) && v.own[j] == own && v.segs[j].born == seg.born && v.segs[j].died == seg.died {
			j++
		}
		at := max(seg.born, lo) // a candidate version that held the group
		if seg.born == unrecorded || at >= seg.died {
			i = j
			continue
		}
		group := v.text[v.bytes[i]:v.end(j-1)]
		before, after := v.context(i, at, -1), v.context(j-1, at, 1)
		holds := !v.slidesLeft(i, at) && once(before, distinct(group, v.context(j-1, anyVersion, 1)))
		lacks := !strings.HasPrefix(group+after, after) && once(before, after)
		switch {
		case holds && !lacks:
			result.against(0, seg.born)
			result.against(seg.died, unrecorded)
			if !own {
				result.againstOwn++
			}
		case lacks && !holds && seg.born > had:
			result.against(seg.born, seg.died)
		}
		i = j
	}
	return result
}

// slidesLeft reports whether the unit before run i is one version did not hold and whose
// text ends as run i begins: code may hold that unit's character where the run's would be.
func (v *historyView) slidesLeft(i, version int) bool {
	if i == 0 {
		return false
	}
	seg := v.segs[i-1]
	return (seg.born > version || version >= seg.died) && v.text[v.bytes[i]-1] == v.text[v.bytes[i]]
}

// distinct returns group followed by as much of after as it takes to tell it from after alone
// ("ss" for an "s" typed before "stn"), or what no text holds if after does not suffice.
func distinct(group, after string) string {
	joined := group + after
	same := 0
	for same < len(after) && joined[same] == after[same] {
		same++
	}
	if same == len(after) {
		return textEdge + textEdge
	}
	return joined[:max(len(group), same+1)]
}

// end returns where the text of run i ends in the view's.
func (v *historyView) end(i int) int {
	if i+1 < len(v.runs) {
		return v.bytes[i+1]
	}
	return len(v.text)
}

// textEdge stands for the start and the end of the text in contexts.
const textEdge = "\x00"

// anyVersion makes context take the text of every unit of the view.
const anyVersion = -1

// context returns the text that version held next to run i, before it with step -1, after
// it with step 1: up to contextLen bytes, and no further than the edge of the text, which it
// marks with textEdge, or than a line break, which it includes (other lines change at once
// when several people type).
func (v *historyView) context(i, version, step int) string {
	var b []byte
	k := i + step
	for ; k >= 0 && k < len(v.runs) && len(b) < contextLen; k += step {
		if seg := v.segs[k]; version != anyVersion && (seg.born > version || version >= seg.died) {
			continue
		}
		text := v.text[v.bytes[k]:v.end(k)]
		for t := range len(text) {
			c := text[t]
			if step < 0 {
				c = text[len(text)-1-t]
			}
			b = append(b, c)
			if len(b) == contextLen || c == '\n' {
				return oriented(b, step)
			}
		}
	}
	if k < 0 || k >= len(v.runs) {
		b = append(b, textEdge...)
	}
	return oriented(b, step)
}

// oriented returns the bytes context collected, in the text's order.
func oriented(b []byte, step int) string {
	if step < 0 {
		slices.Reverse(b)
	}
	return string(b)
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
