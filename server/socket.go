package server

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/pairpad/pairpad/crdt/protocol"
	"github.com/pairpad/pairpad/server/internal/httpapi"
	"github.com/pairpad/pairpad/store"
)

// Close codes of room sockets. 4400-4499 are permanent: y-websocket clients stop retrying.
const (
	closeUnknownRoom      websocket.StatusCode = 4404
	closeOriginNotAllowed websocket.StatusCode = 4403
)

var connIDs atomic.Uint64

func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

// serveYjs serves /yjs/{roomId}: the y-websocket protocol in binary frames.
func (s *Server) serveYjs(w http.ResponseWriter, r *http.Request) { s.serveRoomSocket(w, r, false) }

// serveLegacy serves /ws/{roomId}: the seed's JSON protocol in text frames.
func (s *Server) serveLegacy(w http.ResponseWriter, r *http.Request) { s.serveRoomSocket(w, r, true) }

func (s *Server) serveRoomSocket(w http.ResponseWriter, r *http.Request, legacy bool) {
	s.sockets.Add(1)
	defer s.sockets.Done()
	id := r.PathValue("roomId")
	// The origin is checked after the upgrade, so that a refused client gets a close code it
	// does not retry rather than an HTTP error it would.
	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		return
	}
	connID := connIDs.Add(1)
	log := s.log.With().Str("room", id).Uint64("conn", connID).Bool("legacy", legacy).Logger()
	conn.SetReadLimit(s.opts.MaxMessageBytes)
	if !httpapi.OriginAllowed(s.opts.AllowedOrigins, r) {
		log.Info().Str("origin", r.Header.Get("Origin")).Msg("origin not allowed")
		_ = conn.Close(closeOriginNotAllowed, "origin not allowed")
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rm, err := s.rooms.acquire(ctx, id)
	switch {
	case isNotFound(err):
		_ = conn.Close(closeUnknownRoom, "unknown room")
		return
	case err != nil:
		log.Error().Err(err).Msg("load room for a connection")
		_ = conn.Close(websocket.StatusInternalError, "could not load the room")
		return
	}
	defer s.rooms.release(rm)

	p := newPeer(connID, legacy, conn, s.rooms.opts.SendQueue)
	var writer sync.WaitGroup
	writer.Add(1)
	go func() { defer writer.Done(); p.writeLoop(ctx) }()
	defer writer.Wait()
	// A room that exits (a failed commit, shutdown) may leave work it never ran, this peer's
	// join among it: close the peer whenever its room is gone.
	go func() {
		select {
		case <-rm.done:
			p.close(websocket.StatusGoingAway, "room closed")
		case <-ctx.Done():
		}
	}()
	defer p.close(websocket.StatusNormalClosure, "")

	if rm.post(ctx, func() { rm.join(p) }) != nil {
		p.close(websocket.StatusGoingAway, "room closed")
		return
	}
	log.Debug().Msg("connected")
	s.readLoop(ctx, rm, p)
	leaveCtx, leaveCancel := context.WithTimeout(context.Background(), 5*time.Second)
	_ = rm.post(leaveCtx, func() { rm.leave(p) })
	leaveCancel()
	log.Debug().Msg("disconnected")
}

// readLoop hands every message of p to its room until the connection ends. A malformed message
// closes only this connection.
func (s *Server) readLoop(ctx context.Context, rm *room, p *peer) {
	for {
		typ, data, err := p.conn.Read(ctx)
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
		var handle func()
		if p.legacy {
			if typ != websocket.MessageText {
				p.close(websocket.StatusUnsupportedData, "text frames only")
				return
			}
			code, reply := parseLegacy(data)
			if reply != nil {
				p.send(outMessage{text: true, data: reply})
				continue
			}
			handle = func() { rm.mergeLegacy(p, code) }
		} else {
			if typ != websocket.MessageBinary {
				p.close(websocket.StatusUnsupportedData, "binary frames only")
				return
			}
			msg, err := protocol.DecodeMessage(data)
			if err != nil {
				s.log.Info().Err(err).Str("room", rm.id).Uint64("conn", p.id).Msg("malformed message")
				p.close(websocket.StatusInvalidFramePayloadData, "malformed message")
				return
			}
			handle = func() {
				if err := rm.handleYjs(p, msg); err != nil {
					rm.log.Info().Err(err).Uint64("conn", p.id).Msg("malformed message")
					p.close(websocket.StatusInvalidFramePayloadData, "malformed message")
				}
			}
		}
		if rm.post(ctx, handle) != nil {
			p.close(websocket.StatusGoingAway, "room closed")
			return
		}
	}
}
