package server

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/pairpad/pairpad/sandbox"
	"github.com/pairpad/pairpad/server/internal/httpapi"
	"github.com/pairpad/pairpad/store"
)

// Running code. POST /rooms/{roomId}/run runs the room's code, as its live document has it, in
// the sandbox (package sandbox), at the node that owns the room. Everyone watching the room
// sees the run live on GET /rooms/{roomId}/runs/events, a stream of server-sent events that
// only the server writes: a client can edit the document, but it cannot make an output look
// like a run's. Finished runs are kept in the store, the newest RunOptions.Keep of each room,
// so that who comes later sees them.

// RunOptions configure running code.
type RunOptions struct {
	// Sandbox runs the code. Nil turns running off: the run route answers 503 with Off.
	Sandbox *sandbox.Sandbox
	// Off says why Sandbox is nil, for the 503 ("RUN_ENABLED is false", or why the sandbox
	// does not work on this machine).
	Off string
	// Concurrency is how many runs the server runs at once (default the number of cores), and
	// Queue how many more may wait for one of them (default 4 × Concurrency); past that, a
	// run is refused with a 503.
	Concurrency, Queue int
	// RoomRate and AddressRate limit runs per room and per client address (defaults: one run
	// every 2 s with bursts of 5 per room; one a second with bursts of 10 per address).
	RoomRate, AddressRate RateLimit
	// Keep is how many finished runs of a room the store keeps (default 10).
	Keep int
}

func (o RunOptions) withDefaults() RunOptions {
	if o.Concurrency <= 0 {
		o.Concurrency = runtime.NumCPU()
	}
	if o.Queue <= 0 {
		o.Queue = 4 * o.Concurrency
	}
	o.RoomRate = o.RoomRate.withDefaults(RateLimit{Rate: 0.5, Burst: 5})
	o.AddressRate = o.AddressRate.withDefaults(RateLimit{Rate: 1, Burst: 10})
	if o.Keep <= 0 {
		o.Keep = 10
	}
	return o
}

// maxStarterName caps the name a run is started under, in bytes.
const maxStarterName = 64

// runEventBuffer is how many events a watcher may fall behind before it is dropped: its stream
// ends, and its EventSource reconnects and starts again from the room's runs.
const runEventBuffer = 256

// runInfo is what is known of a run from its start: the start event.
type runInfo struct {
	ID        string `json:"runId"`
	Language  string `json:"language"`
	StartedBy string `json:"startedBy"`
	StartedAt string `json:"startedAt"`
}

// runOutput is an output event: a chunk of a run's stdout or stderr.
type runOutput struct {
	ID     string `json:"runId"`
	Stream string `json:"stream"` // "stdout" or "stderr"
	Data   string `json:"data"`
}

// runResponse is a finished run: POST /rooms/{roomId}/run's answer, a finish event, and the
// runs of GET /rooms/{roomId}/runs.
type runResponse struct {
	runInfo
	ExitCode   int    `json:"exitCode"`
	Stdout     string `json:"stdout"`
	Stderr     string `json:"stderr"`
	DurationMs int64  `json:"durationMs"`
	TimedOut   bool   `json:"timedOut"`
	Truncated  bool   `json:"truncated"`
}

// runEvent is one server-sent event of a room's runs: name is start, output, finish, or runs
// (what a watcher gets first).
type runEvent struct {
	name string
	data any
}

// liveRun is a run in progress, as watchers who join in its middle need it.
type liveRun struct {
	info   runInfo
	output []runOutput
	stop   context.CancelFunc
}

// runsState is what a room's watchers get first: its finished runs, newest first, and the run
// in progress with its output so far, if one is.
type runsState struct {
	Runs   []runResponse `json:"runs"`
	Active *activeState  `json:"active"`
}

type activeState struct {
	runInfo
	Output []runOutput `json:"output"`
}

// runner runs rooms' code and tells each room's watchers.
type runner struct {
	opts  RunOptions
	store store.Runs
	slots chan struct{} // one per run running
	queue chan struct{} // one per run running or waiting
	// perRoom and perAddr limit runs per room id and per client address.
	perRoom, perAddr *httpapi.Limiter

	mu       sync.Mutex
	active   map[string]*liveRun                   // by room id
	watchers map[string]map[chan runEvent]struct{} // by room id
}

func newRunner(opts RunOptions, st store.Runs) *runner {
	opts = opts.withDefaults()
	return &runner{
		opts:     opts,
		store:    st,
		slots:    make(chan struct{}, opts.Concurrency),
		queue:    make(chan struct{}, opts.Concurrency+opts.Queue),
		perRoom:  httpapi.NewLimiter(opts.RoomRate.Rate, opts.RoomRate.Burst),
		perAddr:  httpapi.NewLimiter(opts.AddressRate.Rate, opts.AddressRate.Burst),
		active:   make(map[string]*liveRun),
		watchers: make(map[string]map[chan runEvent]struct{}),
	}
}

// runnable reports whether this server can run code in language id.
func (rn *runner) runnable(id string) bool {
	return rn.opts.Sandbox != nil && slices.Contains(rn.opts.Sandbox.Languages(), id)
}

var errRunning = errors.New("a run of this room is in progress")

// begin records a run of room starting with info, unless one is in progress; stop stops it.
func (rn *runner) begin(room string, info runInfo, stop context.CancelFunc) error {
	rn.mu.Lock()
	defer rn.mu.Unlock()
	if rn.active[room] != nil {
		return errRunning
	}
	rn.active[room] = &liveRun{info: info, stop: stop}
	rn.tellLocked(room, runEvent{"start", info})
	return nil
}

// output records and tells a chunk of the run in progress of room.
func (rn *runner) output(room string, out runOutput) {
	rn.mu.Lock()
	defer rn.mu.Unlock()
	if run := rn.active[room]; run != nil {
		run.output = append(run.output, out)
	}
	rn.tellLocked(room, runEvent{"output", out})
}

// finish forgets room's run in progress and tells its result.
func (rn *runner) finish(room string, res runResponse) {
	rn.mu.Lock()
	defer rn.mu.Unlock()
	delete(rn.active, room)
	rn.tellLocked(room, runEvent{"finish", res})
}

// stopRun stops the run id of room, and reports whether it was in progress.
func (rn *runner) stopRun(room, id string) bool {
	rn.mu.Lock()
	defer rn.mu.Unlock()
	run := rn.active[room]
	if run == nil || run.info.ID != id {
		return false
	}
	run.stop()
	return true
}

// watch subscribes to room's events, starting with a runs event of state (finished runs, from
// the store) and the run in progress. The channel is closed when the watcher falls
// runEventBuffer events behind; unwatch ends the subscription.
func (rn *runner) watch(room string, finished []runResponse) (events <-chan runEvent, unwatch func()) {
	ch := make(chan runEvent, runEventBuffer)
	rn.mu.Lock()
	defer rn.mu.Unlock()
	ch <- runEvent{"runs", rn.stateLocked(room, finished)}
	if rn.watchers[room] == nil {
		rn.watchers[room] = make(map[chan runEvent]struct{})
	}
	rn.watchers[room][ch] = struct{}{}
	return ch, func() {
		rn.mu.Lock()
		defer rn.mu.Unlock()
		rn.dropLocked(room, ch)
	}
}

// state returns room's runs: finished (from the store) and the run in progress.
func (rn *runner) state(room string, finished []runResponse) runsState {
	rn.mu.Lock()
	defer rn.mu.Unlock()
	return rn.stateLocked(room, finished)
}

func (rn *runner) stateLocked(room string, finished []runResponse) runsState {
	state := runsState{Runs: finished}
	if run := rn.active[room]; run != nil {
		state.Active = &activeState{runInfo: run.info, Output: slices.Clone(run.output)}
	}
	return state
}

// stopAll stops every run in progress.
func (rn *runner) stopAll() {
	rn.mu.Lock()
	defer rn.mu.Unlock()
	for _, run := range rn.active {
		run.stop()
	}
}

// tellLocked sends e to every watcher of room, and drops those too far behind.
func (rn *runner) tellLocked(room string, e runEvent) {
	for ch := range rn.watchers[room] {
		select {
		case ch <- e:
		default:
			rn.dropLocked(room, ch)
		}
	}
}

func (rn *runner) dropLocked(room string, ch chan runEvent) {
	ws := rn.watchers[room]
	if _, ok := ws[ch]; !ok {
		return
	}
	delete(ws, ch)
	close(ch)
	if len(ws) == 0 {
		delete(rn.watchers, room)
	}
}

var errRunQueueFull = errors.New("too many runs are waiting")

// slot waits for a slot to run in, and returns the function that gives it back; it fails at
// once when Queue runs are waiting already, or when ctx ends.
func (rn *runner) slot(ctx context.Context) (release func(), err error) {
	select {
	case rn.queue <- struct{}{}:
	default:
		return nil, errRunQueueFull
	}
	select {
	case rn.slots <- struct{}{}:
		return func() { <-rn.slots; <-rn.queue }, nil
	case <-ctx.Done():
		<-rn.queue
		return nil, ctx.Err()
	}
}

// fromStore returns a stored run as the API shows it.
func fromStore(r store.Run) runResponse {
	return runResponse{
		runInfo:  runInfo{ID: r.ID, Language: r.Language, StartedBy: r.StartedBy, StartedAt: formatRunTime(r.StartedAt)},
		ExitCode: r.ExitCode, Stdout: r.Stdout, Stderr: r.Stderr, DurationMs: r.Duration.Milliseconds(),
		TimedOut: r.TimedOut, Truncated: r.Truncated,
	}
}

// formatRunTime formats a run's start to the millisecond: runs may start within a second of
// each other.
func formatRunTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z07:00") }
