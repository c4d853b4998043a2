package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// socketTarget is what a node needs to carry a room socket to the room's owner: the path and
// query the client asked for, and the client's address.
type socketTarget struct {
	path, query string
	addr        string
}

// carry finds the node that serves room id for a socket of the client's: this one, whose live
// room it returns, or the room's owner, to which it relays the socket (relayed true) until
// either side ends it. While the owner cannot be reached, it waits for its lease to be
// released or to expire, at most the lease duration and 5 s; then it fails.
func (s *Server) carry(ctx context.Context, id string, conn *websocket.Conn, t socketTarget, internal bool) (rm *liveRoom, relayed bool, err error) {
	c := s.rooms.cluster
	var deadline time.Time
	if c != nil {
		deadline = time.Now().Add(c.ttl + 5*time.Second)
	}
	for {
		rm, err := s.rooms.acquire(ctx, id)
		var away *ownedElsewhere
		if !errors.As(err, &away) {
			return rm, false, err
		}
		if internal || !c.routes() {
			return nil, false, errNoRoute
		}
		upstream, err := s.dialOwner(ctx, away.lease.Addr, t)
		if err == nil {
			s.relay(conn, upstream)
			return nil, true, nil
		}
		if time.Now().After(deadline) {
			return nil, false, fmt.Errorf("%w: %w", errNoRoute, err)
		}
		c.waitRelease(ctx, id, retryWait(away.lease))
	}
}

// dialOwner opens the internal connection to the node at addr (its ADVERTISE_URL) for the
// socket t.
func (s *Server) dialOwner(ctx context.Context, addr string, t socketTarget) (*websocket.Conn, error) {
	u, err := url.Parse(addr)
	if err != nil {
		return nil, err
	}
	u.Scheme = strings.Replace(u.Scheme, "http", "ws", 1)
	u.Path, u.RawQuery = t.path, t.query
	h := http.Header{}
	h.Set(clusterHeader, s.rooms.cluster.secret)
	h.Set(clientHeader, t.addr)
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, u.String(), &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		return nil, err
	}
	conn.SetReadLimit(-1) // the owner, not the client: it sends whole documents
	return conn, nil
}

// relay carries messages both ways between a client's socket and the owner's, until either
// ends, and ends the other with the same close code. An owner that goes away without one
// closes the client with closeRoomMoved, so that it reconnects.
func (s *Server) relay(client, upstream *websocket.Conn) {
	s.metrics.proxiedConns.Inc()
	defer s.metrics.proxiedConns.Dec()
	stop := s.relays.add(client)
	defer stop()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		code, reason := pipe(upstream, client)
		if code == websocket.StatusAbnormalClosure || code == websocket.StatusNoStatusRcvd {
			code, reason = websocket.StatusGoingAway, ""
		}
		_ = upstream.Close(code, reason)
	}()
	code, reason := pipe(client, upstream)
	if code == websocket.StatusAbnormalClosure || code == websocket.StatusNoStatusRcvd {
		code, reason = closeRoomMoved, "the room's node went away"
	}
	_ = client.Close(code, reason)
	wg.Wait()
}

// pipe copies every message from src to dst until src ends or a write fails, and returns how
// src ended: its close code and reason, or StatusAbnormalClosure.
func pipe(dst, src *websocket.Conn) (websocket.StatusCode, string) {
	buf := make([]byte, socketBufferSize)
	for {
		typ, r, err := src.Reader(context.Background())
		if err != nil {
			return closeOf(err)
		}
		w, err := dst.Writer(context.Background(), typ)
		if err != nil {
			return websocket.StatusAbnormalClosure, ""
		}
		if _, err := io.CopyBuffer(w, r, buf); err != nil {
			return closeOf(err)
		}
		if err := w.Close(); err != nil {
			return websocket.StatusAbnormalClosure, ""
		}
	}
}

// closeOf returns the close code and reason of a connection's error: the close frame it
// received, or StatusAbnormalClosure.
func closeOf(err error) (websocket.StatusCode, string) {
	var ce websocket.CloseError
	if errors.As(err, &ce) {
		return ce.Code, ce.Reason
	}
	return websocket.StatusAbnormalClosure, ""
}

// relays are the client sockets a node carries to others, which Shutdown closes.
type relays struct {
	mu    sync.Mutex
	conns map[*websocket.Conn]struct{}
	done  bool
}

// add records conn, or closes it if the server is shutting down; the result forgets it.
func (rs *relays) add(conn *websocket.Conn) (forget func()) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.done {
		go conn.Close(closeRoomMoved, "server shutting down")
	}
	if rs.conns == nil {
		rs.conns = make(map[*websocket.Conn]struct{})
	}
	rs.conns[conn] = struct{}{}
	return func() {
		rs.mu.Lock()
		defer rs.mu.Unlock()
		delete(rs.conns, conn)
	}
}

// closeAll closes every relayed client socket with closeRoomMoved: its client reconnects to
// another node.
func (rs *relays) closeAll() {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	rs.done = true
	for conn := range rs.conns {
		go conn.Close(closeRoomMoved, "server shutting down")
	}
}
