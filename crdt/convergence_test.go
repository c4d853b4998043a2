package crdt

import (
	"bytes"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"
)

var seedFlag = flag.String("seed", "", "run the randomized tests (TestConvergence, TestTextModel, TestYjsRoundtrip) with this seed only")

// testSeeds returns the seeds a randomized test runs: the one given with -seed, or 1..n.
func testSeeds(t *testing.T, n int) []uint64 {
	t.Helper()
	if *seedFlag != "" {
		s, err := strconv.ParseUint(*seedFlag, 10, 64)
		if err != nil {
			t.Fatalf("bad -seed %q: %v", *seedFlag, err)
		}
		return []uint64{s}
	}
	seeds := make([]uint64, n)
	for i := range seeds {
		seeds[i] = uint64(i + 1)
	}
	return seeds
}

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)) }

// textAtoms make up random text: ASCII, two- and three-byte UTF-8, and astral characters
// (surrogate pairs in UTF-16), alone and in sequences (skin tone, ZWJ, flag).
var textAtoms = []string{"a", "b", "c", "x", "y", " ", "\n", "é", "ß", "€", "中", "\uFFFD", "😀", "𝄞", "👍🏽", "👩‍💻", "🇫🇷"}

func randText(rng *rand.Rand, maxAtoms int) string {
	var b strings.Builder
	for n := 1 + rng.IntN(maxAtoms); n > 0; n-- {
		b.WriteString(textAtoms[rng.IntN(len(textAtoms))])
	}
	return b.String()
}

// specialClientIDs sit at varint and integer-width boundaries, up to MaxClientID (2^53-1).
var specialClientIDs = []uint64{0, 1, 127, 128, 16383, 16384, 1<<31 - 1, 1 << 31, 1<<32 - 1, 1 << 32, MaxClientID - 1, MaxClientID}

// randClientIDs returns n distinct client ids, half of them from specialClientIDs.
func randClientIDs(rng *rand.Rand, n int) []uint64 {
	var ids []uint64
	for len(ids) < n {
		id := rng.Uint64N(MaxClientID + 1)
		if rng.IntN(2) == 0 {
			id = specialClientIDs[rng.IntN(len(specialClientIDs))]
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids
}

// randValue returns a value for Map.Set or Array.Insert. Top-level array elements are never
// undefined or bigint: Y.Array rejects them.
func randValue(rng *rand.Rand, depth int, arrayElem bool) any {
	for {
		switch rng.IntN(14) {
		case 0:
			return float64(rng.IntN(2001) - 1000)
		case 1:
			special := []float64{math.Copysign(0, -1), 0, 1 << 31, -(1 << 31), 1<<31 - 1, 1.5, 0.1, -2.75,
				1 << 53, math.MaxFloat64, math.SmallestNonzeroFloat64, math.NaN(), math.Inf(1), math.Inf(-1)}
			return special[rng.IntN(len(special))]
		case 2:
			return rng.NormFloat64() * math.Pow(10, float64(rng.IntN(30)-10))
		case 3, 4:
			if rng.IntN(8) == 0 {
				return ""
			}
			return randText(rng, 6)
		case 5:
			return rng.IntN(2) == 0
		case 6:
			return nil
		case 7:
			b := make([]byte, rng.IntN(6))
			for i := range b {
				b[i] = byte(rng.IntN(256))
			}
			return b
		case 8:
			if arrayElem && depth == 0 {
				continue
			}
			special := []int64{0, -1, 1 << 53, math.MaxInt64, math.MinInt64}
			return BigInt(special[rng.IntN(len(special))])
		case 9:
			if arrayElem && depth == 0 {
				continue
			}
			return Undefined{}
		case 10, 11:
			if depth >= 3 {
				continue
			}
			o := Object{}
			for n := rng.IntN(4); n > 0; n-- {
				o = o.Set([]string{"k", "1", "10", "é", "", "😀"}[rng.IntN(6)], randValue(rng, depth+1, arrayElem))
			}
			return o
		case 12:
			if depth >= 3 {
				continue
			}
			m := map[string]any{}
			for n := rng.IntN(3); n > 0; n-- {
				m["m"+strconv.Itoa(rng.IntN(5))] = randValue(rng, depth+1, arrayElem)
			}
			return m
		case 13:
			if depth >= 3 {
				continue
			}
			a := []any{}
			for n := rng.IntN(4); n > 0; n-- {
				a = append(a, randValue(rng, depth+1, arrayElem))
			}
			return a
		}
	}
}

// convRoots are the roots every peer of a convergence run edits.
var convRoots = map[string]string{"t": "text", "m": "map", "a": "array"}

type convPeer struct {
	idx    int
	doc    *Doc
	text   *Text
	m      *Map
	arr    *Array
	online bool
	group  int      // partition: peers talk only within their group
	outbox [][]byte // updates not sent yet (batch mode)
}

// netMsg is an update in flight. It is dropped if sender and receiver are not connected when
// it is delivered.
type netMsg struct {
	from, to int
	update   []byte
	due      int // first step it can be delivered at
	what     string
}

// convConfig shapes a run; newConvConfig draws it from the seed.
type convConfig struct {
	peers, steps int
	batch        bool // peers send MergeUpdates of batches of their updates
	diffSync     bool // sync answers are DiffUpdate(full state, sv) instead of EncodeStateAsUpdate(sv)
	dupPercent   int  // chance that a message is delivered twice
	maxDelay     int  // in steps
}

func newConvConfig(rng *rand.Rand, minPeers, maxPeers, minSteps, maxSteps int) convConfig {
	return convConfig{
		peers:      minPeers + rng.IntN(maxPeers-minPeers+1),
		steps:      minSteps + rng.IntN(maxSteps-minSteps+1),
		batch:      rng.IntN(3) == 0,
		diffSync:   rng.IntN(3) == 0,
		dupPercent: rng.IntN(30),
		maxDelay:   rng.IntN(25),
	}
}

// convRun is one randomized run: peers editing concurrently over a simulated network.
type convRun struct {
	t      *testing.T
	test   string // the test to name in the replay command
	seed   uint64
	rng    *rand.Rand
	cfg    convConfig
	peers  []*convPeer
	queue  []netMsg
	step   int
	all    [][]byte // every update a local transaction produced, in order
	events []string
}

func newConvRun(t *testing.T, test string, seed uint64, cfg convConfig, rng *rand.Rand) *convRun {
	r := &convRun{t: t, test: test, seed: seed, rng: rng, cfg: cfg}
	for i, id := range randClientIDs(rng, cfg.peers) {
		doc, err := NewDoc(Options{ClientID: id, KeepDeleted: rng.IntN(3) == 0})
		if err != nil {
			r.fatalf("NewDoc(%d): %v", id, err)
		}
		p := &convPeer{idx: i, doc: doc, online: true}
		p.text, err = doc.GetText("t")
		if err == nil {
			p.m, err = doc.GetMap("m")
		}
		if err == nil {
			p.arr, err = doc.GetArray("a")
		}
		if err != nil {
			r.fatalf("roots: %v", err)
		}
		r.peers = append(r.peers, p)
		r.logf("peer %d: client %d, gc %v", i, id, doc.gc)
	}
	r.logf("config %+v", cfg)
	return r
}

func (r *convRun) logf(format string, args ...any) {
	r.events = append(r.events, fmt.Sprintf("[%d] ", r.step)+fmt.Sprintf(format, args...))
}

// fatalf fails the run with its seed, the last events and the command that replays it.
func (r *convRun) fatalf(format string, args ...any) {
	r.t.Helper()
	events := r.events
	if len(events) > 60 {
		events = append([]string{"..."}, events[len(events)-60:]...)
	}
	r.t.Fatalf("seed %d: %s\nevents:\n  %s\nreplay: go test ./crdt -run %s -seed %d",
		r.seed, fmt.Sprintf(format, args...), strings.Join(events, "\n  "), r.test, r.seed)
}

func (r *convRun) connected(a, b *convPeer) bool {
	return a.online && b.online && a.group == b.group
}

// run plays cfg.steps random events, then brings every peer in sync.
func (r *convRun) run() {
	for r.step = 0; r.step < r.cfg.steps; r.step++ {
		switch x := r.rng.IntN(100); {
		case x < 45:
			r.edit(r.peers[r.rng.IntN(len(r.peers))])
		case x < 80:
			for n := 1 + r.rng.IntN(4); n > 0; n-- {
				r.deliverOne(false)
			}
		case x < 84:
			r.partitionOrHeal()
		case x < 88:
			r.toggleOnline(r.peers[r.rng.IntN(len(r.peers))])
		case x < 93:
			r.flush(r.peers[r.rng.IntN(len(r.peers))])
		default:
			a, b := r.peers[r.rng.IntN(len(r.peers))], r.peers[r.rng.IntN(len(r.peers))]
			if a != b && r.connected(a, b) {
				r.requestSync(a, b)
			}
		}
	}
	r.settle()
}

// edit runs a local transaction of one to three random operations on p.
func (r *convRun) edit(p *convPeer) {
	var ops []string
	u, err := p.doc.Transact(func(tx *Transaction) error {
		for n := 1 + r.rng.IntN(3); n > 0; n-- {
			op, err := r.randomOp(tx, p)
			ops = append(ops, op)
			if err != nil {
				return err
			}
		}
		return nil
	})
	r.logf("peer %d edits: %s", p.idx, strings.Join(ops, "; "))
	if err != nil {
		r.fatalf("peer %d: %v", p.idx, err)
	}
	r.checkLen(p)
	if u == nil {
		return
	}
	r.all = append(r.all, u)
	if r.cfg.batch {
		p.outbox = append(p.outbox, u)
		if len(p.outbox) >= 1+r.rng.IntN(6) {
			r.flush(p)
		}
		return
	}
	r.broadcast(p, u, "update")
}

func (r *convRun) randomOp(tx *Transaction, p *convPeer) (string, error) {
	rng := r.rng
	switch x := rng.IntN(10); {
	case x < 6:
		n := p.text.Len()
		if n == 0 || rng.IntN(5) < 3 {
			i, s := rng.IntN(n+1), randText(rng, 5)
			return fmt.Sprintf("text.Insert(%d, %q)", i, s), p.text.Insert(tx, i, s)
		}
		i := rng.IntN(n)
		k := 1 + rng.IntN(min(n-i, 12))
		return fmt.Sprintf("text.Delete(%d, %d)", i, k), p.text.Delete(tx, i, k)
	case x < 8:
		key := "k" + strconv.Itoa(rng.IntN(6))
		if rng.IntN(4) == 0 {
			p.m.Delete(tx, key)
			return fmt.Sprintf("map.Delete(%q)", key), nil
		}
		v := randValue(rng, 0, false)
		return fmt.Sprintf("map.Set(%q, %#v)", key, v), p.m.Set(tx, key, v)
	default:
		n := p.arr.Len()
		if n == 0 || rng.IntN(5) < 3 {
			i := rng.IntN(n + 1)
			values := make([]any, 1+rng.IntN(3))
			for j := range values {
				values[j] = randValue(rng, 0, true)
			}
			return fmt.Sprintf("array.Insert(%d, %#v)", i, values), p.arr.Insert(tx, i, values...)
		}
		i := rng.IntN(n)
		k := 1 + rng.IntN(min(n-i, 4))
		return fmt.Sprintf("array.Delete(%d, %d)", i, k), p.arr.Delete(tx, i, k)
	}
}

// checkLen checks that the text's length is the UTF-16 length of its string.
func (r *convRun) checkLen(p *convPeer) {
	r.t.Helper()
	s := p.text.String()
	if got, want := p.text.Len(), len(utf16.Encode([]rune(s))); got != want {
		r.fatalf("peer %d: text.Len() = %d, want %d (UTF-16 length of %q)", p.idx, got, want, s)
	}
}

// flush sends p's batched updates as one MergeUpdates.
func (r *convRun) flush(p *convPeer) {
	if len(p.outbox) == 0 {
		return
	}
	merged, err := MergeUpdates(p.outbox...)
	if err != nil {
		r.fatalf("peer %d: MergeUpdates of %d updates: %v", p.idx, len(p.outbox), err)
	}
	r.logf("peer %d flushes %d updates", p.idx, len(p.outbox))
	p.outbox = nil
	r.broadcast(p, merged, "batch")
}

func (r *convRun) broadcast(from *convPeer, u []byte, what string) {
	for _, to := range r.peers {
		if to != from {
			r.send(from, to, u, what)
		}
	}
}

func (r *convRun) send(from, to *convPeer, u []byte, what string) {
	for copies := 1 + btoi(r.rng.IntN(100) < r.cfg.dupPercent); copies > 0; copies-- {
		r.queue = append(r.queue, netMsg{from: from.idx, to: to.idx, update: u, due: r.step + r.rng.IntN(r.cfg.maxDelay+1), what: what})
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// deliverOne delivers a random message that is due (any message if all).
func (r *convRun) deliverOne(all bool) {
	var ready []int
	for i, m := range r.queue {
		if all || m.due <= r.step {
			ready = append(ready, i)
		}
	}
	if len(ready) == 0 {
		return
	}
	i := ready[r.rng.IntN(len(ready))]
	m := r.queue[i]
	r.queue = slices.Delete(r.queue, i, i+1)
	from, to := r.peers[m.from], r.peers[m.to]
	if !r.connected(from, to) {
		r.logf("drop %s %d->%d", m.what, m.from, m.to)
		return
	}
	r.logf("deliver %s %d->%d (%d bytes)", m.what, m.from, m.to, len(m.update))
	r.apply(to, m.update, m.what)
}

func (r *convRun) apply(p *convPeer, u []byte, what string) {
	r.t.Helper()
	if err := p.doc.ApplyUpdate(u); err != nil {
		r.fatalf("peer %d: ApplyUpdate(%s %x): %v", p.idx, what, u, err)
	}
	r.checkLen(p)
}

// syncAnswer is what b sends a peer whose state vector is sv.
func (r *convRun) syncAnswer(b *convPeer, sv []byte) []byte {
	r.t.Helper()
	if r.cfg.diffSync {
		state, err := b.doc.EncodeStateAsUpdate(nil)
		if err != nil {
			r.fatalf("peer %d: EncodeStateAsUpdate(nil): %v", b.idx, err)
		}
		diff, err := DiffUpdate(state, sv)
		if err != nil {
			r.fatalf("peer %d: DiffUpdate(state, %x): %v", b.idx, sv, err)
		}
		return diff
	}
	diff, err := b.doc.EncodeStateAsUpdate(sv)
	if err != nil {
		r.fatalf("peer %d: EncodeStateAsUpdate(%x): %v", b.idx, sv, err)
	}
	return diff
}

// requestSync has a send its state vector to b, which answers with what a lacks (over the network).
func (r *convRun) requestSync(a, b *convPeer) {
	r.logf("peer %d asks %d for a sync", a.idx, b.idx)
	r.send(b, a, r.syncAnswer(b, a.doc.EncodeStateVector()), "sync")
}

func (r *convRun) partitionOrHeal() {
	split := slices.ContainsFunc(r.peers, func(p *convPeer) bool { return p.group != 0 })
	if !split {
		if len(r.peers) < 2 {
			return
		}
		// Put a random non-empty proper subset in group 1.
		perm := r.rng.Perm(len(r.peers))
		var moved []int
		for _, i := range perm[:1+r.rng.IntN(len(r.peers)-1)] {
			r.peers[i].group = 1
			moved = append(moved, i)
		}
		r.logf("partition: %v cut off", moved)
		return
	}
	var was []int
	for _, p := range r.peers {
		was = append(was, p.group)
		p.group = 0
	}
	r.logf("partition heals")
	for _, a := range r.peers {
		for _, b := range r.peers {
			if a != b && was[a.idx] != was[b.idx] && r.connected(a, b) {
				r.requestSync(a, b)
			}
		}
	}
}

// toggleOnline takes p offline, or brings it back and has it sync both ways with every peer it
// can reach.
func (r *convRun) toggleOnline(p *convPeer) {
	p.online = !p.online
	r.logf("peer %d online=%v", p.idx, p.online)
	if !p.online {
		return
	}
	for _, q := range r.peers {
		if q != p && r.connected(p, q) {
			r.requestSync(p, q)
			r.requestSync(q, p)
		}
	}
}

// settle heals the network, delivers everything in flight, then has every peer sync directly
// with every other.
func (r *convRun) settle() {
	r.logf("settle")
	for _, p := range r.peers {
		p.online, p.group = true, 0
	}
	for _, p := range r.peers {
		r.flush(p)
	}
	for len(r.queue) > 0 {
		r.deliverOne(true)
	}
	for _, a := range r.peers {
		for _, b := range r.peers {
			if a != b {
				r.logf("peer %d syncs from %d", a.idx, b.idx)
				r.apply(a, r.syncAnswer(b, a.doc.EncodeStateVector()), "sync")
			}
		}
	}
}

// docSnapshot is what must be equal on converged replicas.
type docSnapshot struct {
	text        string
	textLen     int
	m, a        any // normalized JSON
	stateVector []byte
	pending     bool
}

func snapshotOf(d *Doc) (docSnapshot, error) {
	text, err := d.GetText("t")
	if err != nil {
		return docSnapshot{}, err
	}
	m, err := d.GetMap("m")
	if err != nil {
		return docSnapshot{}, err
	}
	a, err := d.GetArray("a")
	if err != nil {
		return docSnapshot{}, err
	}
	return docSnapshot{
		text:        text.String(),
		textLen:     text.Len(),
		m:           normalizeJSON(m.ToJSON()),
		a:           normalizeJSON(a.ToJSON()),
		stateVector: d.EncodeStateVector(),
		pending:     d.HasPending(),
	}, nil
}

// diffSnapshots describes how got differs from want, or returns "".
func diffSnapshots(want, got docSnapshot) string {
	var b strings.Builder
	if want.text != got.text {
		fmt.Fprintf(&b, "text mismatch (-want +got):\n-%q\n+%q\n", want.text, got.text)
	}
	if want.textLen != got.textLen {
		fmt.Fprintf(&b, "text length: want %d, got %d\n", want.textLen, got.textLen)
	}
	if !reflect.DeepEqual(want.m, got.m) {
		fmt.Fprintf(&b, "map mismatch (-want +got):\n-%v\n+%v\n", want.m, got.m)
	}
	if !reflect.DeepEqual(want.a, got.a) {
		fmt.Fprintf(&b, "array mismatch (-want +got):\n-%v\n+%v\n", want.a, got.a)
	}
	if !bytes.Equal(want.stateVector, got.stateVector) {
		fmt.Fprintf(&b, "state vector mismatch (-want +got):\n-%v\n+%v\n", want.stateVector, got.stateVector)
	}
	if got.pending {
		b.WriteString("HasPending() = true, want false\n")
	}
	return b.String()
}

func (r *convRun) snapshot(d *Doc, who string) docSnapshot {
	r.t.Helper()
	s, err := snapshotOf(d)
	if err != nil {
		r.fatalf("%s: %v", who, err)
	}
	return s
}

// check requires every peer to equal peer 0, and so fresh documents built from every update
// produced (shuffled, one by one and merged) and from peer 0's state.
func (r *convRun) check() docSnapshot {
	r.t.Helper()
	want := r.snapshot(r.peers[0].doc, "peer 0")
	if want.pending {
		r.fatalf("peer 0 has pending content after a full sync")
	}
	for _, p := range r.peers[1:] {
		if d := diffSnapshots(want, r.snapshot(p.doc, "peer")); d != "" {
			r.fatalf("peer %d differs from peer 0 after a full sync:\n%s", p.idx, d)
		}
	}
	shuffled := slices.Clone(r.all)
	r.rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	merged, err := MergeUpdates(shuffled...)
	if err != nil {
		r.fatalf("MergeUpdates of all %d updates: %v", len(shuffled), err)
	}
	state, err := r.peers[0].doc.EncodeStateAsUpdate(nil)
	if err != nil {
		r.fatalf("peer 0: EncodeStateAsUpdate(nil): %v", err)
	}
	for _, obs := range []struct {
		name    string
		updates [][]byte
	}{
		{"all updates shuffled", shuffled},
		{"MergeUpdates(all updates shuffled)", [][]byte{merged}},
		{"peer 0's EncodeStateAsUpdate(nil)", [][]byte{state}},
	} {
		d, err := NewDoc(Options{ClientID: 424242, KeepDeleted: r.rng.IntN(2) == 0})
		if err != nil {
			r.fatalf("NewDoc: %v", err)
		}
		for i, u := range obs.updates {
			if err := d.ApplyUpdate(u); err != nil {
				r.fatalf("fresh doc fed %s: ApplyUpdate #%d: %v", obs.name, i, err)
			}
		}
		if d := diffSnapshots(want, r.snapshot(d, obs.name)); d != "" {
			r.fatalf("fresh doc fed %s differs from peer 0:\n%s", obs.name, d)
		}
	}
	return want
}

// TestConvergence runs random concurrent editing by 2-6 peers over a network that reorders,
// duplicates, delays and drops messages, partitions and reconnects, then requires all replicas to
// be identical once synced. Each seed picks its own configuration (batched MergeUpdates, DiffUpdate
// syncs, gc on or off per peer).
func TestConvergence(t *testing.T) {
	for _, seed := range testSeeds(t, 40) {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			rng := newRand(seed)
			r := newConvRun(t, "TestConvergence", seed, newConvConfig(rng, 2, 6, 100, 400), rng)
			r.run()
			r.check()
		})
	}
}

// utf16Model is the naive text model: UTF-16 code units, edited by splicing.
type utf16Model []uint16

func isHighSurrogate(u uint16) bool { return u >= 0xD800 && u <= 0xDBFF }
func isLowSurrogate(u uint16) bool  { return u >= 0xDC00 && u <= 0xDFFF }

// split mirrors Yjs's ContentString.splice: cutting text between the halves of a surrogate pair
// replaces both halves with U+FFFD.
func (m utf16Model) split(at int) {
	if at > 0 && at < len(m) && isHighSurrogate(m[at-1]) && isLowSurrogate(m[at]) {
		m[at-1], m[at] = 0xFFFD, 0xFFFD
	}
}

func (m utf16Model) insert(at int, s string) utf16Model {
	if s == "" {
		return m
	}
	m.split(at)
	return slices.Insert(m, at, utf16.Encode([]rune(s))...)
}

func (m utf16Model) delete(at, n int) utf16Model {
	if n == 0 {
		return m
	}
	m.split(at)
	m.split(at + n)
	return slices.Delete(m, at, at+n)
}

func (m utf16Model) String() string { return string(utf16.Decode(m)) }

// pairInteriors returns the offsets that fall between the halves of a surrogate pair.
func (m utf16Model) pairInteriors() []int {
	var at []int
	for i := 1; i < len(m); i++ {
		if isHighSurrogate(m[i-1]) && isLowSurrogate(m[i]) {
			at = append(at, i)
		}
	}
	return at
}

func TestUTF16Model(t *testing.T) {
	tests := []struct {
		name string
		edit func(m utf16Model) utf16Model
		want string
	}{
		{"insert inside pair", func(m utf16Model) utf16Model { return m.insert(2, "x") }, "a\uFFFDx\uFFFDb"},
		{"insert at pair boundary", func(m utf16Model) utf16Model { return m.insert(3, "x") }, "a😀xb"},
		{"delete from inside pair", func(m utf16Model) utf16Model { return m.delete(2, 2) }, "a\uFFFD"},
		{"delete up to inside pair", func(m utf16Model) utf16Model { return m.delete(0, 2) }, "\uFFFDb"},
		{"delete whole pair", func(m utf16Model) utf16Model { return m.delete(1, 2) }, "ab"},
		{"delete nothing inside pair", func(m utf16Model) utf16Model { return m.delete(2, 0) }, "a😀b"},
	}
	for _, tt := range tests {
		m := utf16Model(nil).insert(0, "a😀b")
		if got := tt.edit(m).String(); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

// TestTextModel checks Text against utf16Model after every edit: two replicas take turns making
// random local edits (often at offsets inside surrogate pairs) and the other applies the update,
// so both the local and the remote split of a surrogate pair are checked.
func TestTextModel(t *testing.T) {
	for _, seed := range testSeeds(t, 30) {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			runTextModel(t, seed)
		})
	}
}

func runTextModel(t *testing.T, seed uint64) {
	rng := newRand(seed)
	var events []string
	fatalf := func(format string, args ...any) {
		t.Helper()
		if len(events) > 30 {
			events = append([]string{"..."}, events[len(events)-30:]...)
		}
		t.Fatalf("seed %d: %s\nedits:\n  %s\nreplay: go test ./crdt -run TestTextModel -seed %d",
			seed, fmt.Sprintf(format, args...), strings.Join(events, "\n  "), seed)
	}
	ids := randClientIDs(rng, 2)
	var docs [2]*Doc
	var texts [2]*Text
	for i := range docs {
		var err error
		if docs[i], err = NewDoc(Options{ClientID: ids[i], KeepDeleted: rng.IntN(2) == 0}); err != nil {
			fatalf("NewDoc: %v", err)
		}
		if texts[i], err = docs[i].GetText("t"); err != nil {
			fatalf("GetText: %v", err)
		}
	}
	events = append(events, fmt.Sprintf("clients %d (gc %v), %d (gc %v)", ids[0], docs[0].gc, ids[1], docs[1].gc))
	var model utf16Model
	// pos picks an offset in [0, n], preferring the inside of surrogate pairs.
	pos := func(n int) int {
		if in := model.pairInteriors(); len(in) > 0 && rng.IntN(3) == 0 {
			if p := in[rng.IntN(len(in))]; p <= n {
				return p
			}
		}
		return rng.IntN(n + 1)
	}
	for step := range 300 {
		e := rng.IntN(2)
		var ops []string
		u, err := docs[e].Transact(func(tx *Transaction) error {
			for n := 1 + btoi(rng.IntN(4) == 0); n > 0; n-- {
				var err error
				if len(model) == 0 || rng.IntN(5) < 3 {
					at, s := pos(len(model)), randText(rng, 4)
					if rng.IntN(20) == 0 {
						s = ""
					}
					ops = append(ops, fmt.Sprintf("Insert(%d, %q)", at, s))
					model = model.insert(at, s)
					err = texts[e].Insert(tx, at, s)
				} else {
					at := pos(len(model) - 1)
					k := rng.IntN(min(len(model)-at, 6) + 1)
					if rng.IntN(3) == 0 && at+k < len(model) {
						// End the deletion inside a pair when there is one ahead.
						for _, p := range model.pairInteriors() {
							if p > at {
								k = p - at
								break
							}
						}
					}
					ops = append(ops, fmt.Sprintf("Delete(%d, %d)", at, k))
					model = model.delete(at, k)
					err = texts[e].Delete(tx, at, k)
				}
				if err != nil {
					return err
				}
			}
			return nil
		})
		events = append(events, fmt.Sprintf("step %d, doc %d: %s", step, e, strings.Join(ops, "; ")))
		if err != nil {
			fatalf("%v", err)
		}
		if u != nil {
			if err := docs[1-e].ApplyUpdate(u); err != nil {
				fatalf("doc %d: ApplyUpdate(%x): %v", 1-e, u, err)
			}
		}
		check := func(who string, x *Text) {
			t.Helper()
			if got, want := x.String(), model.String(); got != want {
				fatalf("%s: text mismatch (-want +got):\n-%q\n+%q", who, want, got)
			}
			if got, want := x.Len(), len(model); got != want {
				fatalf("%s: Len() = %d, want %d", who, got, want)
			}
		}
		check("local doc", texts[e])
		check("remote doc", texts[1-e])
		if step%50 == 49 {
			state, err := docs[rng.IntN(2)].EncodeStateAsUpdate(nil)
			if err != nil {
				fatalf("EncodeStateAsUpdate: %v", err)
			}
			fresh, err := NewDoc(Options{ClientID: 7})
			if err != nil {
				fatalf("NewDoc: %v", err)
			}
			if err := fresh.ApplyUpdate(state); err != nil {
				fatalf("fresh doc: ApplyUpdate(state): %v", err)
			}
			x, err := fresh.GetText("t")
			if err != nil {
				fatalf("fresh doc: GetText: %v", err)
			}
			check("fresh doc from state", x)
		}
	}
}

// TestPendingOverlap covers pending structs of one client that overlap without one containing
// the other, as a peer receives them from syncs at different times: the document must still
// encode its state, and integrate both once the content before them arrives.
func TestPendingOverlap(t *testing.T) {
	// Client 1 types "abcd" a letter per transaction. Its store merges the letters, so a sync
	// answered after "c" carries "bc" (clocks 1-2) and one answered after "d" carries "cd" (2-3).
	a, err := NewDoc(Options{ClientID: 1})
	if err != nil {
		t.Fatal(err)
	}
	text, err := a.GetText("t")
	if err != nil {
		t.Fatal(err)
	}
	var first, bc, cd []byte
	for i, s := range []string{"a", "b", "c", "d"} {
		u, err := a.Transact(func(tx *Transaction) error { return text.Insert(tx, i, s) })
		if err != nil {
			t.Fatal(err)
		}
		switch i {
		case 0:
			first = u
		case 2:
			bc, err = a.EncodeStateAsUpdate(EncodeStateVector(StateVector{1: 1}))
		case 3:
			cd, err = a.EncodeStateAsUpdate(EncodeStateVector(StateVector{1: 2}))
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name    string
		pending [][]byte
	}{
		{"bc then cd", [][]byte{bc, cd}},
		{"cd then bc", [][]byte{cd, bc}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := NewDoc(Options{ClientID: 2})
			if err != nil {
				t.Fatal(err)
			}
			for _, u := range tt.pending {
				if err := b.ApplyUpdate(u); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := b.EncodeStateAsUpdate(nil); err != nil {
				t.Errorf("EncodeStateAsUpdate(nil) with pending structs: %v", err)
			}
			if err := b.ApplyUpdate(first); err != nil {
				t.Fatal(err)
			}
			got, err := b.GetText("t")
			if err != nil {
				t.Fatal(err)
			}
			if got, want := got.String(), "abcd"; got != want {
				t.Errorf("text = %q, want %q", got, want)
			}
			if b.HasPending() {
				t.Errorf("HasPending() = true, want false")
			}
		})
	}
}
