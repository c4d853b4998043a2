package server

import (
	"context"
	"sync"
	"time"
)

// maxPings bounds the pings in flight at once, each a goroutine while it waits for its pong.
const maxPings = 64

// liveness pings the room sockets that have sent nothing for an interval, and closes those
// that do not answer within half of one: a client that vanished without closing (a closed
// laptop, a dropped network) would otherwise hold its socket and its place in its room for as
// long as TCP does not notice. A y-websocket client renews its awareness every 15 s and is
// never pinged; a JSON client that only reads is.
type liveness struct {
	interval time.Duration
	mu       sync.Mutex
	peers    map[*peer]struct{}
	pings    chan struct{} // a token per ping in flight
	stop     chan struct{}
	done     chan struct{}
}

func newLiveness(interval time.Duration) *liveness {
	return &liveness{
		interval: interval,
		peers:    make(map[*peer]struct{}),
		pings:    make(chan struct{}, maxPings),
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
	}
}

func (l *liveness) add(p *peer) {
	p.heard.Store(time.Now().UnixNano())
	l.mu.Lock()
	l.peers[p] = struct{}{}
	l.mu.Unlock()
}

func (l *liveness) remove(p *peer) {
	l.mu.Lock()
	delete(l.peers, p)
	l.mu.Unlock()
}

// run checks the sockets every half interval until shutdown.
func (l *liveness) run() {
	defer close(l.done)
	ticker := time.NewTicker(l.interval / 2)
	defer ticker.Stop()
	var pinging sync.WaitGroup
	defer pinging.Wait()
	for {
		select {
		case <-l.stop:
			return
		case now := <-ticker.C:
			for _, p := range l.silent(now) {
				select {
				case l.pings <- struct{}{}:
				case <-l.stop:
					return
				}
				pinging.Go(func() {
					defer func() { <-l.pings }()
					l.ping(p)
				})
			}
		}
	}
}

// silent returns the sockets that have sent nothing for an interval and are not being pinged.
func (l *liveness) silent(now time.Time) []*peer {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []*peer
	for p := range l.peers {
		if now.Sub(time.Unix(0, p.heard.Load())) >= l.interval && p.pinging.CompareAndSwap(false, true) {
			out = append(out, p)
		}
	}
	return out
}

// ping pings p and closes its connection if no pong comes within half an interval.
func (l *liveness) ping(p *peer) {
	defer p.pinging.Store(false)
	ctx, cancel := context.WithTimeout(context.Background(), l.interval/2)
	defer cancel()
	if err := p.conn.Ping(ctx); err != nil {
		_ = p.conn.CloseNow() // its reader ends, and the socket leaves its room
		return
	}
	p.heard.Store(time.Now().UnixNano())
}

// shutdown stops the checks and waits for the pings in flight.
func (l *liveness) shutdown() {
	select {
	case <-l.stop:
	default:
		close(l.stop)
	}
	<-l.done
}
