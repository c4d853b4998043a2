package server

import (
	"context"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/pairpad/pairpad/crdt"
)

// writeTimeout bounds each WebSocket write: a peer that cannot take a message in that time is
// dropped.
const writeTimeout = 10 * time.Second

// outMessage is a message waiting to be written to a peer.
type outMessage struct {
	text bool // a text frame (legacy JSON); binary otherwise
	data []byte
}

// peer is one WebSocket connection to a room. Its writer goroutine drains out; the room
// goroutine owns the fields below the mutex.
type peer struct {
	id     uint64
	legacy bool
	conn   *websocket.Conn
	out    chan outMessage

	closeOnce sync.Once
	closed    chan struct{}
	mu        sync.Mutex
	code      websocket.StatusCode
	reason    string

	awarenessClients []uint64            // clients whose awareness this Yjs peer announced
	versions         []*crdt.TextVersion // the last versions of the code sent to a legacy peer
	dirty            bool                // a legacy peer has not been sent the latest code
}

func newPeer(id uint64, legacy bool, conn *websocket.Conn, queue int) *peer {
	return &peer{id: id, legacy: legacy, conn: conn, out: make(chan outMessage, queue), closed: make(chan struct{})}
}

// send queues msg without ever blocking the room: a peer whose queue is full is too slow and is
// closed (clients reconnect and resynchronize).
func (p *peer) send(msg outMessage) {
	select {
	case <-p.closed:
		return
	default:
	}
	select {
	case p.out <- msg:
	default:
		p.close(websocket.StatusTryAgainLater, "too slow")
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
			if err := p.write(ctx, msg); err != nil {
				p.close(websocket.StatusGoingAway, "write failed")
				return
			}
		case <-p.closed:
			// Write what is already queued (a close frame follows the last update).
			for {
				select {
				case msg := <-p.out:
					if p.write(ctx, msg) != nil {
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

func (p *peer) write(ctx context.Context, msg outMessage) error {
	ctx, cancel := context.WithTimeout(ctx, writeTimeout)
	defer cancel()
	typ := websocket.MessageBinary
	if msg.text {
		typ = websocket.MessageText
	}
	return p.conn.Write(ctx, typ, msg.data)
}
