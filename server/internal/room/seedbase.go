package room

import (
	"github.com/sergi/go-diff/diffmatchpatch"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/pairpad/pairpad/crdt"
	"github.com/pairpad/pairpad/internal/utf16x"
)

// A JSON client's code_update carries no version: the server finds the one the client edited
// among those it may have edited. Two facts narrow them down:
//   - a client edits what it last had: the code it sent last, or a code_update it received
//     since, and it receives them in the order they were sent;
//   - so once a client sent code based on a version, it never again edits that version or one
//     sent before it.
//
// seedBase keeps the candidates: the versions sent since the one the client's last code was
// based on, and that code itself as merged. Each code_update is based on the candidate it
// differs from least: the characters outside their common start and end (text added at both
// ends counts as kept), a scan rather than a diff; then, for the nearest few, what a diff of
// the middles inserts and deletes (nearest: moved text makes the first overstate). A seed app
// that types on its own code, one that answers each code_update however late, one whose codes
// cross new code_updates on the wire, and one that cuts and pastes all find their base this way.
// Of equals, breakTie prefers a candidate from which the
// code deletes only what its client typed, then one into which it inserts no text another holds
// as others', then the one it inserts least into, then the oldest.
//
// A code that shares less than half with the nearest candidate (a whole replacement), or
// differs from it in more than seedMoveSites places (edited all over), is based on the newest
// the client has likely received, so it replaces what the client last saw exactly. A
// code equal to the version the client's last code was based on undoes that code: it is based on
// that code. A code equal to the client's last code changes nothing, even when a version sent
// since makes it look like a deletion of what that version added: a client that sends its code
// again unchanged must not delete what others typed (so a client that received its own typing
// back late and deleted exactly that sees it come back).
//
// What a connection keeps is bounded: seedBaseBytes of memory, seedBaseScan bytes of text to
// compare a code with, seedBaseAge. A client that answers later than seedBaseAge is out of
// reach. Versions dropped for room that a client may still answer, given how late it answers
// (its lag), leave it in doubt: a code that no version kept but the oldest explains, or none
// does, may be based on one dropped. What such a code adds to the oldest version kept (or to the
// client's last code, when a keystroke or two from it) is inserted and nothing is deleted, so
// that nothing others typed is lost (what others deleted meanwhile and the code still holds
// comes back, the client's own deletions are dropped, and what it adds may land a little off).
type seedBase struct {
	maxBytes int
	sent     crdt.VersionLog   // versions sent the client's next code may be based on, oldest first
	sentAt   []time.Time       // when each was sent
	own      *crdt.TextVersion // the code the client sent last, as merged; nil before its first
	ownAt    time.Time
	ownBase  string        // the text of the version own was based on
	mine     clockRanges   // the clocks of what the client's codes inserted (the server's client id)
	lag      time.Duration // from sending the version the client's last code was based on to the code
	doubt    bool          // versions the client may answer were dropped for room
	refine   *refineBudget // nil: seedRefineTime for every code
}

// A JSON connection's codes may spend seedRefineRate a second in nearest's diffs, and
// seedRefineBurst at once; past that, seedRefineFloor a code. So a client whose codes are
// crafted to cost the whole seedRefineTime costs its room at most seedRefineRate a second,
// plus the floor for each code the message rate lets through.
const (
	seedRefineRate  = 50 * time.Millisecond
	seedRefineBurst = 200 * time.Millisecond
	seedRefineFloor = time.Millisecond
)

// refineBudget is the time a connection's codes may still spend in nearest's diffs. Its clock
// is the wall clock: it bounds what the room's goroutine spends.
type refineBudget struct {
	left time.Duration
	at   time.Time
}

func newRefineBudget() *refineBudget {
	return &refineBudget{left: seedRefineBurst, at: time.Now()}
}

// limit returns how long the next code's diffs may take.
func (r *refineBudget) limit() time.Duration {
	if r == nil {
		return seedRefineTime
	}
	now := time.Now()
	r.left = min(seedRefineBurst, r.left+time.Duration(float64(seedRefineRate)*now.Sub(r.at).Seconds()))
	r.at = now
	return min(seedRefineTime, max(seedRefineFloor, r.left))
}

// spent takes d from the budget.
func (r *refineBudget) spent(d time.Duration) {
	if r != nil {
		r.left -= d
	}
}

// seedBaseBytes bounds the memory a JSON connection keeps versions in, seedBaseScan the text
// of all versions kept (a code is compared with each), seedBaseAge how long one is kept. A
// version sent less than seedLag plus twice the client's lag ago, it may still answer.
const (
	seedBaseBytes = 4 << 20
	seedBaseScan  = 16 << 20
	seedBaseAge   = 2 * time.Minute
	seedLag       = time.Second
	// seedKeystrokes is the most bytes a code differs from the client's last code by when it
	// is typed on it, in doubt (a keystroke or two, in any script).
	seedKeystrokes = 16
)

// record records v as sent at now.
func (b *seedBase) record(v *crdt.TextVersion, now time.Time) {
	b.sent.Append(v)
	b.sentAt = append(b.sentAt, now)
	old := 0
	for old < len(b.sentAt)-1 && now.Sub(b.sentAt[old]) > seedBaseAge {
		old++
	}
	b.drop(old)
	for b.sent.Len() > 1 && (b.sent.Bytes() > b.maxBytes || b.sent.Len()*len(v.String()) > seedBaseScan) {
		n := b.sent.Len()/4 + 1
		if b.own == nil || now.Sub(b.sentAt[min(n, len(b.sentAt))-1]) < seedLag+2*b.lag {
			b.doubt = true // a client that sent no code yet may answer any version
		}
		b.drop(n)
	}
}

// drop forgets the sent versions before index i.
func (b *seedBase) drop(i int) {
	i = min(i, b.sent.Len())
	if i <= 0 {
		return
	}
	b.sent.DropBefore(i)
	b.sentAt = append(b.sentAt[:0], b.sentAt[i:]...)
}

// baseChoice is the version a code is based on, the sent versions it rules out, and whether
// the code may be based on a version forgotten.
type baseChoice struct {
	base        *crdt.TextVersion
	sentAt      time.Time // when the base was sent; zero for the client's own code
	drop        int       // the sent versions before this index
	maybeBefore bool
	whole       bool // the code replaces the base whole: no diff worth its cost
	// alternatives are the indices of the other candidates of bases the code may as well be
	// based on (keepDoubtful): their versions are built only when the code deletes others' text.
	alternatives []int
	bases        *seedBase
}

// candidate is a version a code may be based on, and how far the code is from it.
type candidate struct {
	index    int    // in sent, -1 for own
	cost     int    // bytes outside their common start and end, of both
	dist     int    // what choose compares (nearest)
	diffed   bool   // dist is by a diff
	sites    int    // how many places seedGram bytes apart the code differs from the candidate in (an estimate), by nearest
	mid      []byte // the candidate's text between the common start and end, if at most seedMiddle bytes
	kept     int    // bytes in their common start and end
	size     int    // of the candidate's text
	pre, suf int    // bytes of the common start and end
	// unrefined: near enough to be compared by a diff, it was not, for time (dist is cost,
	// which may overstate it)
	unrefined bool
}

// replaced reports whether the code shares too little with the candidate by their start and end
// to be an edit of it.
func (c candidate) replaced(code string) bool { return 2*c.kept < min(len(code), c.size) }

// replacement reports whether the code, which c's start and end say may replace it, shares too
// little with c wherever to be an edit of it: by the diff nearest made, or by sharesMost.
func (b *seedBase) replacement(code string, c candidate) bool {
	if c.diffed {
		equal := (len(code) + c.size - c.dist) / 2
		return 2*equal < min(len(code), c.size)
	}
	return !sharesMost(code, b.version(c.index).String())
}

// choose returns the version code, received at now, is most likely based on; nil if the
// client was sent nothing.
func (b *seedBase) choose(code string, now time.Time) baseChoice {
	all := b.candidates(code)
	if len(all) == 0 {
		return baseChoice{}
	}
	limit := b.refine.limit()
	start := time.Now()
	least := b.nearest(code, all, limit)
	b.refine.spent(time.Since(start))
	chosen := b.breakTie(code, all, least)
	far := chosen.replaced(code)
	whole := far && b.replacement(code, chosen)
	if whole || far && chosen.sites > seedMoveSites {
		// Replaced, or edited all over (a search and replace, a reformatting): what the
		// client last saw.
		chosen = b.newestReceived(all, now)
	}
	if chosen.cost == 0 && chosen.index >= 0 && b.own != nil && code == b.ownBase && code != b.own.String() {
		// The code is the version the client's last code was based on: the client undid
		// that code. (A client that only echoes what it receives sends a newer version.)
		chosen = all[slices.IndexFunc(all, func(c candidate) bool { return c.index < 0 })]
	}
	if b.doubt && b.sent.Len() > 0 && (chosen.index <= 0 || far && !whole) {
		// Maybe based on a version forgotten: only add what the code adds, to the client's
		// last code if it is a keystroke or two from it (a client typing on its own code),
		// else to the oldest version kept.
		if chosen.index < 0 && chosen.cost <= seedKeystrokes {
			return baseChoice{base: b.own, maybeBefore: true}
		}
		return baseChoice{base: b.sent.Version(0), sentAt: b.sentAt[0], maybeBefore: true}
	}
	c := baseChoice{base: b.own, whole: whole, bases: b}
	if chosen.index >= 0 {
		c.base, c.sentAt, c.drop = b.sent.Version(chosen.index), b.sentAt[chosen.index], chosen.index+1
	}
	if !whole {
		c.alternatives = alternatives(all, chosen)
	}
	return c
}

// seedGram is the length of the byte runs sharesMost and nearest compare, seedGrams the most
// runs of a text they keep: beyond that they sample them. seedMiddle is the longest middle of a
// candidate nearest diffs; seedRefineBytes and seedRefineTime bound what it compares in all.
const (
	seedGram        = 8
	seedGrams       = 1 << 13
	seedMiddle      = 1 << 10
	seedRefineBytes = 2 << 20
	// seedRefineTime bounds the diffs of one code. It is a bound for crafted codes: a busy
	// machine that reached it with honest ones would choose worse (nearly every base a lagging
	// client that cuts and pastes had was lost at 1 µs), so it is far above what they take.
	seedRefineTime = 10 * time.Millisecond
	// seedMoveSites is the most places a code far from every candidate by its start and end
	// differs from the nearest in when it moved text (cut, paste, maybe a keystroke): more,
	// and it edited the text all over.
	seedMoveSites = 4
)

// sharesMost reports whether most of code (at least half of it, or of text if shorter) lies in
// runs of seedGram bytes that text also holds, wherever they are: a code that shares little
// with a version by its start and end but most of its text (a block cut and pasted elsewhere,
// an old version edited at both ends) is an edit of it, not a replacement. Runs are sampled by
// their hash, so the estimate costs a scan of both and a set of at most seedGrams runs.
func sharesMost(code, text string) bool {
	if len(code) < seedGram || len(text) < seedGram {
		return strings.Contains(text, code) || strings.Contains(code, text)
	}
	sample := gramSample(len(text))
	runs := make(map[uint64]struct{}, len(text)/int(sample))
	eachGram(text, sample, func(_ int, run uint64) { runs[run] = struct{}{} })
	seen, shared, covered, end := 0, 0, 0, 0
	eachGram(code, sample, func(i int, run uint64) {
		seen++
		if _, ok := runs[run]; ok {
			shared++
			covered += i - max(end, i-seedGram)
			end = i
		}
	})
	if sample == 1 { // the bytes in shared runs, exactly
		return 2*covered >= min(len(code), len(text))
	}
	return 2*len(code)*shared >= min(len(code), len(text))*seen
}

// nearest sets each candidate's dist and returns the least. The distance by start and end
// (cost) overstates a move: a block cut and pasted elsewhere makes a candidate differ from the
// code from the block's old place to its new, which makes one without a few letters look
// nearer than the version the client moved them in. So for the candidates up to twice as far
// as the nearest (plus seedGram bytes), nearest first, dist is what a diff of their middles
// inserts and deletes (at most their cost, which the others keep); or, when a middle is longer
// than seedMiddle, how many runs of seedGram bytes are in one and not the other (the others
// are then out). seedRefineBytes of middles and limit bound the work.
func (b *seedBase) nearest(code string, all []candidate, limit time.Duration) int {
	order := make([]int, len(all))
	for i := range order {
		order[i], all[i].dist = i, all[i].cost
	}
	sort.SliceStable(order, func(i, j int) bool { return all[order[i]].cost < all[order[j]].cost })
	within := 2*all[order[0]].cost + seedGram
	byDiff := true
	for _, i := range order {
		if c := all[i]; c.cost <= within && (c.mid == nil || len(code)-c.pre-c.suf > seedMiddle) {
			byDiff = false
		}
	}
	dmp := diffmatchpatch.New()
	dmp.DiffTimeout = 0 // exact: a timeout lets go-diff take shortcuts that misstate a distance
	deadline := time.Now().Add(limit)
	least, budget := math.MaxInt, seedRefineBytes
	for k, i := range order {
		c := &all[i]
		if c.cost > within || k > 0 && budget <= 0 {
			if !byDiff {
				c.dist = math.MaxInt // not comparable
			}
			continue
		}
		if byDiff && k > 0 && time.Now().After(deadline) {
			c.unrefined = true
			continue // its cost bounds what a diff would find
		}
		codeMid := code[c.pre : len(code)-c.suf]
		if byDiff {
			c.dist, c.sites, c.diffed = 0, 0, true
			apart := true // from the last place the code differs by seedGram bytes
			for _, d := range dmp.DiffMain(string(c.mid), codeMid, false) {
				switch {
				case d.Type == diffmatchpatch.DiffEqual:
					apart = apart || len(d.Text) >= seedGram
				case apart:
					c.sites, apart = c.sites+1, false
					fallthrough
				default:
					c.dist += len(d.Text)
				}
			}
		} else {
			text := b.version(c.index).String()
			c.dist, c.sites = gramDistance(code[max(0, c.pre-seedGram+1):min(len(code), len(code)-c.suf+seedGram-1)],
				text[max(0, c.pre-seedGram+1):min(len(text), len(text)-c.suf+seedGram-1)])
		}
		budget -= c.cost
	}
	for _, c := range all {
		least = min(least, c.dist)
	}
	return least
}

// gramDistance returns how many runs of seedGram bytes one of code and text has more of than
// the other, and how many places code differs from text in: stretches of its runs text lacks.
// Long texts are compared by a sample of their runs: the distance is an estimate, and places
// may be missed.
func gramDistance(code, text string) (dist, sites int) {
	if len(code) < seedGram || len(text) < seedGram {
		return len(code) + len(text), 1
	}
	sample := gramSample(max(len(code), len(text)))
	counts := make(map[uint64]int)
	eachGram(text, sample, func(_ int, run uint64) { counts[run]++ })
	lacked := false
	eachGram(code, sample, func(_ int, run uint64) {
		if counts[run] <= 0 && !lacked {
			sites++
		}
		lacked = counts[run] <= 0
		counts[run]--
	})
	for _, n := range counts {
		dist += max(n, -n)
	}
	return dist * int(sample), sites
}

// gramSample returns the sample that keeps at most seedGrams runs of a text of n bytes.
func gramSample(n int) uint64 {
	sample := uint64(1)
	for n/int(sample) > seedGrams {
		sample *= 2
	}
	return sample
}

// eachGram calls f with the end and the bytes of each run of seedGram bytes of s whose hash
// sample divides.
func eachGram(s string, sample uint64, f func(end int, run uint64)) {
	var run uint64 // the last seedGram bytes, the last in the low byte
	for i := range len(s) {
		run = run<<8 | uint64(s[i])
		if h := run * 0x9E3779B97F4A7C15; i >= seedGram-1 && (h^h>>29)&(sample-1) == 0 {
			f(i+1, run)
		}
	}
}

// breakTie returns, of the candidates at dist from code, the one the code is most likely based
// on. It prefers, in this order:
//   - one from which the code deletes only what its client typed (deleting others' text, the
//     client must have had it, which another may show it did not);
//   - one into which the code inserts no text that another holds as others' (a client cannot
//     type another's text: it received it);
//   - the one it inserts least into (what the code adds to one, another may hold already);
//   - the oldest (what a newer one holds beside may be others' text the client never had).
func (b *seedBase) breakTie(code string, all []candidate, dist int) candidate {
	var tied []*candidate
	versions := map[int]*crdt.TextVersion{}
	for i := range all {
		if c := &all[i]; c.dist == dist {
			tied = append(tied, c)
			versions[c.index] = b.version(c.index)
		}
	}
	if len(tied) == 1 {
		return *tied[0]
	}
	type doubt struct{ deletes, inserts bool }
	var best *candidate
	var bestDoubt doubt
	for _, c := range tied {
		v := versions[c.index]
		text := v.String()
		d := doubt{deletes: b.othersIn(v, utf16x.Len(text[:c.pre]), utf16x.Len(text[:len(text)-c.suf]))}
		if ins := code[c.pre : len(code)-c.suf]; ins != "" {
			for _, o := range tied {
				ov := versions[o.index]
				if at := strings.Index(ov.String(), ins); o != c && at >= 0 {
					from := utf16x.Len(ov.String()[:at])
					d.inserts = d.inserts || b.othersIn(ov, from, from+utf16x.Len(ins))
				}
			}
		}
		switch {
		case best == nil,
			bestDoubt.deletes && !d.deletes,
			bestDoubt.deletes == d.deletes && bestDoubt.inserts && !d.inserts,
			bestDoubt == d && c.size > best.size:
			best, bestDoubt = c, d
		}
	}
	return *best
}

// version returns the candidate version of index (-1 for the client's last code).
func (b *seedBase) version(index int) *crdt.TextVersion {
	if index < 0 {
		return b.own
	}
	return b.sent.Version(index)
}

// othersIn reports whether the units [from, to) of v hold text the client did not type.
func (b *seedBase) othersIn(v *crdt.TextVersion, from, to int) bool {
	others := false
	v.EachID(from, to, func(client, clock uint64, n int) {
		if client != ServerClientID || !b.mine.holds(clock, uint64(n)) {
			others = true
		}
	})
	return others
}

// newestReceived returns the candidate the client has most likely received last: the newest
// version sent at least its lag ago (any, if it answers within seedLag), unless that reached the
// client before it sent its last code, which is then the newest. (A JSON client takes each code
// it receives whole: its last code is what it has only if no version reached it since.)
func (b *seedBase) newestReceived(all []candidate, now time.Time) candidate {
	received := now
	if b.lag > seedLag {
		received = now.Add(-b.lag)
	}
	own, newest := -1, -1
	for i, c := range all {
		switch {
		case c.index < 0:
			own = i
		case !b.sentAt[c.index].After(received):
			newest = i
		}
	}
	if own >= 0 && (newest < 0 || !b.sentAt[all[newest].index].After(b.ownAt.Add(-b.lag))) {
		return all[own]
	}
	return all[max(newest, 0)]
}

// candidates returns the versions code may be based on, oldest first, each with its distance.
func (b *seedBase) candidates(code string) []candidate {
	score := func(index int, text []byte) candidate {
		pre, suf := commonEnds(code, text)
		kept := pre + suf
		if mid := text[pre : len(text)-suf]; len(mid) > 0 && strings.Contains(code[pre:len(code)-suf], string(mid)) {
			kept += len(mid) // text added at both ends of the candidate's middle
		}
		c := candidate{index: index, cost: len(code) + len(text) - 2*kept, kept: kept, size: len(text), pre: pre, suf: suf}
		if mid := text[pre : len(text)-suf]; len(mid) <= seedMiddle {
			c.mid = append([]byte{}, mid...)
		}
		return c
	}
	var all []candidate
	ownPlaced := b.own == nil
	b.sent.Texts(func(i int, text []byte) {
		if !ownPlaced && b.ownAt.Before(b.sentAt[i]) {
			all, ownPlaced = append(all, score(-1, []byte(b.own.String()))), true
		}
		all = append(all, score(i, text))
	})
	if !ownPlaced {
		all = append(all, score(-1, []byte(b.own.String())))
	}
	return all
}

// merged records the code the client sent, as merged against c: the next is based on it or on
// a version sent since.
func (b *seedBase) merged(c baseChoice, code *crdt.TextVersion, inserted clockRange, now time.Time) {
	b.drop(c.drop)
	b.own, b.ownAt, b.ownBase = code, now, c.base.String()
	b.mine.add(inserted)
	b.doubt = c.maybeBefore
	if !c.sentAt.IsZero() {
		b.lag = now.Sub(c.sentAt)
	}
}

// commonEnds returns how many bytes a and b begin with alike, and how many of the rest they end
// with alike, both cut to whole UTF-8 characters ("渢" and "渦" share two of their three bytes).
func commonEnds[B string | []byte](a string, b B) (pre, suf int) {
	pre = commonPrefix(a, b)
	pre -= utf8BoundaryBack(a, pre)
	suf = commonSuffix(a[pre:], b[pre:])
	suf -= utf8BoundaryForward(a, len(a)-suf)
	return pre, suf
}

// commonPrefix returns how many bytes a and b begin with alike, commonSuffix how many they
// end with alike; both compare 64 bytes at a time while they can.
func commonPrefix[B string | []byte](a string, b B) int {
	n := min(len(a), len(b))
	i := 0
	for i+64 <= n && a[i:i+64] == string(b[i:i+64]) {
		i += 64
	}
	for i < n && a[i] == b[i] {
		i++
	}
	return i
}

func commonSuffix[B string | []byte](a string, b B) int {
	n := min(len(a), len(b))
	i := 0
	for i+64 <= n && a[len(a)-i-64:len(a)-i] == string(b[len(b)-i-64:len(b)-i]) {
		i += 64
	}
	for i < n && a[len(a)-1-i] == b[len(b)-1-i] {
		i++
	}
	return i
}

// clockRange is the clocks [from, to) of the server's client id.
type clockRange struct{ from, to uint64 }

// clockRanges is a bounded list of clock ranges, the newest last.
type clockRanges []clockRange

// seedMineRanges bounds the ranges a JSON connection remembers its client inserted (one a
// code); older ones count as others' text.
const seedMineRanges = 4096

func (m *clockRanges) add(r clockRange) {
	if r.from >= r.to {
		return
	}
	if n := len(*m); n > 0 && (*m)[n-1].to == r.from {
		(*m)[n-1].to = r.to
		return
	}
	*m = append(*m, r)
	if len(*m) > seedMineRanges {
		*m = append((*m)[:0], (*m)[len(*m)-seedMineRanges:]...)
	}
}

// holds reports whether the n clocks from clock are all in the ranges.
func (m clockRanges) holds(clock, n uint64) bool {
	i := sort.Search(len(m), func(i int) bool { return m[i].to > clock })
	return i < len(m) && m[i].from <= clock && clock+n <= m[i].to
}
