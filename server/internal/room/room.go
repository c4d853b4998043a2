package room

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/pairpad/pairpad/crdt"
	"github.com/pairpad/pairpad/crdt/protocol"
)

// ServerClientID is the client id of the edits the server makes itself (a room's starter text,
// language changes, merged whole-code updates). Yjs clients pick random 32-bit ids, so none
// takes 2^53-1 by accident; one that claims it on purpose is refused (crdt.Doc.ApplyPeerUpdate),
// so the server's clock only moves with its own edits, and an edit that would take it past
// crdt.MaxClock fails with crdt.ErrClockOverflow rather than write what no decoder reads.
const ServerClientID = crdt.MaxClientID

// Names of a room document's shared roots, the same for every client.
const (
	CodeRoot = "code"
	MetaRoot = "meta"
)

// Options tune a Room. The zero value means the defaults.
type Options struct {
	// CompactEntries and CompactBytes ask for a snapshot when the log after the newest one
	// exceeds either (defaults 500 entries, 1 MiB).
	CompactEntries int
	CompactBytes   int
	// KeepaliveInterval is how often every connection is given a chance to send something, so
	// that idle clients get a message (default 15 s; y-websocket clients reconnect after 30 s of
	// silence).
	KeepaliveInterval time.Duration
	// Awareness limits, per connection: past any, the connection is closed with 1008. Every
	// awareness message is relayed to every peer, and a state is kept until its client leaves.
	// MaxAwarenessStateBytes bounds one client's state (default 16 KiB; a cursor and a name
	// take about 200 bytes), MaxAwarenessEntries the entries of one message (default 16; a
	// y-websocket client sends its own), MaxAwarenessClients the client ids one connection
	// may set states for (default 8), and AwarenessRate the messages per second on average,
	// with bursts of twice as many (default 100; a client sends one per cursor move).
	MaxAwarenessStateBytes int
	MaxAwarenessEntries    int
	MaxAwarenessClients    int
	AwarenessRate          float64
	// MaxJSONMessageBytes bounds a message of the seed's JSON protocol (default 1 MiB): each is
	// a whole text, diffed against the versions its sender saw; a longer one closes the
	// connection with 1009. JSONRate bounds its messages per second on average, with bursts of 30
	// seconds' worth (default 100; the seed's app sends one per keystroke, and a paused server
	// finds them queued): each is compared with up to 16 MiB of versions, and one more closes the
	// connection with 1008.
	MaxJSONMessageBytes int
	JSONRate            float64
	// VersionPause is the pause in editing that ends a version of the room's history (default
	// 3 s), MaxVersionEntries the most entries a version spans (default 1000): a version that
	// is handed out once it ends, so this bounds what a crash loses of the one being written.
	VersionPause      time.Duration
	MaxVersionEntries int
	// CheckpointEntries spaces the snapshots kept for history (Snapshot.Checkpoint): one is
	// kept each time the log passes a multiple of it (default 1000), so that the text at any
	// entry is a checkpoint and at most about that many entries away.
	CheckpointEntries int
	// MaxConnections is how many connections the room takes (default 128); one more is closed
	// with 1013 (try again later) "room full".
	MaxConnections int
	// MaxRoomBytes bounds the room's document, measured as its newest snapshot plus the updates
	// accepted since (default 32 MiB): an update that adds content past it is refused, and its
	// connection closed with 4413 (a y-websocket client does not retry); deletions are always
	// taken.
	MaxRoomBytes int
	// InboundBytesPerSecond bounds what one client address sends the room, all its connections
	// together, on average (default 1 MiB/s), with bursts of InboundBurstBytes (default 16 MiB,
	// two of the largest messages); past it the connection that sent is closed with 1008. A
	// client that reconnects finds its budget as it left it.
	InboundBytesPerSecond float64
	InboundBurstBytes     float64
	// MaxPendingStructs and MaxPendingDeleteRanges bound the content the room's document keeps
	// waiting for content it has not received (defaults crdt.DefaultMaxPendingStructs and
	// crdt.DefaultMaxPendingDeleteRanges): it is retried as updates come, and sent to every
	// client that joins. An update that could take it past either closes its connection with
	// 1008 "too many pending changes".
	MaxPendingStructs      int
	MaxPendingDeleteRanges int
}

// docOptions returns the options of the room's document, edited as ServerClientID.
func (o Options) docOptions() crdt.Options {
	return crdt.Options{
		ClientID:               ServerClientID,
		MaxPendingStructs:      max(o.MaxPendingStructs, 0),
		MaxPendingDeleteRanges: max(o.MaxPendingDeleteRanges, 0),
	}
}

func (o Options) withDefaults() Options {
	if o.CompactEntries <= 0 {
		o.CompactEntries = 500
	}
	if o.CompactBytes <= 0 {
		o.CompactBytes = 1 << 20
	}
	if o.KeepaliveInterval <= 0 {
		o.KeepaliveInterval = 15 * time.Second
	}
	o.MaxAwarenessStateBytes = cmp.Or(max(o.MaxAwarenessStateBytes, 0), 16<<10)
	o.MaxJSONMessageBytes = cmp.Or(max(o.MaxJSONMessageBytes, 0), 1<<20)
	o.MaxAwarenessEntries = cmp.Or(max(o.MaxAwarenessEntries, 0), 16)
	o.MaxAwarenessClients = cmp.Or(max(o.MaxAwarenessClients, 0), 8)
	o.MaxConnections = cmp.Or(max(o.MaxConnections, 0), 128)
	o.MaxRoomBytes = cmp.Or(max(o.MaxRoomBytes, 0), 32<<20)
	if o.InboundBytesPerSecond <= 0 {
		o.InboundBytesPerSecond = 1 << 20
	}
	if o.InboundBurstBytes <= 0 {
		o.InboundBurstBytes = 16 << 20
	}
	if o.AwarenessRate <= 0 {
		o.AwarenessRate = 100
	}
	if o.JSONRate <= 0 {
		o.JSONRate = 100
	}
	if o.VersionPause <= 0 {
		o.VersionPause = 3 * time.Second
	}
	o.MaxVersionEntries = cmp.Or(max(o.MaxVersionEntries, 0), 1000)
	o.CheckpointEntries = cmp.Or(max(o.CheckpointEntries, 0), 1000)
	return o
}

// Stored is a room's durable state as the store returns it.
type Stored struct {
	Snapshot []byte     // the newest snapshot's state; nil for none
	Log      []LogEntry // the updates appended after it, in order
	LastSeq  uint64     // the sequence number of the last of them, or the snapshot's
	Links    []string   // the ids that open the room; nil for any (see Join.Link)
	Locked   bool       // every connection is a viewer (see Access)
}

// LogEntry is an update of the op log and its sequence number.
type LogEntry struct {
	Seq    uint64
	Update []byte
}

// SetAside is a log entry New could not apply, and why: the room loaded without it.
type SetAside struct {
	Seq uint64
	Err error
}

// Room is a live room's state machine. Create it with New; see the package doc.
type Room struct {
	opts      Options
	doc       *crdt.Doc
	text      *crdt.Text
	version   *crdt.TextVersion // the text's version, nil once an edit changed it (see codeVersion)
	meta      *crdt.Map
	awareness protocol.Awareness
	owners    map[uint64]*conn // the connection that set each awareness client's state last
	conns     map[ConnID]*conn
	inbound   map[string]*bucket // bytes received, by client address (see inboundOf)
	order     []*conn            // conns in the order they joined: every fan-out follows it
	// peersChanged says connections joined or left since the last Ready, which tells every
	// connection the new count once: a burst of n joins costs n messages, not n².
	peersChanged bool
	now          time.Time
	keepalive    time.Time // when the next keepalive is due

	accepted []accepted // accepted since the last Append was handed out
	inflight []accepted // handed out in Ready.Append, waiting for Committed
	waiting  []func()   // to run once nothing accepted is uncommitted

	lastSeq    uint64
	logEntries int // entries after the newest snapshot
	logBytes   int
	// compactWanted asks for a snapshot once everything is durable; snapEntries and snapBytes
	// are what the one being written covers.
	compactWanted, compacting bool
	snapEntries, snapBytes    int
	// snapshotBytes is the size of the newest snapshot (see size), snapshotWanted that of the
	// one being written.
	snapshotBytes, snapshotWanted int
	finalSnapshot                 bool // the snapshot of a stopping room was handed out

	// burst is the version being written (history.go); nil between versions; restores is the
	// room's bucket of restores.
	burst    *burst
	restores bucket

	// links are the ids that open the room (nil: any), locked makes every connection a viewer
	// (Access); lockClock is the clock of the awareness state that tells everyone (announceLock).
	links     []string
	locked    bool
	lockClock uint64

	stopping, stopped bool
	ready             Ready
	// setAside are the log entries New could not apply. They stay in the store for an operator
	// to look at: the room never compacts, which would drop them.
	setAside []SetAside
}

// accepted is an update the room accepted and has to commit.
type accepted struct {
	from   ConnID
	update []byte // as received, for the op log
	delta  []byte // what it added to the document, for relays; nil if nothing
	at     time.Time
	author string
	burst  *burst // the version it is part of
}

// New returns the room whose durable state is st, at time now. A snapshot that does not decode
// is an error: a room that cannot load must never start empty and overwrite what is stored
// (one holding more pending content than the caps loads without it, see loadSnapshot). A
// log entry that does not decode or apply is set aside (see SetAside) and the room loads
// without it: one bad entry, which a bug or an attack once let in, must not make the room
// unloadable for ever. The entries after it that depend on it wait as pending structs.
func New(opts Options, st Stored, now time.Time) (*Room, error) {
	opts = opts.withDefaults()
	doc, text, meta, err := loadSnapshot(opts, st.Snapshot)
	if err != nil {
		return nil, err
	}
	logBytes := 0
	var setAside []SetAside
	for _, e := range st.Log {
		logBytes += len(e.Update)
		if err := doc.ApplyUpdate(e.Update); err != nil {
			setAside = append(setAside, SetAside{Seq: e.Seq, Err: err})
		}
	}
	r := &Room{
		opts: opts, doc: doc, text: text, meta: meta,
		conns:         make(map[ConnID]*conn),
		owners:        make(map[uint64]*conn),
		inbound:       make(map[string]*bucket),
		now:           now,
		keepalive:     now.Add(opts.KeepaliveInterval),
		lastSeq:       st.LastSeq,
		logEntries:    len(st.Log),
		logBytes:      logBytes,
		setAside:      setAside,
		snapshotBytes: len(st.Snapshot),
	}
	r.setAccess(Access{Links: st.Links, Locked: st.Locked})
	return r, nil
}

// loadSnapshot returns a room document holding snapshot (nil for none). A snapshot holding more
// pending content than the document's caps, written before there were caps or with larger
// ones, loads without its pending content: refusing it would make the room unloadable.
func loadSnapshot(opts Options, snapshot []byte) (*crdt.Doc, *crdt.Text, *crdt.Map, error) {
	doc, text, meta, err := newDoc(opts)
	if err != nil || snapshot == nil {
		return doc, text, meta, err
	}
	err = doc.ApplyUpdate(snapshot)
	if errors.Is(err, crdt.ErrTooMuchPending) {
		snapshot, err = withoutPending(snapshot)
		if err == nil {
			err = doc.ApplyUpdate(snapshot)
		}
	}
	if err != nil {
		return nil, nil, nil, fmt.Errorf("room: snapshot: %w", err)
	}
	return doc, text, meta, nil
}

// withoutPending returns the state of the document snapshot holds, without its pending content.
func withoutPending(snapshot []byte) ([]byte, error) {
	doc, _, _, err := newDoc(Options{MaxPendingStructs: math.MaxInt, MaxPendingDeleteRanges: math.MaxInt})
	if err != nil {
		return nil, err
	}
	if err := doc.ApplyUpdate(snapshot); err != nil {
		return nil, err
	}
	doc.ExpirePending() // marks all that is pending
	doc.ExpirePending() // drops it
	return doc.EncodeStateAsUpdate(nil)
}

// Initial returns the initial state of a new room: its starter code and language.
func Initial(starter, language string) ([]byte, error) {
	doc, text, meta, err := newDoc(Options{})
	if err != nil {
		return nil, err
	}
	if _, err := doc.Transact(func(tx *crdt.Transaction) error {
		if err := text.Insert(tx, 0, starter); err != nil {
			return err
		}
		return meta.Set(tx, "language", language)
	}); err != nil {
		return nil, err
	}
	return doc.EncodeStateAsUpdate(nil)
}

// newDoc returns an empty room document with the limits of opts, as the server edits it, and
// its two roots.
func newDoc(opts Options) (*crdt.Doc, *crdt.Text, *crdt.Map, error) {
	doc, err := crdt.NewDoc(opts.docOptions())
	if err != nil {
		return nil, nil, nil, err
	}
	text, err := doc.GetText(CodeRoot)
	if err != nil {
		return nil, nil, nil, err
	}
	meta, err := doc.GetMap(MetaRoot)
	if err != nil {
		return nil, nil, nil, err
	}
	return doc, text, meta, nil
}

// Step hands the room one input. A stopped room answers queries with ErrStopped and ignores
// everything else.
func (r *Room) Step(in Input) {
	if r.stopped {
		if q, ok := in.(Query); ok {
			r.ready.Replies = append(r.ready.Replies, Reply{ID: q.ID, Err: ErrStopped})
		}
		if j, ok := in.(Join); ok {
			r.ready.Closes = append(r.ready.Closes, Close{Conn: j.Conn, Code: CloseGoingAway, Reason: "room closed"})
		}
		return
	}
	switch in := in.(type) {
	case Join:
		r.advance(in.At)
		r.join(in)
	case Receive:
		r.advance(in.At)
		if c := r.conns[in.Conn]; c != nil {
			r.receive(c, in.Frame)
		}
	case Leave:
		if c := r.conns[in.Conn]; c != nil {
			r.remove(c)
		}
	case Committed:
		r.advance(in.At)
		r.committed(in)
	case Compacted:
		r.compacted(in)
	case Tick:
		r.advance(in.Now)
		r.tick()
	case Query:
		r.advance(in.At)
		r.query(in)
	case Access:
		r.advance(in.At)
		r.setAccess(in)
	case Evict:
		for _, c := range slices.Clone(r.order) {
			r.close(c, in.Code, in.Reason, nil)
		}
	case Restore:
		r.advance(in.At)
		r.restore(in)
	case Stop:
		r.stopping = true
		r.endBurst()
	}
}

// Ready returns what the caller must do now (see Ready) and forgets it.
func (r *Room) Ready() Ready {
	if r.peersChanged {
		r.peersChanged = false
		r.broadcastPeers()
	}
	if !r.stopped {
		if r.inflight == nil && len(r.accepted) > 0 {
			r.handOutAppend()
		}
		if r.durable() && !r.compacting && r.compactWanted {
			r.handOutSnapshot(false)
		}
		if r.durable() && !r.compacting && r.stopping && r.logEntries > 0 && !r.finalSnapshot {
			r.finalSnapshot = true
			r.handOutSnapshot(true)
		}
		if r.durable() && !r.compacting && r.stopping { // written out, or nothing that may be
			r.stop(CloseGoingAway, "room closed", nil)
		}
	}
	rd := r.ready
	r.ready = Ready{}
	return rd
}

// NextTick returns when the room wants to be stepped with a Tick; zero once it stopped.
func (r *Room) NextTick() time.Time {
	if r.stopped {
		return time.Time{}
	}
	next := r.keepalive
	if r.burst != nil && r.burst.v.To.Add(r.opts.VersionPause).Before(next) {
		next = r.burst.v.To.Add(r.opts.VersionPause)
	}
	for _, c := range r.order {
		if !c.wake.IsZero() && c.wake.Before(next) {
			next = c.wake
		}
	}
	return next
}

func (r *Room) advance(t time.Time) {
	if t.After(r.now) {
		r.now = t
	}
}

func (r *Room) join(in Join) {
	c := &conn{id: in.Conn, role: in.Role, link: in.Link, session: in.Session, room: r, awareness: make(map[uint64]struct{}),
		address: in.Address, inbound: r.inboundOf(in.Address)}
	if r.stopping || r.conns[in.Conn] != nil {
		r.ready.Closes = append(r.ready.Closes, Close{Conn: in.Conn, Code: CloseGoingAway, Reason: "room closed"})
		return
	}
	if !r.opens(in.Link) {
		r.ready.Closes = append(r.ready.Closes, Close{Conn: in.Conn, Code: CloseLinkRevoked, Reason: "link revoked"})
		return
	}
	if len(r.order) >= r.opts.MaxConnections {
		r.ready.Closes = append(r.ready.Closes, Close{Conn: in.Conn, Code: CloseTryAgainLater, Reason: "room full",
			Err: fmt.Errorf("room: %d connections already, the most a room takes", len(r.order))})
		return
	}
	r.conns[c.id] = c
	r.order = append(r.order, c)
	r.peersChanged = true
	c.session.open(c)
}

// inboundOf returns the bucket of bytes received from address: the one its connections share,
// or a new one for an unknown address ("").
func (r *Room) inboundOf(address string) *bucket {
	if address == "" {
		return &bucket{}
	}
	b := r.inbound[address]
	if b == nil {
		b = &bucket{}
		r.inbound[address] = b
	}
	return b
}

// forgetInbound drops the buckets of addresses with no connection that have refilled: a new
// connection from them would start full anyway.
func (r *Room) forgetInbound() {
	for address, b := range r.inbound {
		full := b.tokens+r.opts.InboundBytesPerSecond*r.now.Sub(b.at).Seconds() >= r.opts.InboundBurstBytes
		if full && !slices.ContainsFunc(r.order, func(c *conn) bool { return c.address == address }) {
			delete(r.inbound, address)
		}
	}
}

func (r *Room) receive(c *conn, f Frame) {
	if !c.inbound.take(float64(len(f.Data)), r.opts.InboundBytesPerSecond, r.opts.InboundBurstBytes, r.now) {
		r.close(c, ClosePolicyViolation, "sending too fast", fmt.Errorf("room: over %.0f bytes a second", r.opts.InboundBytesPerSecond))
		return
	}
	err := c.session.receive(c, f)
	if err == nil {
		return
	}
	ce, ok := errors.AsType[*closeError](err)
	if !ok {
		ce = &closeError{code: CloseInvalidPayload, reason: "malformed message", err: err}
	}
	r.close(c, ce.code, ce.reason, ce.err)
}

// close closes a connection and removes it from the room at once.
func (r *Room) close(c *conn, code CloseCode, reason string, err error) {
	if c.left {
		return
	}
	r.ready.Closes = append(r.ready.Closes, Close{Conn: c.id, Code: code, Reason: reason, Err: err})
	r.remove(c)
}

// remove takes a connection out of the room and announces that the awareness states it set are
// gone.
func (r *Room) remove(c *conn) {
	c.left = true
	delete(r.conns, c.id)
	r.order = slices.DeleteFunc(r.order, func(o *conn) bool { return o == c })
	clients := slices.Sorted(maps.Keys(c.awareness))
	for _, id := range clients {
		delete(r.owners, id)
	}
	if removed, update := r.awareness.Remove(clients); len(removed) > 0 {
		r.broadcastAwareness(nil, update)
	}
	r.peersChanged = true
}

// claimAwareness records that c set the states of the clients an awareness update added or
// updated (a client that reconnects moves to its new connection) and no longer has those it
// removed. It costs what the update changed, whatever the number of connections.
func (r *Room) claimAwareness(c *conn, changes protocol.Changes) {
	for _, id := range slices.Concat(changes.Added, changes.Updated) {
		if prev := r.owners[id]; prev != nil && prev != c {
			delete(prev.awareness, id)
		}
		r.owners[id] = c
		c.awareness[id] = struct{}{}
	}
	for _, id := range changes.Removed {
		if r.owners[id] == c {
			delete(r.owners, id)
		}
		delete(c.awareness, id)
	}
}

func (r *Room) broadcastPeers() {
	count := &peerCount{n: len(r.order)}
	for _, c := range r.order {
		c.session.peers(c, count)
	}
}

// peerCount is the number of a room's connections, as the sessions tell it, encoded once for
// every connection of a protocol.
type peerCount struct {
	n    int
	json []byte // the seed protocol's user_count message
}

func (p *peerCount) seedMessage() []byte {
	if p.json == nil {
		p.json, _ = json.Marshal(seedMessage{Type: "user_count", Count: &p.n})
	}
	return p.json
}

// broadcastAwareness hands an awareness update to every connection but from.
func (r *Room) broadcastAwareness(from *conn, update []byte) {
	a := &awarenessUpdate{update: update}
	for _, c := range r.order {
		if c != from {
			c.session.awareness(c, a)
		}
	}
}

// awarenessUpdate is an awareness update (as Awareness.Apply reads it) being relayed: the
// y-websocket message that carries it is encoded once for every receiver.
type awarenessUpdate struct {
	update  []byte
	message []byte
}

func (a *awarenessUpdate) encoded() []byte {
	if a.message == nil {
		a.message = protocol.EncodeAwarenessMessage(a.update)
	}
	return a.message
}

// apply integrates an update from c and queues it for commit. No connection may write as
// ServerClientID: the server's own edits must stay the server's to number.
func (r *Room) apply(c *conn, update []byte) error {
	author := c.author()
	b := r.burstFor(author, r.codeVersion) // before the document changes
	r.version = nil
	delta, err := r.doc.ApplyPeerUpdate(update, ServerClientID)
	keep := err == nil && (delta != nil || !empty(update)) // else nothing to keep (a new y-websocket client's sync step 2)
	r.accept(b, keep)
	if keep {
		r.accepted = append(r.accepted, accepted{from: c.id, update: update, delta: delta, at: r.now, author: author, burst: b})
	}
	return err
}

// codeVersion returns the text's version, built once for all the JSON clients sent it until
// the next edit (building one walks the whole text).
func (r *Room) codeVersion() *crdt.TextVersion {
	if r.version == nil {
		r.version = r.text.Version()
	}
	return r.version
}

// errRoomFull refuses an update that would grow the document past Options.MaxRoomBytes.
var errRoomFull = errors.New("room: the document is at its size limit")

// fits reports whether the document may take an update of n more bytes that adds content.
func (r *Room) fits(n int) bool { return r.size()+n <= r.opts.MaxRoomBytes }

// size is the document's size as Options.MaxRoomBytes measures it: the newest snapshot, the log
// entries after it, and the updates accepted and not committed yet.
func (r *Room) size() int {
	n := r.snapshotBytes + r.logBytes
	for _, pending := range [...][]accepted{r.inflight, r.accepted} {
		for _, a := range pending {
			n += len(a.update)
		}
	}
	return n
}

// transact runs an edit on behalf of session ("" for the server) and queues its update for
// commit. Edits fn made before failing are kept and committed, as in crdt.Doc.Transact.
func (r *Room) transact(session ConnID, fn func(tx *crdt.Transaction) error) error {
	author := r.authorOf(session)
	b := r.burstFor(author, r.codeVersion)
	r.version = nil
	update, err := r.doc.Transact(fn)
	r.accept(b, update != nil)
	if update != nil {
		r.accepted = append(r.accepted, accepted{from: session, update: update, delta: update, at: r.now, author: author, burst: b})
	}
	return err
}

// empty reports whether an update holds no struct and no deletion.
func empty(update []byte) bool {
	u, err := crdt.DecodeUpdate(update)
	return err == nil && u.NumStructs() == 0 && len(u.DeleteSet()) == 0
}

func (r *Room) durable() bool { return len(r.accepted) == 0 && r.inflight == nil }

func (r *Room) whenDurable(fn func()) {
	if r.durable() {
		fn()
		return
	}
	r.waiting = append(r.waiting, fn)
}

func (r *Room) runWaiting() {
	for r.durable() && len(r.waiting) > 0 {
		fns := r.waiting
		r.waiting = nil
		for _, fn := range fns {
			fn()
		}
	}
}

func (r *Room) handOutAppend() {
	r.inflight, r.accepted = r.accepted, nil
	r.ready.Append = make([]Update, len(r.inflight))
	for i, a := range r.inflight {
		r.ready.Append[i] = Update{Data: a.update, Time: a.at, Session: a.from, Author: a.author}
	}
}

func (r *Room) committed(in Committed) {
	if r.inflight == nil {
		return
	}
	b := &batch{updates: r.inflight}
	r.inflight = nil
	if in.Err != nil {
		r.stop(CloseInternalError, "storage unavailable", in.Err)
		return
	}
	r.lastSeq = in.Seq
	first := in.Seq + 1 - uint64(len(b.updates))
	for i, a := range b.updates {
		r.logEntries++
		r.logBytes += len(a.update)
		r.committedToBurst(a, first+uint64(i))
	}
	for _, c := range slices.Clone(r.order) {
		if !c.left {
			c.session.committed(c, b)
		}
	}
	r.runWaiting()
	// A large document is written again less often: its log may reach half its snapshot.
	if r.logEntries >= r.opts.CompactEntries || r.logBytes >= max(r.opts.CompactBytes, r.snapshotBytes/2) {
		r.compactWanted = true
	}
}

// handOutSnapshot hands out the room's state to replace the log (the caller checks it, see
// Snapshot; final for the one of a stopping room), unless the log holds entries set aside, which compaction would drop. The document
// first drops the pending content it held at the previous compaction already
// (crdt.Doc.ExpirePending): content that waits a whole compaction interval waits for what its
// sender never delivered, and an honest client that has it sends it again, with what depends
// on it, when it syncs.
func (r *Room) handOutSnapshot(final bool) {
	r.compactWanted = false
	if len(r.setAside) > 0 {
		return
	}
	r.doc.ExpirePending()
	state, err := r.doc.EncodeStateAsUpdate(nil)
	if err != nil {
		r.ready.Errors = append(r.ready.Errors, fmt.Errorf("room: not compacting: %w", err))
		return
	}
	r.compacting = true
	r.snapEntries, r.snapBytes, r.snapshotWanted = r.logEntries, r.logBytes, len(state)
	want := snapshotWant{opts: r.opts, stateVector: r.doc.EncodeStateVector(), code: r.text.String()}
	n := uint64(r.opts.CheckpointEntries)
	checkpoint := r.lastSeq/n > (r.lastSeq-uint64(r.logEntries))/n // the log passed a multiple of n
	r.ready.Snapshot = &Snapshot{Seq: r.lastSeq, State: state, Final: final, Checkpoint: checkpoint, want: want}
}

func (r *Room) compacted(in Compacted) {
	if !r.compacting {
		return
	}
	r.compacting = false
	if in.Err == nil {
		r.logEntries -= r.snapEntries
		r.logBytes -= r.snapBytes
		r.snapshotBytes = r.snapshotWanted
	}
}

// stop closes every connection and ends the room; queries still waiting get ErrStopped.
func (r *Room) stop(code CloseCode, reason string, err error) {
	for _, c := range slices.Clone(r.order) {
		r.ready.Closes = append(r.ready.Closes, Close{Conn: c.id, Code: code, Reason: reason, Err: err})
		c.left = true
	}
	r.order, r.conns = nil, nil
	r.stopped = true
	r.ready.Stopped = true
	fns := r.waiting
	r.waiting = nil
	for _, fn := range fns {
		fn()
	}
}

func (r *Room) tick() {
	r.forgetInbound()
	r.endIdleBurst()
	if _, update := r.awareness.Tick(r.now); update != nil {
		r.broadcastAwareness(nil, update)
	}
	keepalive := !r.now.Before(r.keepalive)
	if keepalive {
		r.keepalive = r.now.Add(r.opts.KeepaliveInterval)
		if r.locked {
			r.announceLock() // renewed, or clients drop it after protocol.OutdatedTimeout
		}
	}
	for _, c := range slices.Clone(r.order) {
		due := !c.wake.IsZero() && !r.now.Before(c.wake)
		if due {
			c.wake = time.Time{}
		}
		if (due || keepalive) && !c.left {
			c.session.tick(c, keepalive)
		}
	}
}

func (r *Room) query(q Query) {
	if !r.opens(q.Link) {
		r.ready.Replies = append(r.ready.Replies, Reply{ID: q.ID, Err: ErrLinkRevoked})
		return
	}
	if q.Language != "" && !r.mayEdit(q.Role) {
		r.ready.Replies = append(r.ready.Replies, Reply{ID: q.ID, Err: ErrReadOnly})
		return
	}
	if q.Language != "" {
		if err := r.transact("", func(tx *crdt.Transaction) error { return r.meta.Set(tx, "language", q.Language) }); err != nil {
			r.ready.Replies = append(r.ready.Replies, Reply{ID: q.ID, Err: err})
			return
		}
	}
	r.whenDurable(func() {
		reply := Reply{ID: q.ID, Err: ErrStopped}
		if !r.stopped {
			reply = Reply{ID: q.ID, Code: r.text.String(), Language: r.language(), Seq: r.lastSeq}
			if q.History {
				reply.Open = r.openVersion()
			}
		}
		r.ready.Replies = append(r.ready.Replies, reply)
	})
}

// language returns the room's language as its document says.
func (r *Room) language() string { return languageOf(r.meta) }

// languageOf returns the language a room document's meta map holds, "" for none.
func languageOf(meta *crdt.Map) string {
	if v, ok := meta.Get("language"); ok {
		if s, ok := v.(string); ok {
			return s
		}
	}
	return ""
}

// batch is the updates of one commit, now durable, to relay.
type batch struct {
	updates []accepted
	// toAll is the sync message relaying every update of the batch, merged and encoded once
	// for every connection.
	toAll []byte
}

// changed reports whether any update of the batch changed the document.
func (b *batch) changed() bool {
	return slices.ContainsFunc(b.updates, func(a accepted) bool { return a.delta != nil })
}

// syncMessage returns the y-websocket message relaying the batch's deltas to c, or nil if c
// sent every one of them. Every connection gets the same message, merged and encoded once: one
// that sent some of the updates gets its own structs back too, which a Yjs peer skips as
// known (y-websocket's own server sends every update to its sender as well). A merge for each
// sender without its own updates cost a merge per sender, in a busy room each commit.
func (b *batch) syncMessage(c *conn) ([]byte, error) {
	fromOthers := slices.ContainsFunc(b.updates, func(a accepted) bool { return a.delta != nil && a.from != c.id })
	if !fromOthers {
		return nil, nil
	}
	if b.toAll == nil {
		var deltas [][]byte
		for _, a := range b.updates {
			if a.delta != nil {
				deltas = append(deltas, a.delta)
			}
		}
		update := deltas[0]
		if len(deltas) > 1 {
			var err error
			if update, err = crdt.MergeUpdates(deltas...); err != nil {
				return nil, fmt.Errorf("room: merge updates to relay: %w", err)
			}
		}
		b.toAll = protocol.EncodeSyncUpdate(update)
	}
	return b.toAll, nil
}

// LockState is the awareness state of ServerClientID while the room is locked (Lock): clients
// show a locked room read-only. An unlocked room has no state of ServerClientID.
const LockState = `{"room":{"locked":true}}`

// setAccess sets the room's links, closing the connections whose link is gone, and its lock,
// telling everyone if that changed.
func (r *Room) setAccess(a Access) {
	r.links = a.Links
	for _, c := range slices.Clone(r.order) {
		if !r.opens(c.link) {
			r.close(c, CloseLinkRevoked, "link revoked", nil)
		}
	}
	if a.Locked != r.locked {
		r.locked = a.Locked
		r.announceLock()
	}
}

// mayEdit reports whether role may edit the room: an editor, in a room not locked. It is the
// one place where a role is checked (conn.mayEdit and query ask it).
func (r *Room) mayEdit(role Role) bool { return role == Editor && !r.locked }

// opens reports whether link opens the room ("" always does: the server's own inputs).
func (r *Room) opens(link string) bool {
	return link == "" || r.links == nil || slices.Contains(r.links, link)
}

// announceLock sets ServerClientID's awareness state to LockState if the room is locked, or
// removes it, with the next clock, and relays that to everyone.
func (r *Room) announceLock() {
	r.lockClock++
	entry := protocol.Entry{Client: ServerClientID, Clock: r.lockClock}
	if r.locked {
		entry.State = json.RawMessage(LockState)
	}
	if changes := r.awareness.ApplyEntries([]protocol.Entry{entry}, r.now); !changes.Empty() {
		r.broadcastAwareness(nil, protocol.EncodeAwarenessUpdate([]protocol.Entry{entry}))
	}
}
