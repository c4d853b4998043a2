package protocol_test

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/pairpad/pairpad/crdt/protocol"
)

// A server relays awareness: it applies what a client sends, broadcasts the entries that
// changed, and expires states that are not renewed.
func Example() {
	var awareness protocol.Awareness
	now := time.UnixMilli(1_700_000_000_000)

	// A frame from a client, as y-websocket's client sends it.
	frame := protocol.EncodeAwarenessMessage(protocol.EncodeAwarenessUpdate([]protocol.Entry{
		{Client: 42, Clock: 1, State: json.RawMessage(`{"user": {"name": "Ada"}}`)},
	}))

	m, err := protocol.DecodeMessage(frame)
	if err != nil {
		fmt.Println(err)
		return
	}
	if m.Type == protocol.MessageAwareness {
		changes, err := awareness.Apply(m.Payload, now)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println("added:", changes.Added)
		broadcast := protocol.EncodeAwarenessMessage(awareness.EncodeUpdate(changes.Clients()))
		fmt.Printf("broadcast %d bytes\n", len(broadcast))
	}

	entry, _ := awareness.Get(42)
	fmt.Printf("client %d at clock %d: %s\n", entry.Client, entry.Clock, entry.State)

	// Without a renewal, the state expires after protocol.OutdatedTimeout.
	removed, _ := awareness.Tick(now.Add(10 * time.Second))
	fmt.Println("removed after 10s:", removed)
	removed, update := awareness.Tick(now.Add(protocol.OutdatedTimeout))
	fmt.Println("removed after 30s:", removed)
	entries, _ := protocol.DecodeAwarenessUpdate(update)
	fmt.Printf("announced: client %d, clock %d, removed %v\n", entries[0].Client, entries[0].Clock, entries[0].Removed())

	// Output:
	// added: [42]
	// broadcast 29 bytes
	// client 42 at clock 1: {"user":{"name":"Ada"}}
	// removed after 10s: []
	// removed after 30s: [42]
	// announced: client 42, clock 1, removed true
}

// A server dispatches each frame on its type; sync payloads go to the crdt package.
func ExampleDecodeMessage() {
	stateVector := []byte{0} // an empty document's state vector
	for _, frame := range [][]byte{
		protocol.EncodeSyncStep1(stateVector),
		protocol.EncodePermissionDenied("read-only"),
		{7},
	} {
		m, err := protocol.DecodeMessage(frame)
		switch {
		case err != nil:
			fmt.Println("error:", err)
		case m.Type == protocol.MessageSync:
			fmt.Printf("%v: %v, payload %x\n", m.Type, m.SyncType, m.Payload)
		case m.Type == protocol.MessageAuth:
			fmt.Printf("%v: %v: %s\n", m.Type, m.AuthType, m.Reason)
		}
	}
	// Output:
	// sync: sync step 1, payload 00
	// auth: permission denied: read-only
	// error: protocol: unknown message type 7 at offset 0
}
