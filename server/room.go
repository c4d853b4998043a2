package server

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/rs/zerolog"

	"github.com/pairpad/pairpad/server/internal/room"
	"github.com/pairpad/pairpad/store"
)

// liveRoom runs one room's core (room.Room) on a goroutine of its own: it steps the core with
// what the room's connections, its timer and REST handlers send it, and carries out each Ready:
// it queues frames on connections, appends to the op log, writes snapshots and answers queries.
// The goroutine owns the fields below the channels; everything else reaches it through inbox.
type liveRoom struct {
	id     string
	m      *rooms
	log    zerolog.Logger
	inbox  chan envelope
	stop   chan struct{} // closed (under m.mu) to stop the room
	loaded chan struct{} // closed once the document is loaded (or failed to)
	// exited is cancelled when the goroutine has exited (a context, so that a connection can
	// wait for it with context.AfterFunc).
	exited    context.Context
	exit      context.CancelFunc
	loadErr   error
	refs      int    // guarded by m.mu
	stopping  bool   // guarded by m.mu
	idleSince uint64 // guarded by m.mu: counts the times refs fell to 0, so that a linger timer knows it is stale

	core      *room.Room
	peers     map[room.ConnID]*peer
	replies   map[uint64]chan<- room.Reply
	lastQuery uint64
	timer     *time.Timer
	// epoch is the room's lease epoch (0 without leases), which fences its writes; set
	// before loaded is closed.
	epoch uint64
	// leaseUntil is when this node stops counting on the lease, by its own clock (Unix ns),
	// and lost is set once it has: the room then writes nothing more.
	leaseUntil atomic.Int64
	lost       atomic.Bool
	// historyFrom is where boundHistory last trimmed the history (0: it has not); only the
	// compaction goroutines, one at a time, use it.
	historyFrom uint64
}

// inboxSize is how many inputs may wait for a room's goroutine; connections that send more wait
// (backpressure). The goroutine takes everything waiting before it commits.
const inboxSize = 64

// envelope is one input for a room's goroutine, with what the goroutine needs besides the
// input itself: the connection that joins, or where to send a query's reply.
type envelope struct {
	input room.Input
	peer  *peer             // with a room.Join
	reply chan<- room.Reply // with a room.Query; buffered
}

func newLiveRoom(m *rooms, id string) *liveRoom {
	exited, exit := context.WithCancel(context.Background())
	return &liveRoom{
		exited:  exited,
		exit:    exit,
		id:      id,
		m:       m,
		log:     m.log.With().Str("room", id).Logger(),
		inbox:   make(chan envelope, inboxSize),
		stop:    make(chan struct{}),
		loaded:  make(chan struct{}),
		peers:   make(map[room.ConnID]*peer),
		replies: make(map[uint64]chan<- room.Reply),
	}
}

func (r *liveRoom) run() {
	defer r.m.wg.Done()
	defer r.exit()
	defer r.m.forget(r)
	defer r.releaseLease()
	if !r.load() {
		return
	}
	r.timer = time.NewTimer(time.Until(r.core.NextTick()))
	defer r.timer.Stop()
	stop := r.stop
	for {
		select {
		case env := <-r.inbox:
			r.step(env)
			// Take whatever else is waiting, then commit it all at once (group commit).
			for n := 0; n < cap(r.inbox) && len(r.inbox) > 0; n++ {
				r.step(<-r.inbox)
			}
		case now := <-r.timer.C:
			r.core.Step(room.Tick{Now: now})
		case <-stop:
			for len(r.inbox) > 0 {
				r.step(<-r.inbox)
			}
			r.core.Step(room.Stop{})
			stop = nil // the room may go on a while, waiting for a snapshot's write
		}
		if !r.act() {
			return
		}
	}
}

func (r *liveRoom) load() bool {
	defer close(r.loaded)
	ctx, cancel := context.WithTimeout(context.Background(), r.m.opts.StoreTimeout)
	defer cancel()
	start := time.Now()
	// The lease is taken first: nothing this node reads of the room may change but through it.
	err := r.takeLease(ctx)
	var meta store.Room
	if err == nil {
		// The access is read first: one replaced meanwhile is handed to this instance (setAccess).
		meta, err = r.m.store.Room(ctx, r.id)
	}
	var snap store.Snapshot
	var entries []store.Entry
	if err == nil {
		snap, entries, err = r.m.store.Load(ctx, r.id)
	}
	var st room.Stored
	if err == nil {
		st = stored(snap, entries)
		st.Links, st.Locked = roomLinks(meta.Access), meta.Access.Locked
		r.core, err = room.New(r.m.opts.core(), st, time.Now())
	}
	r.m.metrics.loadSeconds.Observe(since(start))
	var away *ownedElsewhere
	elsewhere := errors.As(err, &away)
	if err != nil && !isNotFound(err) && !elsewhere {
		r.m.metrics.storeErrors.WithLabelValues(opLoad).Inc()
	}
	if err != nil {
		r.loadErr = err
		if !isNotFound(err) && !elsewhere {
			r.log.Error().Err(err).Msg("load room")
		}
		return false
	}
	r.recoverVersion(ctx, st.LastSeq)
	// Not fatal: the room works, and a sweep of expired rooms never deletes a live one.
	if err := r.m.store.MarkOpened(ctx, r.id, time.Now()); err != nil {
		r.m.metrics.storeErrors.WithLabelValues(opOpen).Inc()
		r.log.Warn().Err(err).Msg("record that the room was opened")
	}
	for _, e := range r.core.SetAside() {
		r.m.metrics.entriesSetAside.Inc()
		r.log.Error().Err(e.Err).Uint64("seq", e.Seq).Msg("log entry set aside: the room loaded without it and keeps its log uncompacted")
	}
	r.log.Debug().Uint64("seq", snap.Seq).Int("log_entries", len(entries)).Msg("room loaded")
	return true
}

// stored is what the store returned, as the room's core reads it.
func stored(snap store.Snapshot, entries []store.Entry) room.Stored {
	st := room.Stored{Snapshot: snap.State, LastSeq: snap.Seq, Log: make([]room.LogEntry, len(entries))}
	for i, e := range entries {
		st.Log[i] = room.LogEntry{Seq: e.Seq, Update: e.Update}
		st.LastSeq = e.Seq
	}
	return st
}

// boundHistory drops about the older half of the room's history, from historyFrom to seq (the
// snapshot just written), if the store holds more of it than RoomOptions.MaxHistoryBytes. It runs after a compaction, on the
// compaction's goroutine: one at a time.
func (r *liveRoom) boundHistory(seq uint64) {
	ctx, cancel := context.WithTimeout(context.Background(), r.m.opts.StoreTimeout)
	defer cancel()
	n, err := r.m.store.HistoryBytes(ctx, r.id)
	if err != nil || n <= r.m.opts.MaxHistoryBytes || seq <= r.historyFrom {
		return
	}
	// The history can start only at a checkpoint: the newest one in its older half, or the
	// snapshot just written.
	before := seq
	if cp, err := r.m.store.Checkpoint(ctx, r.id, r.historyFrom+(seq-r.historyFrom)/2); err == nil && cp.Seq > r.historyFrom {
		before = cp.Seq
	}
	if err := r.m.store.TrimHistory(ctx, r.id, before); err != nil {
		r.m.metrics.storeErrors.WithLabelValues(opCompact).Inc()
		r.log.Warn().Err(err).Msg("trim the history")
		return
	}
	r.historyFrom = before
	r.log.Info().Int64("history_bytes", n).Uint64("before", before).Msg("history over MAX_HISTORY_BYTES: its older half dropped")
}

// putVersion stores a version of the room's history. A failure is not fatal: the entries it
// sums up are stored, and only the timeline lacks it.
func (r *liveRoom) putVersion(v room.Version) {
	if r.lost.Load() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), r.m.opts.StoreTimeout)
	defer cancel()
	if err := r.m.store.PutVersion(ctx, r.id, storeVersion(v)); err != nil {
		r.m.metrics.storeErrors.WithLabelValues(opVersion).Inc()
		r.log.Warn().Err(err).Uint64("from_seq", v.FromSeq).Msg("store a version of the history")
	}
}

// await returns the id of an input whose Reply goes to reply.
func (r *liveRoom) await(reply chan<- room.Reply) uint64 {
	r.lastQuery++
	r.replies[r.lastQuery] = reply
	return r.lastQuery
}

// step hands the core one input, keeping what the goroutine needs to act on its answers.
func (r *liveRoom) step(env envelope) {
	switch in := env.input.(type) {
	case room.Join:
		if r.peers[in.Conn] != nil {
			env.peer.close(websocket.StatusGoingAway, "connection id in use")
			return
		}
		r.peers[in.Conn] = env.peer
	case room.Leave:
		delete(r.peers, in.Conn)
	case room.Query:
		in.ID, in.At = r.await(env.reply), time.Now()
		env.input = in
	case room.Restore:
		in.ID, in.At = r.await(env.reply), time.Now()
		env.input = in
	}
	r.core.Step(env.input)
}

// act carries out the core's Ready until there is nothing left to do, and reports whether the
// room goes on.
func (r *liveRoom) act() bool {
	for {
		rd := r.core.Ready()
		if rd.Empty() {
			break
		}
		for _, m := range rd.Messages {
			if p := r.peers[m.Conn]; p != nil && !p.send(m.Frame) {
				// Too slow: out of the room at once, not once its close handshake is over.
				r.step(envelope{input: room.Leave{Conn: m.Conn}})
			}
		}
		for _, c := range rd.Closes {
			r.closePeer(c)
		}
		for _, reply := range rd.Replies {
			if ch, ok := r.replies[reply.ID]; ok {
				ch <- reply // buffered: never blocks
				delete(r.replies, reply.ID)
			}
		}
		for _, err := range rd.Errors {
			r.log.Error().Err(err).Msg("room")
		}
		if len(rd.Append) > 0 {
			r.m.metrics.updatesIn.Add(float64(len(rd.Append)))
			seq, err := r.append(rd.Append)
			r.core.Step(room.Committed{Seq: seq, Err: err, At: time.Now()})
		}
		for _, v := range rd.Versions {
			r.putVersion(v)
		}
		switch {
		case rd.Snapshot != nil && rd.Snapshot.Final:
			r.core.Step(room.Compacted{Err: r.checkAndWrite(*rd.Snapshot)})
		case rd.Snapshot != nil:
			go r.compact(*rd.Snapshot)
		}
		if rd.Stopped {
			r.log.Debug().Msg("room unloaded")
			return false
		}
	}
	r.timer.Reset(time.Until(r.core.NextTick()))
	return true
}

func (r *liveRoom) closePeer(c room.Close) {
	p := r.peers[c.Conn]
	if p == nil {
		return
	}
	if c.Err != nil && c.Code != room.CloseInternalError {
		r.log.Info().Err(c.Err).Str("conn", string(c.Conn)).Int("code", int(c.Code)).Msg("closing a connection")
	}
	p.close(websocket.StatusCode(c.Code), c.Reason)
}

// append commits the updates to the op log, in the next group commit of the server's rooms.
func (r *liveRoom) append(updates []room.Update) (uint64, error) {
	entries := make([]store.Entry, len(updates))
	for i, u := range updates {
		entries[i] = store.Entry{Update: u.Data, Time: u.Time, Session: string(u.Session), Author: u.Author}
	}
	res := r.m.committer.commit(store.Batch{Room: r.id, Entries: entries, Epoch: r.epoch})
	if r.fenced(res.Err) {
		r.log.Warn().Int("updates", len(updates)).Msg("append refused: another node owns the room now; closing it")
	} else if res.Err != nil {
		r.log.Error().Err(res.Err).Int("updates", len(updates)).Msg("append to the op log failed; closing the room")
	}
	return res.LastSeq, res.Err
}

// compact checks a snapshot and writes it, dropping the log it covers, then tells the room how
// it went. It runs on a goroutine of its own: a large room's snapshot takes a while to check
// (it is decoded whole) and to write, and the room goes on meanwhile; it waits for the
// outcome before it stops (a stopping room's final snapshot is written in place instead). A
// failure is not fatal: the log still holds everything.
func (r *liveRoom) compact(snap room.Snapshot) {
	err := r.checkAndWrite(snap)
	if err == nil {
		r.boundHistory(snap.Seq)
	}
	select {
	case r.inbox <- envelope{input: room.Compacted{Err: err}}: // the room waits for it
	case <-r.exited.Done(): // it stopped anyway: its store refused a commit
	}
}

// checkAndWrite checks a snapshot and, if it loads back, writes it.
func (r *liveRoom) checkAndWrite(snap room.Snapshot) error {
	if err := snap.Check(); err != nil {
		r.log.Error().Err(err).Msg("not compacting: the snapshot does not load back")
		return err
	}
	return r.writeSnapshot(snap)
}

// writeSnapshot writes a snapshot, dropping the log it covers.
func (r *liveRoom) writeSnapshot(snap room.Snapshot) error {
	if r.lost.Load() {
		return store.ErrLeaseLost
	}
	ctx, cancel := context.WithTimeout(context.Background(), r.m.opts.StoreTimeout)
	defer cancel()
	start := time.Now()
	err := r.m.store.Compact(ctx, r.id, store.Snapshot{Seq: snap.Seq, State: snap.State, Checkpoint: snap.Checkpoint, Epoch: r.epoch})
	r.m.metrics.compactSeconds.Observe(since(start))
	if r.fenced(err) {
		return err
	}
	if err != nil {
		r.m.metrics.storeErrors.WithLabelValues(opCompact).Inc()
		r.log.Warn().Err(err).Msg("compact op log")
	}
	return err
}

// post queues an input for the room's goroutine without waiting for it to be handled.
func (r *liveRoom) post(ctx context.Context, env envelope) error {
	select {
	case <-r.exited.Done():
		return errRoomClosed
	default:
	}
	select {
	case r.inbox <- env:
		return nil
	case <-r.exited.Done():
		return errRoomClosed
	case <-ctx.Done():
		return ctx.Err()
	}
}
