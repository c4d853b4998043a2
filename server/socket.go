package server

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/rs/zerolog"

	"github.com/pairpad/pairpad/server/internal/httpapi"
	"github.com/pairpad/pairpad/server/internal/room"
	"github.com/pairpad/pairpad/store"
)

// Close codes of room sockets. 4400-4499 are permanent: y-websocket clients stop retrying.
const (
	closeUnknownRoom      websocket.StatusCode = 4404
	closeOriginNotAllowed websocket.StatusCode = 4403
)

func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

// newConnID returns a connection id unique among every server's connections: the op log
// records it as the session that sent each update.
func newConnID() room.ConnID {
	b := make([]byte, 9) // 72 bits
	_, _ = rand.Read(b)  // never fails (crypto/rand)
	return room.ConnID(base64.RawURLEncoding.EncodeToString(b))
}

// roomSocket returns the handler of a room's WebSocket whose wire protocol newSession speaks.
func (s *Server) roomSocket(newSession func() room.Session) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { s.serveRoomSocket(w, r, newSession()) }
}

func (s *Server) newSeedSession() room.Session { return room.NewSeedSession(s.rooms.opts.SeedInterval) }

// serveRoomSocket finds where the request's room is served (place) and upgrades the request
// here, or relays it to the room's owner. Either way it hands the connection to goroutines of
// its own, so that the HTTP handler's goroutine ends: its stack grew to 16 KB serving the
// request, where a connection's reader needs a few, and an idle connection keeps only the
// reader's.
func (s *Server) serveRoomSocket(w http.ResponseWriter, r *http.Request, session room.Session) {
	internal := s.rooms.cluster.trusted(r) // carried here by another node, which checked the origin
	addr := httpapi.ClientAddr(r, s.opts.TrustedProxies)
	if internal {
		addr = r.Header.Get(clientHeader)
	}
	if !s.addrConns.take(addr) {
		s.writeError(w, r, httpapi.RateLimited("too many connections from this address", connRetryAfter))
		return
	}
	s.sockets.Add(1)
	done := func() { s.addrConns.release(addr); s.sockets.Done() }
	link := r.PathValue("roomId")
	// A refused client gets a close code after the upgrade rather than an HTTP error: it does
	// not retry a close code of 4400-4499, where it would an HTTP error.
	originAllowed := internal || httpapi.OriginAllowed(s.opts.AllowedOrigins, r)
	var pl placement
	var err error
	// A request that is no WebSocket handshake gets Accept's error, and loads no room.
	if originAllowed && isUpgrade(r) {
		ctx, cancel := s.untilShutdown(r.Context())
		pl, err = s.place(ctx, link, r, addr, internal)
		cancel()
		if pl.upstream != nil {
			s.relay(w, pl.upstream, pl.answer, done)
			return
		}
	}
	conn, acceptErr := websocket.Accept(smallBuffers{w}, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if acceptErr != nil {
		if pl.room != nil {
			s.rooms.release(pl.room)
		}
		done()
		return
	}
	connID := newConnID()
	log := s.log.With().Str("room", link).Str("conn", string(connID)).Str("protocol", session.Protocol()).Logger()
	conn.SetReadLimit(s.opts.MaxMessageBytes)
	if !originAllowed {
		log.Info().Str("origin", r.Header.Get("Origin")).Msg("origin not allowed")
		_ = conn.Close(closeOriginNotAllowed, "origin not allowed")
		done()
		return
	}
	if err != nil {
		refuseSocket(conn, err, log)
		done()
		return
	}
	join := room.Join{Conn: connID, Role: pl.grant.role, Link: link, Session: session, At: time.Now(), Address: addr}
	go func() {
		defer done()
		defer s.rooms.release(pl.room)
		s.runRoomSocket(conn, pl.room, join, log)
	}()
}

// untilShutdown returns a context of ctx that also ends when the server begins to shut down.
func (s *Server) untilShutdown(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(s.stopping, cancel)
	return ctx, func() { stop(); cancel() }
}

// isUpgrade reports whether r asks for a WebSocket.
func isUpgrade(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// refuseSocket closes conn, whose room could not be placed (err), with the close code that
// says why.
func refuseSocket(conn *websocket.Conn, err error, log zerolog.Logger) {
	switch {
	case errors.Is(err, errNoRoute):
		log.Info().Err(err).Msg("the room is owned by another node: refused")
		_ = conn.Close(websocket.StatusTryAgainLater, "the room is served by another node")
	case isNotFound(err):
		_ = conn.Close(closeUnknownRoom, "unknown room")
	case errors.Is(err, context.Canceled): // the server began to shut down (the client is gone otherwise)
		_ = conn.Close(websocket.StatusGoingAway, "server shutting down")
	default:
		log.Error().Err(err).Msg("load room for a connection")
		_ = conn.Close(websocket.StatusInternalError, "could not load the room")
	}
}

// runRoomSocket joins the connection to its live room and runs it until it ends.
func (s *Server) runRoomSocket(conn *websocket.Conn, rm *liveRoom, join room.Join, log zerolog.Logger) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p := newPeer(conn, s.rooms.opts.SendQueue, s.metrics)
	s.liveness.add(p)
	defer s.liveness.remove(p)
	connections := s.metrics.connections.WithLabelValues(join.Session.Protocol())
	connections.Inc()
	defer connections.Dec()
	defer p.wait() // until the close frame is written
	// A room that exits (a failed commit, shutdown) may leave inputs it never handled, this
	// peer's join among them: close the peer whenever its room is gone. (AfterFunc keeps no
	// goroutine per connection while it waits.)
	stopWatch := context.AfterFunc(rm.exited, func() { p.close(websocket.StatusGoingAway, "room closed") })
	defer stopWatch()
	defer p.close(websocket.StatusNormalClosure, "")

	if rm.post(ctx, envelope{input: join, peer: p}) != nil {
		p.close(websocket.StatusGoingAway, "room closed")
		return
	}
	log.Debug().Msg("connected")
	readLoop(ctx, rm, join.Conn, p)
	leaveCtx, leaveCancel := context.WithTimeout(context.Background(), 5*time.Second)
	_ = rm.post(leaveCtx, envelope{input: room.Leave{Conn: join.Conn}})
	leaveCancel()
	log.Debug().Msg("disconnected")
}

// connRetryAfter is the Retry-After of a socket refused for its address's connections.
const connRetryAfter = 10 * time.Second

// addrConns counts the room sockets each client address holds open, up to max (negative: no
// limit).
type addrConns struct {
	max  int
	mu   sync.Mutex
	open map[string]int
}

// take counts one more socket of addr, unless addr holds max already.
func (a *addrConns) take(addr string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.max >= 0 && a.open[addr] >= a.max {
		return false
	}
	a.open[addr]++
	return true
}

func (a *addrConns) release(addr string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.open[addr]--; a.open[addr] <= 0 {
		delete(a.open, addr)
	}
}

// socketBufferSize is the size of a room socket's read buffer and of its write buffer. Most
// frames are a keystroke's update, tens of bytes; a larger frame is read and written past the
// buffer, in one more system call.
const socketBufferSize = 1024

// smallBuffers hands a hijacked connection to coder/websocket with buffers of socketBufferSize
// rather than net/http's 4 KB each, which an idle connection would hold for its lifetime.
type smallBuffers struct{ http.ResponseWriter }

func (w smallBuffers) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w smallBuffers) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	// Bytes the client sent after its request are in brw's buffer; the new reader must hold
	// them in its own buffer, where coder/websocket looks for them.
	pending, _ := brw.Reader.Peek(brw.Reader.Buffered())
	r := bufio.NewReaderSize(io.MultiReader(bytes.NewReader(pending), conn), max(socketBufferSize, len(pending)))
	_, _ = r.Peek(len(pending))
	return conn, bufio.NewReadWriter(r, bufio.NewWriterSize(conn, socketBufferSize)), nil
}

// readBuffers hold messages while they are read: a message then takes a slice of its own
// size, rather than the 512 bytes or more io.ReadAll starts with (most are tens of bytes).
var readBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// readMessage reads the connection's next message.
func readMessage(conn *websocket.Conn) (websocket.MessageType, []byte, error) {
	typ, r, err := conn.Reader(context.Background())
	if err != nil {
		return 0, nil, err
	}
	buf := readBuffers.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= maxPooledReadBuffer {
			buf.Reset()
			readBuffers.Put(buf)
		}
	}()
	if _, err := buf.ReadFrom(r); err != nil {
		return 0, nil, err
	}
	return typ, bytes.Clone(buf.Bytes()), nil
}

// maxPooledReadBuffer is the largest read buffer kept for other messages: the buffer of a
// large message (a whole document) goes with it.
const maxPooledReadBuffer = 64 << 10

// readLoop hands every frame of the connection to its room until the connection ends.
func readLoop(ctx context.Context, rm *liveRoom, id room.ConnID, p *peer) {
	for {
		// Reads take no context (a cancellable one costs a callback per read): closing the
		// connection is what ends a read.
		typ, data, err := readMessage(p.conn)
		if err != nil {
			// Oversized messages end here: the library closed the connection with 1009.
			p.close(websocket.StatusNormalClosure, "")
			return
		}
		select {
		case <-p.closed:
			return
		default:
		}
		frame := room.Frame{Text: typ == websocket.MessageText, Data: data}
		now := time.Now()
		p.heard.Store(now.UnixNano())
		if rm.post(ctx, envelope{input: room.Receive{Conn: id, Frame: frame, At: now}}) != nil {
			p.close(websocket.StatusGoingAway, "room closed")
			return
		}
	}
}
