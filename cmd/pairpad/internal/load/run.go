package load

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Limits of a run's own work.
const (
	dialers       = 64               // connections being opened at once
	maxSchedulers = 4                // goroutines that type, at most one per CPU
	syncTimeout   = 30 * time.Second // from dial to sync step 2
	drainTimeout  = 5 * time.Second  // how long deliveries may arrive after the measurement
	stayMin       = 500 * time.Millisecond
	stayMax       = 2 * time.Second        // how long a churning client stays
	pauseMax      = 500 * time.Millisecond // between a churning client's leave and its next join
)

// run is the state of one run, which its peers, schedulers and churners share.
type run struct {
	opts     Options
	epoch    time.Time // times are nanoseconds since epoch, on the monotonic clock
	interval int64     // nanoseconds between two keystrokes of a client
	rooms    []*room
	peers    []*peer // the measured peers, Clients per room
	scheds   []*scheduler
	errs     errorLog

	// The measurement: the keystrokes sent in [from, to). Set before the first keystroke is
	// sent, read-only after.
	from, to int64

	idMu sync.Mutex
	ids  map[uint64]bool // the client ids given out

	joinMu sync.Mutex
	joins  []int64 // the churning clients' times from dial to synced, for joins in the measurement
}

// room is one room of the run.
type room struct {
	name  string
	peers []*peer // its measured peers
	// senders are its measured peers by client id, whose keystrokes the others record.
	// Read-only once the run has started.
	senders map[uint64]*peer
}

// sample is the usage of the server (with Options.PID) and of the generator at one moment.
type sample struct{ server, self usage }

// Run drives the server at opts.URL as opts say and reports what it measured. It returns an
// error only when the run cannot start: invalid options (ErrInvalidOptions), rooms it cannot
// create, a PID it cannot read. What fails during the run is counted in the Report. Canceling
// ctx ends the run early; it still reports.
func Run(ctx context.Context, opts Options) (*Report, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	names, err := roomNames(ctx, opts)
	if err != nil {
		return nil, err
	}
	r, err := newRun(opts, names)
	if err != nil {
		return nil, err
	}
	before, err := r.sample()
	if err != nil {
		return nil, err
	}
	connected := r.connect(ctx)
	start, end := before, before
	switch {
	case connected == 0: // nothing to measure: the errors say why
	case opts.Mode == Idle:
		start, end = r.hold(ctx)
	default:
		start, end = r.typeAll(ctx)
	}
	r.closeAll()
	return r.report(connected, before, start, end), nil
}

func newRun(opts Options, names []string) (*run, error) {
	r := &run{opts: opts, epoch: time.Now(), ids: make(map[uint64]bool)}
	var perPeer int // the deliveries each peer expects
	if opts.Mode != Idle {
		r.interval = int64(float64(time.Second) / opts.Rate)
		perPeer = (int(opts.Duration.Seconds()*opts.Rate) + 1) * (opts.Clients - 1)
	}
	for _, name := range names {
		rm := &room{name: name, senders: make(map[uint64]*peer, opts.Clients)}
		for range opts.Clients {
			p, err := newPeer(r, rm, r.newID(), true)
			if err != nil {
				return nil, err
			}
			p.latencies = make([]int64, 0, perPeer)
			rm.peers = append(rm.peers, p)
			rm.senders[p.doc.ClientID()] = p
			r.peers = append(r.peers, p)
		}
		r.rooms = append(r.rooms, rm)
	}
	return r, nil
}

// newID returns a client id no other peer of the run has: a random 32-bit number, as Yjs picks.
func (r *run) newID() uint64 {
	r.idMu.Lock()
	defer r.idMu.Unlock()
	for {
		id := uint64(rand.Uint32())
		if id != 0 && !r.ids[id] {
			r.ids[id] = true
			return id
		}
	}
}

func (r *run) now() int64 { return int64(time.Since(r.epoch)) }

func (r *run) inWindow(at int64) bool { return at >= r.from && at < r.to }

// sleepUntil waits until time t of the run or until ctx is done.
func (r *run) sleepUntil(ctx context.Context, t int64) {
	timer := time.NewTimer(time.Duration(t - r.now()))
	defer timer.Stop()
	select {
	case <-ctx.Done():
	case <-timer.C:
	}
}

// sample reads the usage of the server and of this process. Only the server's can fail.
func (r *run) sample() (sample, error) {
	var s sample
	s.self, _ = selfUsage() // zero where /proc is missing: the report then says nothing of it
	if r.opts.PID == 0 {
		return s, nil
	}
	var err error
	s.server, err = processUsage(r.opts.PID)
	if err != nil {
		return s, fmt.Errorf("the server's usage (-pid %d): %w", r.opts.PID, err)
	}
	return s, nil
}

// sampleDuring is sample during the run, when a failure is one of the run's errors.
func (r *run) sampleDuring() sample {
	s, err := r.sample()
	if err != nil {
		r.errs.add(err)
	}
	return s
}

// connect connects every measured peer, dialers at a time, and returns how many synced.
func (r *run) connect(ctx context.Context) int {
	var synced atomic.Int64
	busy := make(chan struct{}, dialers)
	var wg sync.WaitGroup
	for _, p := range r.peers {
		busy <- struct{}{}
		wg.Go(func() {
			defer func() { <-busy }()
			if r.join(ctx, p) {
				synced.Add(1)
			}
		})
	}
	wg.Wait()
	return int(synced.Load())
}

// join connects p and waits until it has synced; it reports whether it did.
func (r *run) join(ctx context.Context, p *peer) bool {
	ctx, cancel := context.WithTimeout(ctx, syncTimeout)
	defer cancel()
	if err := p.connect(ctx); err != nil {
		r.errs.add(err)
		return false
	}
	select {
	case <-p.synced:
		return true
	case <-p.done: // the reader has counted the error
	case <-ctx.Done():
		p.fail(fmt.Errorf("sync: %w", ctx.Err()))
	}
	return false
}

// hold keeps the connections open for the duration and samples usage at both ends.
func (r *run) hold(ctx context.Context) (start, end sample) {
	start = r.sampleDuring()
	r.sleepUntil(ctx, r.now()+int64(r.opts.Duration))
	return start, r.sampleDuring()
}

// typeAll types on every synced peer for the warm-up and the measurement (with churning
// clients in Churn mode), then waits for the deliveries still under way. It samples usage at
// both ends of the measurement.
func (r *run) typeAll(ctx context.Context) (start, end sample) {
	begin := r.now()
	r.from = begin + int64(r.opts.Warmup)
	r.to = r.from + int64(r.opts.Duration)
	var typists []*peer
	for _, p := range r.peers {
		if p.ready() {
			typists = append(typists, p)
		}
	}
	n := min(maxSchedulers, runtime.GOMAXPROCS(0))
	seed := rand.Uint64()
	var wg sync.WaitGroup
	for i := range n {
		s := newScheduler(r, shard(typists, i, n), begin, seed+uint64(i))
		r.scheds = append(r.scheds, s)
		wg.Go(func() { s.loop(ctx) })
	}
	if r.opts.Mode == Churn {
		for i, rm := range r.rooms {
			wg.Go(func() { r.churn(ctx, rm, seed+uint64(n+i)) })
		}
	}
	r.sleepUntil(ctx, r.from)
	start = r.sampleDuring()
	r.sleepUntil(ctx, r.to)
	end = r.sampleDuring()
	wg.Wait()
	r.drain(ctx)
	return start, end
}

// shard returns the i-th of n shares of peers.
func shard(peers []*peer, i, n int) []*peer {
	var mine []*peer
	for j := i; j < len(peers); j += n {
		mine = append(mine, peers[j])
	}
	return mine
}

// keystrokes returns how many keystrokes the schedulers sent during the measurement.
func (r *run) keystrokes() int64 {
	var n int64
	for _, s := range r.scheds {
		n += s.typed
	}
	return n
}

// drain waits until every keystroke sent, measured or not, has reached every other client of
// its room, for at most drainTimeout; so the rooms' texts can be compared after. The
// schedulers are done.
func (r *run) drain(ctx context.Context) {
	var want int64
	for _, p := range r.peers {
		want += p.nsent.Load() * int64(r.opts.Clients-1)
	}
	deadline := r.now() + int64(drainTimeout)
	for r.received() < want && r.now() < deadline && ctx.Err() == nil {
		r.sleepUntil(ctx, r.now()+int64(10*time.Millisecond))
	}
}

func (r *run) received() int64 {
	var n int64
	for _, p := range r.peers {
		n += p.received.Load()
	}
	return n
}

// churn joins a new client to rm, keeps it a while and closes it, again and again until the
// measurement ends.
func (r *run) churn(ctx context.Context, rm *room, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 0))
	for r.now() < r.to && ctx.Err() == nil {
		p, err := newPeer(r, rm, r.newID(), false)
		if err != nil {
			r.errs.add(err)
			return
		}
		start := r.now()
		if r.join(ctx, p) && r.inWindow(start) {
			r.joinMu.Lock()
			r.joins = append(r.joins, r.now()-start)
			r.joinMu.Unlock()
		}
		stay := int64(stayMin) + rng.Int64N(int64(stayMax-stayMin))
		r.sleepUntil(ctx, min(r.to, r.now()+stay))
		p.close()
		r.sleepUntil(ctx, min(r.to, r.now()+rng.Int64N(int64(pauseMax))))
	}
}

// closeAll closes every measured peer's connection.
func (r *run) closeAll() {
	var wg sync.WaitGroup
	for _, p := range r.peers {
		wg.Go(p.close)
	}
	wg.Wait()
}

// diverged returns how many rooms have synced peers that hold different texts. The readers
// are done.
func (r *run) diverged() int {
	n := 0
	for _, rm := range r.rooms {
		texts := make(map[string]bool)
		for _, p := range rm.peers {
			if p.ready() {
				texts[p.text.String()] = true
			}
		}
		if len(texts) > 1 {
			n++
		}
	}
	return n
}

// report writes down what the run measured, once its readers, schedulers and churners are
// done: before is the usage before the peers connected, start and end at the ends of the
// measurement.
func (r *run) report(connected int, before, start, end sample) *Report {
	rep := &Report{
		Mode: r.opts.Mode, Protocol: r.opts.Protocol, URL: r.opts.URL,
		Rooms: r.opts.Rooms, Clients: r.opts.Clients, Rate: r.opts.Rate, Seconds: r.opts.Duration.Seconds(),
		Connections: connected, Diverged: r.diverged(),
		GeneratorCores: round3(cores(start.self, end.self)), GeneratorCPUs: runtime.NumCPU(),
	}
	r.addTyping(rep)
	rep.Errors, rep.ErrorSamples = r.errs.get()
	if connected > 0 {
		rep.GeneratorRSSPerConn = math.Round(float64(end.self.rss-before.self.rss) / float64(connected))
	}
	if r.opts.PID != 0 {
		rep.Server = serverUsage(before.server, start.server, end.server, connected, rep.Keystrokes)
	}
	return rep
}

// addTyping adds the keystrokes, their deliveries and latency, how late they were sent, and
// the joins of the churning clients.
func (r *run) addTyping(rep *Report) {
	rep.Keystrokes = r.keystrokes()
	rep.Expected = rep.Keystrokes * int64(r.opts.Clients-1)
	var latencies []int64
	for _, p := range r.peers {
		latencies = append(latencies, p.latencies...)
	}
	rep.Delivered = int64(len(latencies))
	rep.Latency = summarize(latencies)
	for _, s := range r.scheds {
		rep.Late += s.late
		rep.MaxLateMS = max(rep.MaxLateMS, ms(s.maxLate))
	}
	if r.opts.Mode == Churn {
		rep.Joins = int64(len(r.joins))
		joins := summarize(r.joins)
		rep.JoinLatency = &joins
	}
}

func serverUsage(before, start, end usage, connected int, keystrokes int64) *ServerUsage {
	u := &ServerUsage{Cores: round3(cores(start, end)), RSSBytes: end.rss}
	if connected > 0 {
		u.RSSPerConn = math.Round(float64(end.rss-before.rss) / float64(connected))
	}
	if keystrokes > 0 {
		u.CPUPerKeystrokeUS = round3(float64(end.cpu-start.cpu) / float64(time.Microsecond) / float64(keystrokes))
	}
	return u
}

func round3(x float64) float64 { return math.Round(x*1e3) / 1e3 }

// errorLog counts a run's errors and keeps the first few distinct ones.
type errorLog struct {
	mu      sync.Mutex
	n       int64
	samples []string
}

const maxErrorSamples = 5

func (l *errorLog) add(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.n++
	if msg := err.Error(); len(l.samples) < maxErrorSamples && !slices.Contains(l.samples, msg) {
		l.samples = append(l.samples, msg)
	}
}

func (l *errorLog) get() (int64, []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.n, slices.Clone(l.samples)
}
