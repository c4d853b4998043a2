package server

import (
	"context"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/pairpad/pairpad/server/internal/room"
)

// writeTimeout bounds each WebSocket write: a peer that cannot take a message in that time is
// dropped.
const writeTimeout = 10 * time.Second

// peer is one WebSocket connection to a room, as the room's goroutine sees it: a bounded queue
// of frames that its writer goroutine drains.
type peer struct {
	conn    *websocket.Conn
	out     chan room.Frame
	metrics *metrics
	// watchdog closes the connection when a write blocks for writeTimeout: one timer for
	// every write, rather than a context per write (coder/websocket registers a callback on
	// the context of each).
	watchdog *time.Timer

	closeOnce sync.Once
	closed    chan struct{}
	mu        sync.Mutex
	code      websocket.StatusCode
	reason    string
}

func newPeer(conn *websocket.Conn, queue int, m *metrics) *peer {
	p := &peer{conn: conn, out: make(chan room.Frame, queue), closed: make(chan struct{}), metrics: m}
	p.watchdog = time.AfterFunc(writeTimeout, func() { _ = conn.CloseNow() })
	p.watchdog.Stop()
	return p
}

// send queues msg without ever blocking the room, and reports whether the peer is still open:
// a peer whose queue is full is too slow and is closed (clients reconnect and resynchronize).
func (p *peer) send(msg room.Frame) bool {
	select {
	case <-p.closed:
		return false
	default:
	}
	select {
	case p.out <- msg:
		return true
	default:
		p.metrics.queueOverflows.Inc()
		p.close(websocket.StatusTryAgainLater, "too slow")
		return false
	}
}

// close ends the connection with code once; the writer sends the close frame after what is
// already queued is written.
func (p *peer) close(code websocket.StatusCode, reason string) {
	p.closeOnce.Do(func() {
		p.mu.Lock()
		p.code, p.reason = code, reason
		p.mu.Unlock()
		close(p.closed)
	})
}

// writeLoop writes queued messages until the peer is closed, then closes the connection.
func (p *peer) writeLoop(ctx context.Context) {
	defer func() {
		p.watchdog.Stop()
		p.mu.Lock()
		code, reason := p.code, p.reason
		p.mu.Unlock()
		if code == 0 {
			code, reason = websocket.StatusNormalClosure, ""
		}
		_ = p.conn.Close(code, reason)
	}()
	for {
		select {
		case msg := <-p.out:
			if err := p.write(msg); err != nil {
				p.close(websocket.StatusGoingAway, "write failed")
				return
			}
		case <-p.closed:
			// Write what is already queued (a close frame follows the last update).
			for {
				select {
				case msg := <-p.out:
					if p.write(msg) != nil {
						return
					}
				default:
					return
				}
			}
		case <-ctx.Done():
			return
		}
	}
}

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
