package server

import (
	"bytes"
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/pairpad/pairpad/internal/netpipe"
)

// A room socket that reaches a node that does not own its room is relayed to the owner before
// the WebSocket handshake: the node opens a TCP connection to the owner's ADVERTISE_URL, sends
// it the client's own upgrade request with the cluster's secret and the client's address added,
// waits for the head of the owner's answer (an owner that gives none within ownerTimeout,
// paused or cut off, is tried again until its lease is released or expires, and this node
// takes the room), passes it on, and from then on joins the two connections byte for byte
// (netpipe). The owner answers the handshake and speaks the protocol with the client as if it
// were connected directly: it checks the client's messages against its own limits, and its
// close frames reach the client as they are. The relaying node neither parses nor copies
// frames: the kernel moves the bytes.
//
// When either connection ends, the node closes the other: a client whose owner went away sees
// its connection end (1006) and reconnects, as after the crash of a node it reached directly.

// placement is where a room socket is served: here, in room (which the caller releases), or at
// the room's owner, over upstream, to which the client's handshake has been sent and which
// answered it (answer: the head of its response, and whatever followed it).
type placement struct {
	grant    grant
	room     *liveRoom
	upstream net.Conn
	answer   []byte
}

// place finds the node that serves the room that link opens, for the room socket r asks for:
// this one, whose live room it returns, or the room's owner, to which it sends r's handshake.
// While the owner cannot be reached, it waits for its lease to be released or to expire, at
// most the lease duration and 5 s; then it fails with errNoRoute. addr is the client's address.
func (s *Server) place(ctx context.Context, link string, r *http.Request, addr string, internal bool) (placement, error) {
	g, err := s.resolve(ctx, link)
	if err != nil {
		return placement{}, err
	}
	c := s.rooms.cluster
	var deadline time.Time
	if c != nil {
		deadline = time.Now().Add(c.ttl + 5*time.Second)
	}
	for {
		rm, err := s.rooms.acquire(ctx, g.room.ID)
		var away *ownedElsewhere
		if !errors.As(err, &away) {
			return placement{grant: g, room: rm}, err
		}
		if internal || !c.routes() {
			return placement{}, errNoRoute
		}
		upstream, answer, err := s.dialOwner(ctx, away.lease.Addr, r, addr)
		if err == nil {
			return placement{grant: g, upstream: upstream, answer: answer}, nil
		}
		if time.Now().After(deadline) {
			return placement{}, fmt.Errorf("%w: %w", errNoRoute, err)
		}
		c.waitRelease(ctx, g.room.ID, retryWait(away.lease))
	}
}

// ownerTimeout bounds connecting to a room's owner, sending it a client's handshake and
// receiving its answer: an owner that does not answer (paused, cut off) is tried again until
// its lease is released or expires, and this node takes the room.
const ownerTimeout = 5 * time.Second

// maxAnswerHead bounds the head of an owner's answer to a handshake.
const maxAnswerHead = 16 << 10

// dialOwner connects to the node at owner (its ADVERTISE_URL), sends it r, the upgrade request
// of the client at addr, as a request from a node of the cluster, and waits for the head of its
// answer, which it returns with whatever came with it.
func (s *Server) dialOwner(ctx context.Context, owner string, r *http.Request, addr string) (net.Conn, []byte, error) {
	u, err := url.Parse(owner)
	if err != nil {
		return nil, nil, err
	}
	port := u.Port()
	switch {
	case port != "":
	case u.Scheme == "https":
		port = "443"
	default:
		port = "80"
	}
	ctx, cancel := context.WithTimeout(ctx, ownerTimeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort(u.Hostname(), port))
	if err != nil {
		return nil, nil, err
	}
	if u.Scheme == "https" {
		conn = tls.Client(conn, &tls.Config{ServerName: u.Hostname()})
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Now()) })
	answer, err := handshake(conn, r, addr, s.rooms.cluster.secret)
	if !stop() || err != nil {
		conn.Close()
		return nil, nil, cmp.Or(err, ctx.Err())
	}
	return conn, answer, nil
}

// handshake sends conn r, the upgrade request of the client at addr, with the cluster's secret,
// and reads the head of the answer: it returns every byte read.
func handshake(conn net.Conn, r *http.Request, addr, secret string) ([]byte, error) {
	out := &http.Request{Method: http.MethodGet, URL: &url.URL{Path: r.URL.Path, RawPath: r.URL.RawPath, RawQuery: r.URL.RawQuery},
		Host: r.Host, Header: r.Header.Clone()}
	out.Header.Set(clusterHeader, secret)
	out.Header.Set(clientHeader, addr)
	if err := out.Write(conn); err != nil {
		return nil, err
	}
	answer := make([]byte, 0, 512)
	for !bytes.Contains(answer, []byte("\r\n\r\n")) {
		if len(answer) == cap(answer) {
			if cap(answer) >= maxAnswerHead {
				return nil, errors.New("the owner's answer to a handshake has no end")
			}
			answer = slices.Grow(answer, cap(answer))
		}
		n, err := conn.Read(answer[len(answer):cap(answer)])
		answer = answer[:len(answer)+n]
		if err != nil {
			return nil, err
		}
	}
	return answer, nil
}

// relay joins the client's connection, which it takes over from w, to upstream, the owner's,
// whose answer to the handshake it passes on first, until either ends. It returns once the
// client's connection is taken over.
func (s *Server) relay(w http.ResponseWriter, upstream net.Conn, answer []byte, done func()) {
	client, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		upstream.Close()
		done()
		return
	}
	// What the client sent after its request is in brw's buffer.
	pending, _ := brw.Reader.Peek(brw.Reader.Buffered())
	_, err = upstream.Write(pending)
	if err == nil {
		_, err = client.Write(answer)
	}
	if err != nil {
		client.Close()
		upstream.Close()
		done()
		return
	}
	forget := s.relays.add(client)
	s.metrics.proxiedConns.Inc()
	go func() {
		defer done()
		defer s.metrics.proxiedConns.Dec()
		defer forget()
		netpipe.Join(client, upstream)
	}()
}

// relays are the client connections a node relays to others, which Shutdown closes.
type relays struct {
	mu    sync.Mutex
	conns map[net.Conn]struct{}
	done  bool
}

// add records conn, or closes it if the server is shutting down; the result forgets it.
func (rs *relays) add(conn net.Conn) (forget func()) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.done {
		conn.Close()
	}
	if rs.conns == nil {
		rs.conns = make(map[net.Conn]struct{})
	}
	rs.conns[conn] = struct{}{}
	return func() {
		rs.mu.Lock()
		defer rs.mu.Unlock()
		delete(rs.conns, conn)
	}
}

// closeAll closes every relayed client connection: its client reconnects, to another node.
func (rs *relays) closeAll() {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	rs.done = true
	for conn := range rs.conns {
		conn.Close()
	}
}
