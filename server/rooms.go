package server

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/pairpad/pairpad/crdt"
	"github.com/pairpad/pairpad/store"
)

// serverClientID is the client id of the edits the server makes itself (a room's starter text,
// language changes, merged legacy edits). Yjs clients pick 32-bit ids, so it never collides.
const serverClientID = crdt.MaxClientID

// Names of a room document's shared roots, the same for every client.
const (
	codeRoot = "code"
	metaRoot = "meta"
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
	// LegacyInterval is the least time between two code_update messages to a legacy client
	// (default 50 ms).
	LegacyInterval time.Duration
	// StoreTimeout bounds each store call (default 10 s).
	StoreTimeout time.Duration
}

func (o RoomOptions) withDefaults() RoomOptions {
	if o.SendQueue <= 0 {
		o.SendQueue = 256
	}
	if o.CompactEntries <= 0 {
		o.CompactEntries = 500
	}
	if o.CompactBytes <= 0 {
		o.CompactBytes = 1 << 20
	}
	if o.KeepaliveInterval <= 0 {
		o.KeepaliveInterval = 15 * time.Second
	}
	if o.LegacyInterval <= 0 {
		o.LegacyInterval = 50 * time.Millisecond
	}
	if o.StoreTimeout <= 0 {
		o.StoreTimeout = 10 * time.Second
	}
	return o
}

// errRoomClosed reports a room that stopped (it is being unloaded or failed).
var errRoomClosed = errors.New("room closed")

// rooms owns the live rooms: it loads a room on first use and unloads it once its last user is
// gone. Exactly one goroutine owns each live room's document.
type rooms struct {
	store store.Store
	log   zerolog.Logger
	opts  RoomOptions

	mu    sync.Mutex
	live  map[string]*room
	wg    sync.WaitGroup
	close bool
}

func newRooms(st store.Store, log zerolog.Logger, opts RoomOptions) *rooms {
	return &rooms{store: st, log: log, opts: opts.withDefaults(), live: make(map[string]*room)}
}

// acquire returns the live room id, loading it if needed; release must follow. A room that
// fails to load is an error, never an empty document.
func (m *rooms) acquire(ctx context.Context, id string) (*room, error) {
	for {
		m.mu.Lock()
		if m.close {
			m.mu.Unlock()
			return nil, errRoomClosed
		}
		r := m.live[id]
		if r == nil {
			r = newRoom(m, id)
			m.live[id] = r
			m.wg.Add(1)
			go r.run()
		}
		if r.stopping {
			// Wait until the old instance is gone: two instances must never share a log.
			m.mu.Unlock()
			select {
			case <-r.done:
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

// release drops a reference; the last one stops the room, which flushes and unloads it.
func (m *rooms) release(r *room) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r.refs--
	if r.refs == 0 && !r.stopping {
		r.stopping = true
		close(r.stop)
	}
}

// forget removes a stopped room from the live set.
func (m *rooms) forget(r *room) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.live[r.id] == r {
		delete(m.live, r.id)
	}
	if !r.stopping {
		r.stopping = true
		close(r.stop)
	}
}

// shutdown stops every room, which closes their connections as going away and flushes them,
// and waits for them until ctx ends.
func (m *rooms) shutdown(ctx context.Context) error {
	m.mu.Lock()
	m.close = true
	for _, r := range m.live {
		if !r.stopping {
			r.stopping = true
			close(r.stop)
		}
	}
	m.mu.Unlock()
	done := make(chan struct{})
	go func() { m.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// count returns how many rooms are live.
func (m *rooms) count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.live)
}

// post queues fn for the room's goroutine without waiting for it to run.
func (r *room) post(ctx context.Context, fn func()) error {
	select {
	case <-r.done:
		return errRoomClosed
	default:
	}
	select {
	case r.inbox <- fn:
		return nil
	case <-r.done:
		return errRoomClosed
	case <-ctx.Done():
		return ctx.Err()
	}
}

// withRoom runs fn on the goroutine of room id (loading it if needed) and returns once what
// fn saw and did is durable: nobody learns of an update before it is committed.
func (m *rooms) withRoom(ctx context.Context, id string, fn func(r *room) error) error {
	r, err := m.acquire(ctx, id)
	if err != nil {
		return err
	}
	defer m.release(r)
	var fnErr error
	committed := make(chan struct{})
	err = r.post(ctx, func() {
		fnErr = fn(r)
		r.afterCommit = append(r.afterCommit, func() { close(committed) })
	})
	if err != nil {
		return err
	}
	select {
	case <-committed:
		return fnErr
	case <-r.done:
		return errRoomClosed
	case <-ctx.Done():
		return ctx.Err()
	}
}

// loadDoc rebuilds a room's document from its newest snapshot and the log after it.
func loadDoc(ctx context.Context, st store.Store, id string) (*crdt.Doc, uint64, int, int, error) {
	snap, entries, err := st.Load(ctx, id)
	if err != nil {
		return nil, 0, 0, 0, err
	}
	doc, err := crdt.NewDoc(crdt.Options{ClientID: serverClientID})
	if err != nil {
		return nil, 0, 0, 0, err
	}
	if snap.State != nil {
		if err := doc.ApplyUpdate(snap.State); err != nil {
			return nil, 0, 0, 0, fmt.Errorf("room %s: snapshot %d: %w", id, snap.Seq, err)
		}
	}
	seq, size := snap.Seq, 0
	for _, e := range entries {
		if err := doc.ApplyUpdate(e.Update); err != nil {
			return nil, 0, 0, 0, fmt.Errorf("room %s: log entry %d: %w", id, e.Seq, err)
		}
		seq = e.Seq
		size += len(e.Update)
	}
	return doc, seq, len(entries), size, nil
}

// newRoomDoc returns the initial state of a new room: its starter code and language.
func newRoomDoc(starter, language string) ([]byte, error) {
	doc, err := crdt.NewDoc(crdt.Options{ClientID: serverClientID})
	if err != nil {
		return nil, err
	}
	text, err := doc.GetText(codeRoot)
	if err != nil {
		return nil, err
	}
	meta, err := doc.GetMap(metaRoot)
	if err != nil {
		return nil, err
	}
	_, err = doc.Transact(func(tx *crdt.Transaction) error {
		if err := text.Insert(tx, 0, starter); err != nil {
			return err
		}
		return meta.Set(tx, "language", language)
	})
	if err != nil {
		return nil, err
	}
	return doc.EncodeStateAsUpdate(nil)
}
