package load

import (
	"encoding/binary"
	"fmt"
	"net/url"
	"strings"
)

// The protocols a run speaks (Options.Protocol).
const (
	// YWebsocket is the y-websocket protocol: one message per frame, the room in the URL's path.
	YWebsocket = "y-websocket"
	// Hocuspocus is the protocol of Hocuspocus 3.x servers: every y-websocket message is
	// prefixed with its document's name as a lib0 var-string, the room is that name (not the
	// URL's path), and a connection must send an auth message before anything else reaches
	// the document.
	Hocuspocus = "hocuspocus"
)

// wire is how one connection frames y-websocket messages for its server. Each connection has
// its own, which knows the connection's room.
type wire interface {
	// url returns the address to dial, given the run's base URL.
	url(base string) string
	// hello returns the frames to send before the sync starts.
	hello() [][]byte
	// frame returns msg, a y-websocket message, as a frame to send. It may return msg itself.
	frame(msg []byte) []byte
	// unframe returns the y-websocket message a received frame carries, nil for a frame that
	// carries none (the caller ignores it), or an error for a frame that ends the connection.
	// The message may alias b, which unframe may change.
	unframe(b []byte) ([]byte, error)
}

func newWire(protocol, room string) wire {
	if protocol == Hocuspocus {
		return newHocuspocusWire(room)
	}
	return yWebsocketWire{room: room}
}

// yWebsocketWire frames nothing: y-websocket sends each message as it is.
type yWebsocketWire struct{ room string }

func (w yWebsocketWire) url(base string) string {
	return strings.TrimSuffix(base, "/") + "/" + url.PathEscape(w.room)
}

func (yWebsocketWire) hello() [][]byte                  { return nil }
func (yWebsocketWire) frame(msg []byte) []byte          { return msg }
func (yWebsocketWire) unframe(b []byte) ([]byte, error) { return b, nil }

// Hocuspocus's message types (MessageType in @hocuspocus/server's types.ts) beyond the four
// of y-websocket, and the sub-types of its auth message (AuthMessageType in
// @hocuspocus/common).
const (
	hpSync               = 0
	hpAwareness          = 1
	hpAuth               = 2
	hpQueryAwareness     = 3
	hpSyncReply          = 4 // a sync message that asks for no sync step 1 in return
	hpStateless          = 5
	hpBroadcastStateless = 6
	hpClose              = 7
	hpSyncStatus         = 8 // the server's acknowledgement of an update

	hpAuthToken            = 0
	hpAuthPermissionDenied = 1
	hpAuthAuthenticated    = 2
)

// hocuspocusWire prefixes every message with the document's name.
type hocuspocusWire struct {
	prefix []byte // the room's name as a lib0 var-string
}

func newHocuspocusWire(room string) hocuspocusWire {
	prefix := binary.AppendUvarint(nil, uint64(len(room)))
	return hocuspocusWire{prefix: append(prefix, room...)}
}

func (hocuspocusWire) url(base string) string { return base }

// hello authenticates with an empty token: a Hocuspocus server without an onAuthenticate hook
// accepts it, and queues every other message of the document until it has.
func (w hocuspocusWire) hello() [][]byte {
	return [][]byte{w.frame([]byte{hpAuth, hpAuthToken, 0})}
}

func (w hocuspocusWire) frame(msg []byte) []byte {
	b := make([]byte, 0, len(w.prefix)+len(msg))
	return append(append(b, w.prefix...), msg...)
}

func (w hocuspocusWire) unframe(b []byte) ([]byte, error) {
	if len(b) < len(w.prefix) || string(b[:len(w.prefix)]) != string(w.prefix) {
		return nil, fmt.Errorf("%w: a Hocuspocus frame for another document", errProtocol)
	}
	msg := b[len(w.prefix):]
	if len(msg) == 0 {
		return nil, fmt.Errorf("%w: an empty Hocuspocus frame", errProtocol)
	}
	switch msg[0] {
	case hpSync, hpAwareness, hpQueryAwareness:
		return msg, nil
	case hpSyncReply:
		msg[0] = hpSync
		return msg, nil
	case hpAuth:
		switch {
		case len(msg) < 2:
		case msg[1] == hpAuthPermissionDenied:
			return nil, fmt.Errorf("%w (Hocuspocus auth)", errPermissionDenied)
		case msg[1] == hpAuthAuthenticated, msg[1] == hpAuthToken: // a token request needs a hook we do not run
			return nil, nil
		}
		return nil, fmt.Errorf("%w: a malformed Hocuspocus auth message", errProtocol)
	case hpStateless, hpBroadcastStateless, hpSyncStatus:
		return nil, nil
	case hpClose:
		return nil, fmt.Errorf("%w: Hocuspocus closed the document", errProtocol)
	}
	return nil, fmt.Errorf("%w: Hocuspocus message type %d", errProtocol, msg[0])
}
