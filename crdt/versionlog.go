package crdt

import (
	"cmp"
	"slices"
	"sort"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// VersionLog is a sequence of versions of one text, oldest first, kept as the differences from
// each to the next, with the whole version every versionLogCheckpoint versions: a version sent
// to a client every 50 ms for a minute costs about the edits made meanwhile, not 1,200 copies
// of the text and its identities.
type VersionLog struct {
	first       int            // the number of the oldest version kept (versions are numbered from 0 as appended)
	head        *TextVersion   // the oldest version kept, nil while the log is empty
	checkpoints []checkpoint   // whole versions after head, oldest first
	deltas      []versionDelta // deltas[i] turns version first+i into first+i+1
	last        *TextVersion   // the newest version
	bytes       int            // the memory the versions take, about
}

type checkpoint struct {
	number int
	v      *TextVersion
}

// versionLogCheckpoint is how many versions apart the log keeps whole ones: rebuilding a
// version applies at most this many deltas.
const versionLogCheckpoint = 32

// versionDelta turns a version into the next: splices of it, in order.
type versionDelta []splice

// splice replaces the units [at, at+del) of a version, bytes [byteAt, byteAt+byteDel) of its
// text, by text, whose identities are runs.
type splice struct {
	at, del         int
	byteAt, byteDel int
	text            string
	runs            []idRun
}

// runBytes is about what one idRun takes in memory.
const runBytes = 32

func (v *TextVersion) bytes() int { return len(v.text) + runBytes*len(v.runs) }

func (d versionDelta) bytes() int {
	n := 24
	for _, s := range d {
		n += 80 + len(s.text) + runBytes*len(s.runs)
	}
	return n
}

// Len returns the number of versions the log holds.
func (l *VersionLog) Len() int {
	if l.head == nil {
		return 0
	}
	return len(l.deltas) + 1
}

// Bytes returns about how much memory the log's versions take.
func (l *VersionLog) Bytes() int { return l.bytes }

// Append appends v as the newest version.
func (l *VersionLog) Append(v *TextVersion) {
	if l.head == nil {
		l.head, l.last = v, v
		l.bytes = v.bytes()
		return
	}
	d := l.last.deltaTo(v)
	l.deltas = append(l.deltas, d)
	l.bytes += d.bytes()
	if number := l.first + len(l.deltas); number%versionLogCheckpoint == 0 {
		l.checkpoints = append(l.checkpoints, checkpoint{number, v})
		l.bytes += v.bytes()
	}
	l.last = v
}

// Version returns the version at index i (0 the oldest kept, Len()-1 the newest).
func (l *VersionLog) Version(i int) *TextVersion {
	if i == len(l.deltas) {
		return l.last
	}
	number, v := l.first, l.head
	for _, c := range l.checkpoints {
		if c.number > l.first+i {
			break
		}
		number, v = c.number, c.v
	}
	for ; number < l.first+i; number++ {
		v = v.apply(l.deltas[number-l.first])
	}
	return v
}

// Texts calls fn with the text of each version, oldest first. The bytes are valid only during
// the call.
func (l *VersionLog) Texts(fn func(i int, text []byte)) {
	if l.head == nil {
		return
	}
	text, next := []byte(l.head.text), []byte(nil)
	for i := 0; ; i++ {
		fn(i, text)
		if i == len(l.deltas) {
			return
		}
		next = l.deltas[i].applyText(next[:0], text)
		text, next = next, text
	}
}

// DropBefore forgets the versions before index i (all of them if i >= Len).
func (l *VersionLog) DropBefore(i int) {
	if i >= l.Len() {
		*l = VersionLog{first: l.first + l.Len()}
		return
	}
	if i <= 0 {
		return
	}
	l.head = l.Version(i)
	l.deltas = l.deltas[i:]
	l.first += i
	for len(l.checkpoints) > 0 && l.checkpoints[0].number <= l.first {
		l.checkpoints = l.checkpoints[1:]
	}
	l.bytes = l.head.bytes()
	for _, c := range l.checkpoints {
		l.bytes += c.v.bytes()
	}
	for i := range l.deltas {
		l.bytes += l.deltas[i].bytes()
	}
}

// deltaTo returns the delta that turns v into w: what they do not share, found by the
// units' identities, as one splice per place they differ, or a single one replacing all of v
// where identities do not tell (a surrogate pair another peer split keeps its identities and
// changes its text).
func (v *TextVersion) deltaTo(w *TextVersion) versionDelta {
	// Only a split surrogate pair (a U+FFFD in a text) has identities that do not tell its
	// text; otherwise the splices need no check.
	if d := v.splices(w); d != nil && (!splitPair(v.text) && !splitPair(w.text) || v.apply(d).Same(w)) {
		return d
	}
	return versionDelta{{del: v.Len(), byteDel: len(v.text), text: w.text, runs: w.runs}}
}

// splices returns the splices that turn v into w, nil if the units they share are not in the
// same order or a splice would split a surrogate pair.
func (v *TextVersion) splices(w *TextVersion) versionDelta {
	inV, inW := v.idSet(), w.idSet()
	vs, ws := &runWalker{runs: v.runs}, &runWalker{runs: w.runs}
	vb, wb := &byteWalker{s: v.text}, &byteWalker{s: w.text}
	var d versionDelta
	for !vs.done() || !ws.done() {
		if !vs.done() && !ws.done() && vs.id() == ws.id() {
			n := min(vs.left(), ws.left())
			vs.advance(n)
			ws.advance(n)
			continue
		}
		sp := splice{at: vs.pos}
		wAt := ws.pos
		for {
			if !vs.done() && (ws.done() || vs.id() != ws.id()) && inW.absent(vs.id(), 1) == 1 {
				vs.advance(inW.absent(vs.id(), vs.left()))
			} else if !ws.done() && (vs.done() || vs.id() != ws.id()) && inV.absent(ws.id(), 1) == 1 {
				ws.advance(inV.absent(ws.id(), ws.left()))
			} else {
				break
			}
		}
		sp.del = vs.pos - sp.at
		if sp.del == 0 && ws.pos == wAt {
			return nil // shared units in another order
		}
		sp.byteAt, sp.byteDel = vb.to(sp.at), vb.to(vs.pos)
		from, to := wb.to(wAt), wb.to(ws.pos)
		if sp.byteAt < 0 || sp.byteDel < 0 || from < 0 || to < 0 {
			return nil
		}
		sp.byteDel -= sp.byteAt
		sp.text = w.text[from:to]
		var ins TextVersion
		w.eachRun(wAt, ws.pos-wAt, ins.appendRun)
		sp.runs = ins.runs
		d = append(d, sp)
	}
	return d
}

// splitPair reports whether text may hold half a surrogate pair (as U+FFFD).
func splitPair(text string) bool { return strings.Contains(text, replacementChar) }

// apply returns the version d turns v into.
func (v *TextVersion) apply(d versionDelta) *TextVersion {
	w := &TextVersion{text: string(d.applyText(nil, []byte(v.text)))}
	unit := 0
	for _, s := range d {
		v.eachRun(unit, s.at-unit, w.appendRun)
		for _, r := range s.runs {
			w.appendRun(r)
		}
		unit = s.at + s.del
	}
	v.eachRun(unit, v.Len()-unit, w.appendRun)
	return w
}

// applyText appends to dst the text d turns text into.
func (d versionDelta) applyText(dst, text []byte) []byte {
	at := 0
	for _, s := range d {
		dst = append(dst, text[at:s.byteAt]...)
		dst = append(dst, s.text...)
		at = s.byteAt + s.byteDel
	}
	return append(dst, text[at:]...)
}

// runWalker walks the units of a version run by run.
type runWalker struct {
	runs []idRun
	k    int // the run
	in   int // units into it
	pos  int // units from the start
}

func (x *runWalker) done() bool { return x.k == len(x.runs) }
func (x *runWalker) left() int  { return x.runs[x.k].n - x.in }
func (x *runWalker) id() ID {
	r := x.runs[x.k]
	return ID{r.id.Client, r.id.Clock + uint64(x.in)}
}

// advance moves n units on, n at most left().
func (x *runWalker) advance(n int) {
	x.in += n
	x.pos += n
	if x.in == x.runs[x.k].n {
		x.k, x.in = x.k+1, 0
	}
}

// byteWalker converts increasing UTF-16 offsets into a text to byte offsets.
type byteWalker struct {
	s          string
	unit, byte int
}

// to returns the byte offset of UTF-16 offset unit, -1 if it is within a surrogate pair.
func (x *byteWalker) to(unit int) int {
	for x.unit < unit && x.byte < len(x.s) {
		if x.unit+8 <= unit && x.byte+8 <= len(x.s) && asciiEight(x.s[x.byte:x.byte+8]) {
			x.unit, x.byte = x.unit+8, x.byte+8
			continue
		}
		r, size := utf8.DecodeRuneInString(x.s[x.byte:])
		x.unit += utf16.RuneLen(r)
		x.byte += size
	}
	if x.unit != unit {
		return -1
	}
	return x.byte
}

// asciiEight reports whether the eight bytes of s are ASCII.
func asciiEight(s string) bool {
	return (s[0]|s[1]|s[2]|s[3]|s[4]|s[5]|s[6]|s[7])&0x80 == 0
}

// idSet is the identities of a version's units, by client, as sorted clock ranges.
type idSet map[uint64][]idRun

func (v *TextVersion) idSet() idSet {
	set := idSet{}
	for _, r := range v.runs {
		set[r.id.Client] = append(set[r.id.Client], r)
	}
	for _, runs := range set {
		slices.SortFunc(runs, func(a, b idRun) int { return cmp.Compare(a.id.Clock, b.id.Clock) })
	}
	return set
}

// absent returns how many of the n units from id on, with consecutive clocks, the set lacks
// before one it holds.
// Changes returns what changed from v to w, two versions of one Text: how many UTF-16 units w
// holds that v does not (added), and v holds that w does not (removed), by identity: text
// deleted and typed again counts as both.
func (v *TextVersion) Changes(w *TextVersion) (added, removed int) {
	return w.unitsNotIn(v.idSet()), v.unitsNotIn(w.idSet())
}

// Lacking calls fn with each stretch of v's units in spans (ranges [from, to) of UTF-16
// offsets in v, in order and apart) that w does not hold, in order: text that v shows and w
// does not, typed after w or deleted before it.
func (v *TextVersion) Lacking(w *TextVersion, spans [][2]int, fn func(from, to int)) {
	set := w.idSet()
	for _, span := range spans {
		from, to := max(span[0], 0), min(span[1], v.Len())
		if from >= to {
			continue
		}
		start, off := -1, from // of the stretch w lacks so far; of the next unit
		v.eachRun(from, to-from, func(r idRun) {
			for id, left := r.id, r.n; left > 0; {
				step := set.absent(id, left)
				switch {
				case step > 0 && start < 0:
					start = off
				case step == 0:
					step = set.present(id, left)
					if start >= 0 {
						fn(start, off)
						start = -1
					}
				}
				id.Clock += uint64(step)
				off += step
				left -= step
			}
		})
		if start >= 0 {
			fn(start, to)
		}
	}
}

// unitsNotIn returns how many of v's units s does not hold.
func (v *TextVersion) unitsNotIn(s idSet) int {
	n := 0
	for _, r := range v.runs {
		for id, left := r.id, r.n; left > 0; {
			step := s.absent(id, left)
			if step > 0 {
				n += step
			} else {
				step = s.present(id, left)
			}
			id.Clock += uint64(step)
			left -= step
		}
	}
	return n
}

// present returns how many of the n units from id s holds, id's among them.
func (s idSet) present(id ID, n int) int {
	runs := s[id.Client]
	k := sort.Search(len(runs), func(k int) bool { return runs[k].id.Clock+uint64(runs[k].n) > id.Clock })
	return min(n, int(runs[k].id.Clock+uint64(runs[k].n)-id.Clock))
}

func (s idSet) absent(id ID, n int) int {
	runs := s[id.Client]
	k := sort.Search(len(runs), func(k int) bool { return runs[k].id.Clock+uint64(runs[k].n) > id.Clock })
	if k == len(runs) {
		return n
	}
	if runs[k].id.Clock <= id.Clock {
		return 0
	}
	return min(n, int(runs[k].id.Clock-id.Clock))
}
