package server

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/coder/websocket"
	"github.com/rs/zerolog"

	"github.com/pairpad/pairpad/crdt"
	"github.com/pairpad/pairpad/crdt/protocol"
	"github.com/pairpad/pairpad/store"
)

// room is one live room. Its goroutine (run) owns the document and every field below the
// channels; everything else reaches it through inbox.
type room struct {
	id       string
	m        *rooms
	log      zerolog.Logger
	inbox    chan func()
	stop     chan struct{} // closed (under m.mu) to stop the room
	loaded   chan struct{} // closed once the document is loaded (or failed to)
	done     chan struct{} // closed when the goroutine has exited
	loadErr  error
	refs     int  // guarded by m.mu
	stopping bool // guarded by m.mu

	doc       *crdt.Doc
	text      *crdt.Text
	meta      *crdt.Map
	awareness protocol.Awareness
	peers     map[*peer]struct{}

	// Updates accepted since the last commit, and what to relay once they are durable.
	batch  [][]byte
	relays []relay
	// afterCommit runs once what is accepted so far is durable: replies that reveal the
	// document's state wait for it too.
	afterCommit []func()
	// The log after the newest snapshot.
	lastSeq    uint64
	logEntries int
	logBytes   int

	legacyTimer  *time.Timer
	legacyLastAt time.Time
}

// relay is an accepted update to send, once committed, to every peer but its sender.
type relay struct {
	from   *peer
	update []byte
}

func newRoom(m *rooms, id string) *room {
	return &room{
		id:     id,
		m:      m,
		log:    m.log.With().Str("room", id).Logger(),
		inbox:  make(chan func(), 256),
		stop:   make(chan struct{}),
		loaded: make(chan struct{}),
		done:   make(chan struct{}),
		peers:  make(map[*peer]struct{}),
	}
}

func (r *room) run() {
	defer r.m.wg.Done()
	defer close(r.done)
	defer r.m.forget(r)
	if !r.load() {
		return
	}
	keepalive := time.NewTicker(r.m.opts.KeepaliveInterval)
	defer keepalive.Stop()
	for {
		select {
		case fn := <-r.inbox:
			fn()
			// Take whatever else is waiting, then commit it all at once (group commit).
			for n := 0; n < cap(r.inbox) && len(r.inbox) > 0; n++ {
				(<-r.inbox)()
			}
			if !r.flush() {
				return
			}
		case now := <-keepalive.C:
			r.tick(now)
			if !r.flush() {
				return
			}
		case <-r.stop:
			r.shutdown()
			return
		}
	}
}

func (r *room) load() bool {
	defer close(r.loaded)
	ctx, cancel := context.WithTimeout(context.Background(), r.m.opts.StoreTimeout)
	defer cancel()
	doc, seq, entries, size, err := loadDoc(ctx, r.m.store, r.id)
	if err == nil {
		r.text, err = doc.GetText(codeRoot)
	}
	if err == nil {
		r.meta, err = doc.GetMap(metaRoot)
	}
	if err != nil {
		r.loadErr = err
		if !isNotFound(err) {
			r.log.Error().Err(err).Msg("load room")
		}
		return false
	}
	r.doc, r.lastSeq, r.logEntries, r.logBytes = doc, seq, entries, size
	r.log.Debug().Uint64("seq", seq).Int("log_entries", entries).Msg("room loaded")
	return true
}

// shutdown flushes the room, compacts its log and closes its peers as going away.
func (r *room) shutdown() {
	for len(r.inbox) > 0 {
		(<-r.inbox)()
	}
	if r.flush() && r.logEntries > 0 {
		r.compact()
	}
	r.afterCommit = nil
	for p := range r.peers {
		p.close(websocket.StatusGoingAway, "room closed")
	}
	if r.legacyTimer != nil {
		r.legacyTimer.Stop()
	}
	r.log.Debug().Msg("room unloaded")
}

// applyUpdate integrates an update a peer sent and queues it for commit and relay.
func (r *room) applyUpdate(from *peer, update []byte) error {
	delta, err := r.doc.ApplyUpdateAndEncode(update)
	if err != nil {
		return err
	}
	r.batch = append(r.batch, update)
	if delta != nil {
		r.relays = append(r.relays, relay{from: from, update: delta})
	}
	return nil
}

// transact runs a server-side edit and queues its update for commit and relay to everyone. It
// returns fn's error; the edits fn made before it stay and are queued too (see crdt.Doc.Transact).
func (r *room) transact(from *peer, fn func(tx *crdt.Transaction) error) error {
	update, err := r.doc.Transact(fn)
	if update != nil {
		r.batch = append(r.batch, update)
		r.relays = append(r.relays, relay{from: from, update: update})
	}
	return err
}

// flush commits the accepted updates in one append and then relays them: nobody sees an update
// before it is durable. A failed commit closes the room; clients keep their edits and resend
// them when they reconnect.
func (r *room) flush() bool {
	if len(r.batch) > 0 && !r.commit() {
		return false
	}
	for len(r.afterCommit) > 0 {
		fns := r.afterCommit
		r.afterCommit = nil
		for _, fn := range fns {
			fn()
		}
	}
	r.scheduleLegacy()
	if r.logEntries >= r.m.opts.CompactEntries || r.logBytes >= r.m.opts.CompactBytes {
		r.compact()
	}
	return true
}

// commit appends the batch to the op log and relays its updates.
func (r *room) commit() bool {
	ctx, cancel := context.WithTimeout(context.Background(), r.m.opts.StoreTimeout)
	seq, err := r.m.store.Append(ctx, r.id, r.batch)
	cancel()
	if err != nil {
		r.log.Error().Err(err).Int("updates", len(r.batch)).Msg("append to the op log failed; closing the room")
		for p := range r.peers {
			p.close(websocket.StatusInternalError, "storage unavailable")
		}
		r.m.forget(r)
		return false
	}
	for _, u := range r.batch {
		r.logBytes += len(u)
	}
	r.logEntries += len(r.batch)
	r.lastSeq = seq
	clear(r.batch)
	r.batch = r.batch[:0]
	r.relay()
	if len(r.relays) > 0 {
		r.markLegacyDirty()
	}
	clear(r.relays)
	r.relays = r.relays[:0]
	return true
}

// compact writes the document as the newest snapshot, dropping the log it covers.
func (r *room) compact() {
	state, err := r.doc.EncodeStateAsUpdate(nil)
	if err != nil {
		r.log.Error().Err(err).Msg("encode snapshot")
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), r.m.opts.StoreTimeout)
	defer cancel()
	if err := r.m.store.Compact(ctx, r.id, store.Snapshot{Seq: r.lastSeq, State: state}); err != nil {
		// Not fatal: the log still holds everything.
		r.log.Warn().Err(err).Msg("compact op log")
		return
	}
	r.logEntries, r.logBytes = 0, 0
}

// relay sends the committed updates to the Yjs peers, each peer one message with every update
// but its own: a batch of hundreds of updates must not flood (and overflow) send queues.
func (r *room) relay() {
	if len(r.relays) == 0 {
		return
	}
	bySender := make(map[*peer][][]byte)
	var all [][]byte
	for _, rl := range r.relays {
		all = append(all, rl.update)
		bySender[rl.from] = append(bySender[rl.from], rl.update)
	}
	merged := func(updates [][]byte) []byte {
		u, err := crdt.MergeUpdates(updates...)
		if err != nil {
			// The updates came from the document itself; this cannot happen.
			r.log.Error().Err(err).Msg("merge updates to relay")
			return nil
		}
		return protocol.EncodeSyncUpdate(u)
	}
	toAll := merged(all)
	for p := range r.peers {
		if p.legacy {
			continue
		}
		own, sent := bySender[p]
		switch {
		case !sent && toAll != nil:
			p.send(outMessage{data: toAll})
		case len(own) < len(all):
			others := make([][]byte, 0, len(all)-len(own))
			for _, rl := range r.relays {
				if rl.from != p {
					others = append(others, rl.update)
				}
			}
			if msg := merged(others); msg != nil {
				p.send(outMessage{data: msg})
			}
		}
	}
}

// tick sends keepalives and expires awareness states nobody renewed.
func (r *room) tick(now time.Time) {
	if _, update := r.awareness.Tick(now); update != nil {
		r.broadcast(nil, protocol.EncodeAwarenessMessage(update))
	}
	// An awareness update with no entries: y-websocket clients reconnect after 30 s without
	// a message, and applying it changes nothing.
	keepalive := protocol.EncodeAwarenessMessage(protocol.EncodeAwarenessUpdate(nil))
	r.broadcast(nil, keepalive)
}

// broadcast sends a binary message to every Yjs peer but from.
func (r *room) broadcast(from *peer, msg []byte) {
	for p := range r.peers {
		if p != from && !p.legacy {
			p.send(outMessage{data: msg})
		}
	}
}

// join registers a peer and greets it: Yjs peers get the server's state vector and everyone's
// awareness, legacy peers the code; every legacy peer gets the new user count.
func (r *room) join(p *peer) {
	r.peers[p] = struct{}{}
	if p.legacy {
		p.dirty = true // sent the code once what the room accepted so far is durable
	} else {
		p.send(outMessage{data: protocol.EncodeSyncStep1(r.doc.EncodeStateVector())})
		if clients := r.awareness.Clients(); len(clients) > 0 {
			p.send(outMessage{data: protocol.EncodeAwarenessMessage(r.awareness.EncodeUpdate(clients))})
		}
	}
	r.sendUserCount()
}

// leave unregisters a peer and announces that the awareness states it set are gone.
func (r *room) leave(p *peer) {
	if _, ok := r.peers[p]; !ok {
		return
	}
	delete(r.peers, p)
	if removed, update := r.awareness.Remove(p.awarenessClients); len(removed) > 0 {
		r.broadcast(p, protocol.EncodeAwarenessMessage(update))
	}
	r.sendUserCount()
}

func (r *room) sendUserCount() {
	count := len(r.peers)
	msg, _ := json.Marshal(legacyMessage{Type: "user_count", Count: &count})
	for p := range r.peers {
		if p.legacy {
			p.send(outMessage{text: true, data: msg})
		}
	}
}

// handleYjs handles one message of a Yjs peer. An error closes that peer as malformed.
func (r *room) handleYjs(p *peer, msg protocol.Message) error {
	switch msg.Type {
	case protocol.MessageSync:
		switch msg.SyncType {
		case protocol.SyncStep1:
			sv := msg.Payload
			if _, err := crdt.DecodeStateVector(sv); err != nil {
				return err
			}
			// Answer once what the room accepted so far is durable.
			r.afterCommit = append(r.afterCommit, func() {
				state, err := r.doc.EncodeStateAsUpdate(sv)
				if err != nil {
					p.close(websocket.StatusInternalError, "encode state")
					return
				}
				p.send(outMessage{data: protocol.EncodeSyncStep2(state)})
			})
		case protocol.SyncStep2, protocol.SyncUpdate:
			return r.applyUpdate(p, msg.Payload)
		}
	case protocol.MessageAwareness:
		changes, err := r.awareness.Apply(msg.Payload, time.Now())
		if err != nil {
			return err
		}
		// The connection controls the clients it added until it removes them, as in
		// y-websocket's server; they are announced gone when it closes.
		p.awarenessClients = append(p.awarenessClients, changes.Added...)
		p.awarenessClients = slices.DeleteFunc(p.awarenessClients, func(c uint64) bool { return slices.Contains(changes.Removed, c) })
		if !changes.Empty() {
			r.broadcast(p, protocol.EncodeAwarenessMessage(msg.Payload))
		}
	case protocol.MessageQueryAwareness:
		p.send(outMessage{data: protocol.EncodeAwarenessMessage(r.awareness.EncodeUpdate(r.awareness.Clients()))})
	case protocol.MessageAuth:
		// Permissions are not used: every peer of a room may edit it.
	}
	return nil
}

// language returns the room's language as its document says.
func (r *room) language() string {
	if v, ok := r.meta.Get("language"); ok {
		if s, ok := v.(string); ok {
			return s
		}
	}
	return ""
}
