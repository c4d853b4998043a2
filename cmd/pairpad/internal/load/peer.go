package load

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/coder/websocket"

	"github.com/pairpad/pairpad/crdt"
	"github.com/pairpad/pairpad/crdt/protocol"
)

var (
	errProtocol         = errors.New("load: protocol error")
	errPermissionDenied = errors.New("load: permission denied by the server")
)

// maxMessageBytes bounds a message from the server, a sync step 2 with a whole room among them.
const maxMessageBytes = 64 << 20

// peer is one client: a Yjs document of its own, synced with its room over one connection.
// Its reader goroutine applies what the server sends and records when other peers'
// keystrokes arrive; one scheduler types on it.
type peer struct {
	run  *run
	room *room
	wire wire
	// measured peers record the latency of the keystrokes they receive (the churning clients
	// do not).
	measured bool

	conn    *websocket.Conn
	synced  chan struct{} // closed when the first sync step 2 is applied
	done    chan struct{} // closed when the reader has returned
	closing atomic.Bool   // set before the run closes the connection: its end is no error
	failed  atomic.Bool   // the connection failed

	mu   sync.Mutex // guards doc and text, which the reader and the scheduler share
	doc  *crdt.Doc
	text *crdt.Text

	// The keystrokes sent, written by the scheduler and read by the other peers' readers:
	// sent[i] is when keystroke i (clock base+i) was sent, in nanoseconds since the run's
	// epoch, for i < nsent. The run sizes sent before typing starts; it never changes after.
	sent  []int64
	nsent atomic.Int64
	base  uint64 // this client's clock when it synced; set before the reader closes synced

	// The reader's own state.
	in        bytes.Buffer
	isSynced  bool
	seen      crdt.StateVector // the state vector after the last message applied
	latencies []int64          // of the measured keystrokes received, in nanoseconds
	received  atomic.Int64     // the other peers' keystrokes received, measured or not
}

func newPeer(r *run, rm *room, id uint64, measured bool) (*peer, error) {
	doc, err := crdt.NewDoc(crdt.Options{ClientID: id})
	if err != nil {
		return nil, err
	}
	text, err := doc.GetText("code")
	if err != nil {
		return nil, err
	}
	return &peer{
		run: r, room: rm, wire: newWire(r.opts.Protocol, rm.name), measured: measured,
		synced: make(chan struct{}), done: make(chan struct{}),
		doc: doc, text: text,
	}, nil
}

// connect dials the peer's room, starts its reader and starts the sync. The caller waits on
// synced and done.
func (p *peer) connect(ctx context.Context) error {
	conn, resp, err := websocket.Dial(ctx, p.wire.url(p.run.opts.URL), nil)
	if err != nil {
		close(p.done)
		if resp != nil && resp.StatusCode == http.StatusTooManyRequests {
			return fmt.Errorf("dial: %w (pairpad limits the sockets of one address: start it with MAX_CONNECTIONS_PER_ADDRESS=0)", err)
		}
		return fmt.Errorf("dial: %w", err)
	}
	conn.SetReadLimit(maxMessageBytes)
	p.conn = conn
	go p.read()
	for _, f := range p.wire.hello() {
		p.send(f)
	}
	p.mu.Lock()
	sv := p.doc.EncodeStateVector()
	p.mu.Unlock()
	p.send(p.wire.frame(protocol.EncodeSyncStep1(sv)))
	p.send(p.wire.frame(protocol.EncodeAwarenessMessage(protocol.EncodeAwarenessUpdate([]protocol.Entry{{
		Client: p.doc.ClientID(), Clock: 1, State: []byte(`{"user":{"name":"pairpad load"}}`),
	}}))))
	return nil
}

// send writes a frame; a failure fails the connection. Writes have no deadline of their own:
// closing the connection unblocks them.
func (p *peer) send(frame []byte) {
	if err := p.conn.Write(context.Background(), websocket.MessageBinary, frame); err != nil {
		p.fail(err)
	}
}

// ready tells whether the peer has synced and its connection has not failed since.
func (p *peer) ready() bool {
	select {
	case <-p.synced:
		return !p.failed.Load()
	default:
		return false
	}
}

// close closes the connection normally and waits for the reader to return.
func (p *peer) close() {
	if p.conn == nil {
		return
	}
	p.closing.Store(true)
	_ = p.conn.Close(websocket.StatusNormalClosure, "")
	<-p.done
}

// fail records the connection's failure once, unless the run is closing it, and closes it.
func (p *peer) fail(err error) {
	if p.closing.Load() || p.failed.Swap(true) {
		return
	}
	p.run.errs.add(err)
	_ = p.conn.CloseNow()
}

func (p *peer) read() {
	defer close(p.done)
	for {
		_, r, err := p.conn.Reader(context.Background())
		if err == nil {
			p.in.Reset()
			_, err = p.in.ReadFrom(r)
		}
		if err == nil {
			err = p.handle(p.in.Bytes())
		}
		if err != nil {
			p.fail(err)
			return
		}
	}
}

// handle applies one frame of the server.
func (p *peer) handle(frame []byte) error {
	msg, err := p.wire.unframe(frame)
	if err != nil || msg == nil {
		return err
	}
	m, err := protocol.DecodeMessage(msg)
	switch {
	case errors.Is(err, protocol.ErrUnknownMessageType):
		return nil // y-websocket ignores them too
	case err != nil:
		return err
	case m.Type == protocol.MessageAuth:
		return fmt.Errorf("%w: %s", errPermissionDenied, m.Reason)
	case m.Type != protocol.MessageSync:
		return nil
	case m.SyncType == protocol.SyncStep1:
		p.mu.Lock()
		state, err := p.doc.EncodeStateAsUpdate(m.Payload)
		p.mu.Unlock()
		if err != nil {
			return err
		}
		p.send(p.wire.frame(protocol.EncodeSyncStep2(state)))
		return nil
	}
	return p.apply(m.Payload, m.SyncType == protocol.SyncStep2)
}

// apply integrates an update and records the keystrokes it completed.
func (p *peer) apply(update []byte, step2 bool) error {
	p.mu.Lock()
	err := p.doc.ApplyUpdate(update)
	sv := p.doc.StateVector()
	p.mu.Unlock()
	if err != nil {
		return err
	}
	if !p.isSynced {
		if step2 {
			p.isSynced, p.seen, p.base = true, sv, sv[p.doc.ClientID()]
			close(p.synced)
		}
		return nil // an update before the sync step 2 is in it too: it measures nothing
	}
	if p.measured {
		p.record(sv, p.run.now())
	}
	p.seen = sv
	return nil
}

// record notes the arrival of every keystroke of another peer of the room that sv holds and
// the previous state vector did not: one update relayed for several keystrokes counts for each.
func (p *peer) record(sv crdt.StateVector, now int64) {
	var n int64
	for client, clock := range sv {
		from := p.seen[client]
		sender := p.room.senders[client]
		if clock <= from || sender == nil || sender == p {
			continue
		}
		for k := from; k < clock; k++ {
			at, ok := sender.sentAt(k)
			if !ok {
				continue
			}
			n++
			if p.run.inWindow(at) {
				p.latencies = append(p.latencies, now-at)
			}
		}
	}
	p.received.Add(n)
}

// sentAt returns when the keystroke of clock k was sent, if it was.
func (p *peer) sentAt(k uint64) (int64, bool) {
	n := p.nsent.Load() // before reading base and sent, which were written before it was stored
	i := k - p.base
	if k < p.base || i >= uint64(n) {
		return 0, false
	}
	return p.sent[i], true
}

// letters are what peers type, one at a time.
const letters = "abcdefghijklmnopqrstuvwxyz"

// keystroke types one letter at a random position and sends it. It reports whether the
// keystroke was sent (false once the connection has failed or the schedule is exhausted).
func (p *peer) keystroke(rng *rand.Rand) (sentAt int64, ok bool) {
	i := p.nsent.Load()
	if p.failed.Load() || int(i) == len(p.sent) {
		return 0, false
	}
	c := rng.IntN(len(letters))
	p.mu.Lock()
	pos := rng.IntN(p.text.Len() + 1)
	update, err := p.doc.Transact(func(tx *crdt.Transaction) error {
		return p.text.Insert(tx, pos, letters[c:c+1])
	})
	p.mu.Unlock()
	if err != nil {
		p.fail(err)
		return 0, false
	}
	at := p.run.now()
	p.sent[i] = at
	p.nsent.Store(i + 1)
	p.send(p.wire.frame(protocol.EncodeSyncUpdate(update)))
	return at, true
}
