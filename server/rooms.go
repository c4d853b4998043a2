package server

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/pairpad/pairpad/server/internal/room"
	"github.com/pairpad/pairpad/store"
)

// RoomOptions tune rooms. The zero value means the defaults.
type RoomOptions struct {
	// SendQueue is how many messages a connection may have waiting; a consumer that falls
	// further behind is closed (default 256).
	SendQueue int
	// CompactEntries and CompactBytes trigger a snapshot when the log after the newest one
	// exceeds either (defaults 500 entries, 1 MiB).
	CompactEntries int
	CompactBytes   int
	// KeepaliveInterval is how often idle clients get a message (default 15 s; y-websocket
	// clients reconnect after 30 s of silence).
	KeepaliveInterval time.Duration
	// SeedInterval is the least time between two code_update messages to a client of the
	// seed's JSON protocol (default 50 ms).
	SeedInterval time.Duration
	// StoreTimeout bounds each store call (default 10 s).
	StoreTimeout time.Duration
	// MaxRoomBytes bounds a room's document (default 32 MiB; see room.Options).
	MaxRoomBytes int
	// MaxPendingStructs and MaxPendingDeleteRanges bound what a room's document keeps waiting
	// for content it never received (see room.Options).
	MaxPendingStructs, MaxPendingDeleteRanges int
	// Linger is how long a room stays loaded after its last user left (0: it unloads at
	// once), so that a page reload, or a client that reconnects in a loop, does not load a
	// large room again each time.
	Linger time.Duration
	// VersionPause is the pause in editing that ends a version of a room's history (default
	// 3 s; see room.Options).
	VersionPause time.Duration
	// MaxHistoryBytes bounds what the store keeps of a room's history, its op log and
	// checkpoints (default 256 MiB): after a compaction that finds it larger, the older half
	// of its entries is dropped (store.History.TrimHistory).
	MaxHistoryBytes int64
}

func (o RoomOptions) withDefaults() RoomOptions {
	if o.SendQueue <= 0 {
		o.SendQueue = 256
	}
	if o.MaxHistoryBytes <= 0 {
		o.MaxHistoryBytes = 256 << 20
	}
	if o.SeedInterval <= 0 {
		o.SeedInterval = room.DefaultSeedInterval
	}
	if o.StoreTimeout <= 0 {
		o.StoreTimeout = 10 * time.Second
	}
	return o
}

// core returns the options of a room's core.
func (o RoomOptions) core() room.Options {
	return room.Options{CompactEntries: o.CompactEntries, CompactBytes: o.CompactBytes, KeepaliveInterval: o.KeepaliveInterval,
		MaxRoomBytes: o.MaxRoomBytes, MaxPendingStructs: o.MaxPendingStructs, MaxPendingDeleteRanges: o.MaxPendingDeleteRanges,
		VersionPause: o.VersionPause}
}

// errRoomClosed reports a room that stopped (it is being unloaded or failed).
var errRoomClosed = errors.New("room closed")

// rooms owns the live rooms: it loads a room on first use and unloads it once its last user is
// gone. Exactly one goroutine owns each live room's document. A room is deleted only through
// deleteIdle, never while it is live, and no room loads while its deletion runs.
type rooms struct {
	store     store.Store
	cluster   *cluster // nil: the store has no leases
	committer *committer
	metrics   *metrics
	log       zerolog.Logger
	opts      RoomOptions

	mu     sync.Mutex
	live   map[string]*liveRoom
	idleCh chan struct{} // closed once no room is live
	wg     sync.WaitGroup
	close  bool
	// deleting holds the rooms deleteIdle is deleting from the store, each with a channel
	// closed once it is over; acquire waits for it.
	deleting map[string]chan struct{}
	// accessMu makes owners' changes of rooms' access one at a time (changeAccess). With
	// several nodes, a room's owner makes them (REST writes are forwarded to it).
	accessMu sync.Mutex
	// stopLeases ends keepLeases, and leasesDone is closed when it has.
	stopLeases context.CancelFunc
	leasesDone chan struct{}
}

func newRooms(st store.Store, cl *cluster, log zerolog.Logger, opts RoomOptions, m *metrics) *rooms {
	opts = opts.withDefaults()
	c := newCommitter(st, opts.StoreTimeout, m)
	go c.run()
	rs := &rooms{store: st, cluster: cl, committer: c, metrics: m, log: log, opts: opts, live: make(map[string]*liveRoom),
		deleting: make(map[string]chan struct{})}
	if cl != nil {
		ctx, cancel := context.WithCancel(context.Background())
		rs.stopLeases, rs.leasesDone = cancel, make(chan struct{})
		go func() { defer close(rs.leasesDone); rs.keepLeases(ctx) }()
	}
	return rs
}

// acquire returns the live room id, loading it if needed; release must follow. A room that
// fails to load is an error, never an empty document. A room being deleted is loaded once its
// deletion is over: then it is not found, unless the deletion failed.
func (m *rooms) acquire(ctx context.Context, id string) (*liveRoom, error) {
	for {
		m.mu.Lock()
		if m.close {
			m.mu.Unlock()
			return nil, errRoomClosed
		}
		if deleted := m.deleting[id]; deleted != nil {
			m.mu.Unlock()
			select {
			case <-deleted:
				continue
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		r := m.live[id]
		if r == nil {
			r = newLiveRoom(m, id)
			m.live[id] = r
			m.metrics.roomsLive.Inc()
			m.wg.Add(1)
			go r.run()
		}
		if r.stopping {
			// Wait until the old instance is gone: two instances must never share a log.
			m.mu.Unlock()
			select {
			case <-r.exited.Done():
				continue
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		r.refs++
		m.mu.Unlock()
		select {
		case <-r.loaded:
		case <-ctx.Done():
			m.release(r)
			return nil, ctx.Err()
		}
		if r.loadErr != nil {
			m.release(r)
			return nil, r.loadErr
		}
		return r, nil
	}
}

// deleteIdle deletes room id from the store unless it is live (loading, loaded or unloading)
// here or, by its lease, on another node, and reports whether it did: a live room is in use,
// and stays. While the store deletes it, no instance of the room loads (acquire waits), so a
// client gets either the room as it was or ErrNotFound, never a room whose log is going away
// beneath it.
func (m *rooms) deleteIdle(ctx context.Context, id string) (deleted bool, err error) {
	m.mu.Lock()
	if m.close {
		m.mu.Unlock()
		return false, errRoomClosed
	}
	if m.live[id] != nil || m.deleting[id] != nil {
		m.mu.Unlock()
		return false, nil
	}
	defer m.startDeleting(id)()
	m.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, m.opts.StoreTimeout)
	defer cancel()
	if m.cluster != nil { // live on another node?
		l, err := m.cluster.leases.LeaseOf(ctx, id)
		if err != nil && !isNotFound(err) {
			return false, err
		}
		if l.Held {
			return false, nil
		}
	}
	if err := m.store.DeleteRoom(ctx, id); err != nil {
		return false, err
	}
	return true, nil
}

// deleteLive deletes room id for its owner, live or not: its connections are closed with 4404,
// it stops (committing what it accepted), and then the store deletes it. No instance of the
// room loads meanwhile.
func (m *rooms) deleteLive(ctx context.Context, id string) error {
	m.mu.Lock()
	for m.deleting[id] != nil { // another deletion of it: wait for it, then find it gone
		over := m.deleting[id]
		m.mu.Unlock()
		select {
		case <-over:
		case <-ctx.Done():
			return ctx.Err()
		}
		m.mu.Lock()
	}
	if m.close {
		m.mu.Unlock()
		return errRoomClosed
	}
	r := m.live[id]
	defer m.startDeleting(id)()
	m.mu.Unlock()
	if r != nil {
		_ = r.post(ctx, envelope{input: room.Evict{Code: room.CloseCode(closeUnknownRoom), Reason: "room deleted"}})
		m.stopRoom(r)
		select {
		case <-r.exited.Done():
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	ctx, cancel := context.WithTimeout(ctx, m.opts.StoreTimeout)
	defer cancel()
	return m.store.DeleteRoom(ctx, id)
}

// startDeleting records, under m.mu, that room id is being deleted, so that acquire waits; it
// returns what ends that, to call without m.mu held.
func (m *rooms) startDeleting(id string) (done func()) {
	over := make(chan struct{})
	m.deleting[id] = over
	return func() {
		m.mu.Lock()
		delete(m.deleting, id)
		m.mu.Unlock()
		close(over)
	}
}

// stopRoom stops r, which flushes and unloads it.
func (m *rooms) stopRoom(r *liveRoom) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r.stopLocked()
}

// stopLocked stops r unless it is stopping already; m.mu must be held.
func (r *liveRoom) stopLocked() {
	if !r.stopping {
		r.stopping = true
		close(r.stop)
	}
}

// isLive reports whether room id is loaded on this node (or loading).
func (m *rooms) isLive(id string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.live[id] != nil
}

// release drops a reference; the last one stops the room, which flushes and unloads it, once
// it has had no user for opts.Linger.
func (m *rooms) release(r *liveRoom) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r.refs--
	if r.refs > 0 || r.stopping {
		return
	}
	if m.opts.Linger <= 0 {
		r.stopLocked()
		return
	}
	r.idleSince++
	idle := r.idleSince
	time.AfterFunc(m.opts.Linger, func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		if r.refs == 0 && r.idleSince == idle {
			r.stopLocked()
		}
	})
}

// forget removes a stopped room from the live set.
func (m *rooms) forget(r *liveRoom) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.live[r.id] == r {
		delete(m.live, r.id)
		m.metrics.roomsLive.Dec()
	}
	if len(m.live) == 0 && m.idleCh != nil {
		close(m.idleCh)
		m.idleCh = nil
	}
	r.stopLocked()
}

// shutdown stops every room, which closes their connections as going away and flushes them,
// and waits for them until ctx ends.
func (m *rooms) shutdown(ctx context.Context) error {
	m.mu.Lock()
	m.close = true
	for _, r := range m.live {
		r.stopLocked()
	}
	m.mu.Unlock()
	done := make(chan struct{})
	go func() { m.wg.Wait(); close(done) }()
	select {
	case <-done:
		m.committer.shutdown()
		if m.stopLeases != nil {
			m.stopLeases()
			<-m.leasesDone
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// idle returns a channel that is closed once no room is live.
func (m *rooms) idle() <-chan struct{} {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.idleCh == nil {
		m.idleCh = make(chan struct{})
		if len(m.live) == 0 {
			close(m.idleCh)
			ch := m.idleCh
			m.idleCh = nil
			return ch
		}
	}
	return m.idleCh
}

// count returns how many rooms are live.
func (m *rooms) count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.live)
}

// query asks g's room (loading it if needed) for its code and language, once everything it
// accepted before is durable, after setting its language first if language is not empty and
// role may (else room.ErrReadOnly); with history, also for the version being written.
func (m *rooms) query(ctx context.Context, g grant, language string, history bool) (room.Reply, error) {
	return m.ask(ctx, g.room.ID, room.Query{Language: language, Role: g.role, Link: g.link, History: history, At: time.Now()})
}

// restore asks g's room to make its code code, the text of entry seq (room.Restore), and
// returns the seq of that edit.
func (m *rooms) restore(ctx context.Context, g grant, code string, seq uint64) (uint64, error) {
	reply, err := m.ask(ctx, g.room.ID, room.Restore{Code: code, Seq: seq, Role: g.role, Link: g.link, At: time.Now()})
	return reply.Seq, err
}

// ask hands room id (loading it if needed) an input that is answered with a Reply, and waits
// for that.
func (m *rooms) ask(ctx context.Context, id string, in room.Input) (room.Reply, error) {
	r, err := m.acquire(ctx, id)
	if err != nil {
		return room.Reply{}, err
	}
	defer m.release(r)
	reply := make(chan room.Reply, 1)
	if err := r.post(ctx, envelope{input: in, reply: reply}); err != nil {
		return room.Reply{}, err
	}
	select {
	case rep := <-reply:
		if errors.Is(rep.Err, room.ErrStopped) {
			return rep, errRoomClosed
		}
		return rep, rep.Err
	case <-r.exited.Done():
		return room.Reply{}, errRoomClosed
	case <-ctx.Done():
		return room.Reply{}, ctx.Err()
	}
}
