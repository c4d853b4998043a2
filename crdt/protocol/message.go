package protocol

import (
	"fmt"

	"github.com/pairpad/pairpad/crdt/internal/lib0"
)

// MessageType is the var-uint that starts every y-websocket message.
type MessageType uint64

// The y-websocket message types (messageSync, messageAwareness, messageAuth and
// messageQueryAwareness in y-websocket).
const (
	// MessageSync carries a y-protocols/sync message: a SyncType and its payload.
	MessageSync MessageType = 0
	// MessageAwareness carries an awareness update, the payload that Awareness.Apply reads.
	MessageAwareness MessageType = 1
	// MessageAuth carries a y-protocols/auth message: an AuthType and its fields.
	MessageAuth MessageType = 2
	// MessageQueryAwareness asks the receiver for every awareness state it knows. It has no payload.
	MessageQueryAwareness MessageType = 3
)

func (t MessageType) String() string {
	switch t {
	case MessageSync:
		return "sync"
	case MessageAwareness:
		return "awareness"
	case MessageAuth:
		return "auth"
	case MessageQueryAwareness:
		return "query awareness"
	}
	return fmt.Sprintf("MessageType(%d)", uint64(t))
}

// SyncType is the sub-type of a MessageSync message.
type SyncType uint64

// The sync sub-types of y-protocols/sync.js (messageYjsSyncStep1, messageYjsSyncStep2 and
// messageYjsUpdate).
const (
	// SyncStep1 carries the sender's encoded state vector. The receiver answers with SyncStep2.
	SyncStep1 SyncType = 0
	// SyncStep2 carries an update holding everything the state vector of a SyncStep1 lacked.
	SyncStep2 SyncType = 1
	// SyncUpdate carries an update made after the sync.
	SyncUpdate SyncType = 2
)

func (t SyncType) String() string {
	switch t {
	case SyncStep1:
		return "sync step 1"
	case SyncStep2:
		return "sync step 2"
	case SyncUpdate:
		return "update"
	}
	return fmt.Sprintf("SyncType(%d)", uint64(t))
}

// AuthType is the sub-type of a MessageAuth message.
type AuthType uint64

// AuthPermissionDenied tells the client it may not access the document; the message carries a
// reason (messagePermissionDenied in y-protocols/auth.js).
const AuthPermissionDenied AuthType = 0

func (t AuthType) String() string {
	if t == AuthPermissionDenied {
		return "permission denied"
	}
	return fmt.Sprintf("AuthType(%d)", uint64(t))
}

// Message is one decoded y-websocket message. Which fields are set depends on Type:
//
//   - MessageSync: SyncType, and Payload holding a state vector (SyncStep1) or an update
//     (SyncStep2, SyncUpdate), both as the crdt package encodes them.
//   - MessageAwareness: Payload holding an awareness update.
//   - MessageAuth: AuthType, and Reason for AuthPermissionDenied.
//   - MessageQueryAwareness: nothing else.
//
// The other fields are zero.
type Message struct {
	Type     MessageType
	SyncType SyncType
	AuthType AuthType
	// Payload is opaque here. DecodeMessage returns it aliasing its input.
	Payload []byte
	Reason  string
}

// DecodeMessage decodes one y-websocket message, as y-websocket reads the message in each
// WebSocket frame. The returned Payload aliases b; copy it to keep it past b's reuse.
//
// Bytes after the message are ignored: y-websocket's server and client read one message from
// a frame and never look at the rest, so rejecting them would refuse frames that peers accept.
//
// A malformed message is a *DecodeError wrapping ErrUnexpectedEOF, ErrIntegerOverflow or
// ErrInvalidUTF8; an unknown type, sync sub-type or auth sub-type wraps ErrUnknownMessageType,
// ErrUnknownSyncType or ErrUnknownAuthType and names the type. (y-protocols/auth.js ignores an
// unknown auth sub-type; here it is an error too, which the caller may choose to ignore.)
func DecodeMessage(b []byte) (Message, error) {
	d := lib0.NewDecoder(b)
	m := Message{Type: MessageType(d.ReadVarUint())}
	if d.Err() != nil {
		return Message{}, decodeError(d)
	}
	switch m.Type {
	case MessageSync:
		at := d.Pos()
		m.SyncType = SyncType(d.ReadVarUint())
		if d.Err() != nil {
			return Message{}, decodeError(d)
		}
		if m.SyncType > SyncUpdate {
			return Message{}, &DecodeError{Offset: at, Err: fmt.Errorf("%w %d", ErrUnknownSyncType, uint64(m.SyncType))}
		}
		m.Payload = d.ReadVarUint8Array()
	case MessageAwareness:
		m.Payload = d.ReadVarUint8Array()
	case MessageAuth:
		at := d.Pos()
		m.AuthType = AuthType(d.ReadVarUint())
		if d.Err() != nil {
			return Message{}, decodeError(d)
		}
		if m.AuthType != AuthPermissionDenied {
			return Message{}, &DecodeError{Offset: at, Err: fmt.Errorf("%w %d", ErrUnknownAuthType, uint64(m.AuthType))}
		}
		m.Reason = d.ReadVarString()
	case MessageQueryAwareness:
	default:
		return Message{}, &DecodeError{Offset: 0, Err: fmt.Errorf("%w %d", ErrUnknownMessageType, uint64(m.Type))}
	}
	if d.Err() != nil {
		return Message{}, decodeError(d)
	}
	return m, nil
}

// Encode returns m in the y-websocket encoding, reading the fields its Type uses (see Message).
// An unknown type or sub-type is an error wrapping ErrUnknownMessageType, ErrUnknownSyncType
// or ErrUnknownAuthType.
func (m Message) Encode() ([]byte, error) {
	var e lib0.Encoder
	e.WriteVarUint(uint64(m.Type))
	switch m.Type {
	case MessageSync:
		if m.SyncType > SyncUpdate {
			return nil, fmt.Errorf("%w %d", ErrUnknownSyncType, uint64(m.SyncType))
		}
		e.WriteVarUint(uint64(m.SyncType))
		e.WriteVarUint8Array(m.Payload)
	case MessageAwareness:
		e.WriteVarUint8Array(m.Payload)
	case MessageAuth:
		if m.AuthType != AuthPermissionDenied {
			return nil, fmt.Errorf("%w %d", ErrUnknownAuthType, uint64(m.AuthType))
		}
		e.WriteVarUint(uint64(m.AuthType))
		e.WriteVarString(m.Reason)
	case MessageQueryAwareness:
	default:
		return nil, fmt.Errorf("%w %d", ErrUnknownMessageType, uint64(m.Type))
	}
	return e.Bytes(), nil
}

// encodeSync encodes a sync message of a known sub-type, which cannot fail.
func encodeSync(t SyncType, payload []byte) []byte {
	var e lib0.Encoder
	e.Buf = make([]byte, 0, 2+maxVarUintLen+len(payload))
	e.WriteVarUint(uint64(MessageSync))
	e.WriteVarUint(uint64(t))
	e.WriteVarUint8Array(payload)
	return e.Bytes()
}

// maxVarUintLen is the length of the longest var-uint a length can take.
const maxVarUintLen = 10

// EncodeSyncStep1 returns the message that opens a sync: the sender's encoded state vector.
func EncodeSyncStep1(stateVector []byte) []byte { return encodeSync(SyncStep1, stateVector) }

// EncodeSyncStep2 returns the answer to a SyncStep1: an update with everything its state
// vector lacked.
func EncodeSyncStep2(update []byte) []byte { return encodeSync(SyncStep2, update) }

// EncodeSyncUpdate returns the message that carries an update made after the sync.
func EncodeSyncUpdate(update []byte) []byte { return encodeSync(SyncUpdate, update) }

// EncodeAwarenessMessage returns the message that carries an awareness update, such as one made
// by EncodeAwarenessUpdate or returned by Awareness.EncodeUpdate.
func EncodeAwarenessMessage(update []byte) []byte {
	var e lib0.Encoder
	e.Buf = make([]byte, 0, 1+maxVarUintLen+len(update))
	e.WriteVarUint(uint64(MessageAwareness))
	e.WriteVarUint8Array(update)
	return e.Bytes()
}

// EncodeQueryAwareness returns the message that asks for every awareness state.
func EncodeQueryAwareness() []byte { return []byte{byte(MessageQueryAwareness)} }

// EncodePermissionDenied returns the auth message that denies access, with a reason.
func EncodePermissionDenied(reason string) []byte {
	var e lib0.Encoder
	e.WriteVarUint(uint64(MessageAuth))
	e.WriteVarUint(uint64(AuthPermissionDenied))
	e.WriteVarString(reason)
	return e.Bytes()
}
