package room

import (
	"errors"

	"github.com/pairpad/pairpad/crdt"
	"github.com/pairpad/pairpad/crdt/protocol"
)

// yjsSession speaks y-websocket's binary protocol (/yjs/{roomId}): sync, awareness, auth and
// awareness queries, as y-websocket's own server does, with the room's durability rules on top.
type yjsSession struct{}

// NewYjsSession returns the session of a y-websocket connection.
func NewYjsSession() Session { return yjsSession{} }

// keepaliveFrame is an awareness update with no entries: applying it changes nothing, and it
// keeps y-websocket clients, which reconnect after 30 s without a message, connected.
var keepaliveFrame = protocol.EncodeAwarenessMessage(protocol.EncodeAwarenessUpdate(nil))

func binary(data []byte) Frame { return Frame{Data: data} }

func (yjsSession) Protocol() string { return "yjs" }

// open sends the room's state vector (sync step 1) and every awareness state it knows.
func (yjsSession) open(c *conn) {
	c.send(binary(protocol.EncodeSyncStep1(c.room.doc.EncodeStateVector())))
	if clients := c.room.awareness.Clients(); len(clients) > 0 {
		c.send(binary(protocol.EncodeAwarenessMessage(c.room.awareness.EncodeUpdate(clients))))
	}
}

func (yjsSession) receive(c *conn, f Frame) error {
	if f.Text {
		return refuse(CloseUnsupportedData, "binary frames only", errors.New("room: a text frame on a y-websocket connection"))
	}
	msg, err := protocol.DecodeMessage(f.Data)
	if err != nil {
		return err
	}
	switch msg.Type {
	case protocol.MessageSync:
		switch msg.SyncType {
		case protocol.SyncStep1:
			return syncStep2(c, msg.Payload)
		case protocol.SyncStep2, protocol.SyncUpdate:
			if !c.mayEdit() {
				return refuseEdit(c, msg.SyncType, msg.Payload)
			}
			return c.applyUpdate(msg.Payload)
		}
	case protocol.MessageAwareness:
		return c.applyAwareness(msg.Payload)
	case protocol.MessageQueryAwareness:
		r := c.room
		c.send(binary(protocol.EncodeAwarenessMessage(r.awareness.EncodeUpdate(r.awareness.Clients()))))
	case protocol.MessageAuth:
		// Clients send no auth messages; a connection's role was settled when it joined.
	}
	return nil
}

// refuseEdit tells a connection that may not edit that its update was not applied, with the
// protocol's permission-denied message: for an update, or for a sync step 2 that holds content
// the room lacks. (Every client answers the room's sync step 1 with a sync step 2, which holds
// nothing new unless it edited.) The y-websocket client logs the reason.
func refuseEdit(c *conn, syncType protocol.SyncType, update []byte) error {
	if syncType == protocol.SyncStep2 {
		news, err := crdt.DiffUpdate(update, c.room.doc.EncodeStateVector())
		if err != nil {
			return err
		}
		if !crdt.UpdateAddsStructs(news) {
			return nil
		}
	}
	reason := "this link is view only"
	if c.role == Editor {
		reason = "the room is locked"
	}
	c.send(binary(protocol.EncodePermissionDenied(reason)))
	return nil
}

// syncStep2 answers a sync step 1 with what its state vector lacks, once everything the room
// accepted so far is durable: the answer must not reveal an update before it is committed.
func syncStep2(c *conn, stateVector []byte) error {
	if _, err := crdt.DecodeStateVector(stateVector); err != nil {
		return err
	}
	c.whenDurable(func() {
		state, err := c.room.doc.EncodeStateAsUpdate(stateVector)
		if err != nil {
			c.room.close(c, CloseInternalError, "could not encode the room's state", err)
			return
		}
		c.send(binary(protocol.EncodeSyncStep2(state)))
	})
	return nil
}

// committed relays, in one message, every durable update that others sent.
func (yjsSession) committed(c *conn, b *batch) {
	msg, err := b.syncMessage(c)
	if err != nil {
		c.room.close(c, CloseInternalError, "could not relay updates", err)
		return
	}
	if msg != nil {
		c.send(binary(msg))
	}
}

func (yjsSession) awareness(c *conn, a *awarenessUpdate) {
	c.send(binary(a.encoded()))
}

func (yjsSession) peers(*conn, *peerCount) {}

func (yjsSession) tick(c *conn, keepalive bool) {
	if keepalive {
		c.send(binary(keepaliveFrame))
	}
}
