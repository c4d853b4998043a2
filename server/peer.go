package server

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/pairpad/pairpad/server/internal/room"
)

// writeTimeout bounds each WebSocket write: a peer that cannot take a message in that time is
// dropped.
const writeTimeout = 10 * time.Second

// peer is one WebSocket connection to a room, as the room's goroutine sees it: a bounded queue
// of frames, drained by a writer goroutine that runs only while there is something to write,
// so that an idle connection holds neither a goroutine nor a preallocated queue.
type peer struct {
	conn    *websocket.Conn
	limit   int // the most frames the queue holds
	metrics *metrics
	// watchdog closes the connection when a write blocks for writeTimeout: one timer for
	// every write, rather than a context per write (coder/websocket registers a callback on
	// the context of each).
	watchdog *time.Timer
	closed   chan struct{} // closed by close: the connection is ending
	// heard is when the connection last sent a message or answered a ping (Unix ns), and
	// pinging says a ping waits for its pong (liveness).
	heard   atomic.Int64
	pinging atomic.Bool
	done    chan struct{} // closed once the close frame is written (or the connection broke)

	mu      sync.Mutex
	queue   []room.Frame // waiting to be written, oldest first
	writing bool         // a writer goroutine is draining queue
	closing bool         // close was called: the writer closes the connection once queue is empty
	code    websocket.StatusCode
	reason  string
}

func newPeer(conn *websocket.Conn, limit int, m *metrics) *peer {
	p := &peer{conn: conn, limit: limit, metrics: m, closed: make(chan struct{}), done: make(chan struct{})}
	p.watchdog = time.AfterFunc(writeTimeout, func() { _ = conn.CloseNow() })
	p.watchdog.Stop()
	return p
}

// send queues msg without ever blocking the room, and reports whether the peer is still open:
// a peer whose queue is full is too slow and is closed (clients reconnect and resynchronize).
func (p *peer) send(msg room.Frame) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.closing:
		return false
	case len(p.queue) >= p.limit:
		p.metrics.queueOverflows.Inc()
		p.closeLocked(websocket.StatusTryAgainLater, "too slow")
		return false
	}
	p.queue = append(p.queue, msg)
	p.startWriterLocked()
	return true
}

// close ends the connection with code once; the close frame follows what is already queued.
func (p *peer) close(code websocket.StatusCode, reason string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closeLocked(code, reason)
}

func (p *peer) closeLocked(code websocket.StatusCode, reason string) {
	if p.closing {
		return
	}
	p.closing, p.code, p.reason = true, code, reason
	close(p.closed)
	p.startWriterLocked()
}

func (p *peer) startWriterLocked() {
	if !p.writing {
		p.writing = true
		go p.drain()
	}
}

// drain writes the queue until it is empty, then exits; once the peer is closing and nothing is
// left to write, it closes the connection.
func (p *peer) drain() {
	for {
		p.mu.Lock()
		if len(p.queue) == 0 {
			p.queue = nil // an idle connection keeps no buffer
			if !p.closing {
				p.writing = false
				p.mu.Unlock()
				return
			}
			code, reason := p.code, p.reason
			p.mu.Unlock()
			_ = p.conn.Close(code, reason)
			close(p.done)
			return
		}
		msg := p.queue[0]
		p.queue[0] = room.Frame{}
		p.queue = p.queue[1:]
		p.mu.Unlock()
		if err := p.write(msg); err != nil {
			p.mu.Lock()
			p.queue = nil
			p.closeLocked(websocket.StatusGoingAway, "write failed")
			p.mu.Unlock()
		}
	}
}

// wait blocks until the connection is closed: call it after close.
func (p *peer) wait() { <-p.done }

func (p *peer) write(msg room.Frame) error {
	typ := websocket.MessageBinary
	if msg.Text {
		typ = websocket.MessageText
	}
	p.watchdog.Reset(writeTimeout)
	err := p.conn.Write(context.Background(), typ, msg.Data)
	p.watchdog.Stop()
	if err != nil {
		return err
	}
	p.metrics.framesOut.Inc()
	p.metrics.bytesOut.Add(float64(len(msg.Data)))
	return nil
}
