// Package protocol implements the messages that Yjs peers exchange over y-websocket: the
// envelope of y-websocket, the sync messages of y-protocols/sync.js, the auth message of
// y-protocols/auth.js, and the awareness updates of y-protocols/awareness.js together with an
// Awareness that keeps the states they carry by the same rules.
//
// Every y-websocket message is one WebSocket frame that starts with a var-uint MessageType:
//
//	MessageSync            SyncType, then a var-uint8-array payload:
//	                       SyncStep1: the sender's state vector
//	                       SyncStep2: an update with everything that state vector lacks
//	                       SyncUpdate: an update
//	MessageAwareness       a var-uint8-array holding an awareness update
//	MessageAuth            AuthPermissionDenied, then the reason as a var-string
//	MessageQueryAwareness  nothing
//
// State vectors and updates are opaque here; package crdt encodes and decodes them. An
// awareness update is a var-uint count of entries, each a client id and a clock as var-uints
// and the client's state as a var-string of JSON ("null" once the client is gone).
//
// The package is pure: no I/O, goroutines, clocks or logging. Decoders and Awareness take
// bytes and the current time and return values, updates to send and errors; the caller owns
// connections and timers. Decoders never trust counts or lengths read from the input: what
// they allocate is bounded by the input's size, and malformed input is an error, never a
// panic.
//
// A y-websocket server built on it, for each document:
//
//   - on a new connection, sends EncodeSyncStep1 with the document's state vector and, if
//     Awareness.Clients is not empty, EncodeAwarenessMessage(a.EncodeUpdate(a.Clients()));
//   - answers SyncStep1 with EncodeSyncStep2, applies the updates of SyncStep2 and SyncUpdate
//     and broadcasts them with EncodeSyncUpdate;
//   - applies MessageAwareness payloads with Awareness.Apply, remembers which clients each
//     connection added, and broadcasts a.EncodeUpdate(changes.Clients()) when they are not
//     empty;
//   - on a closed connection calls Awareness.Remove with that connection's clients, and every
//     few seconds Awareness.Tick, broadcasting the updates they return.
package protocol
