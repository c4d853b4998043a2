package server

import (
	"bufio"
	"crypto/rand"
	"encoding/binary"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/pairpad/pairpad/crdt"
	"github.com/pairpad/pairpad/crdt/protocol"
	"github.com/pairpad/pairpad/server/internal/room"
)

// A client may send frames in the same packet as its upgrade request, so that net/http reads
// them with the request: none is lost when the connection gets its own buffers, and frames
// larger than those buffers pass both ways.
func TestSocketFramesSentWithTheUpgrade(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Options{})
	id := ts.createRoom(t, "")
	big := strings.Repeat("big insert ", 3*socketBufferSize/10)
	doc, err := crdt.NewDoc(crdt.Options{ClientID: 7})
	if err != nil {
		t.Fatal(err)
	}
	text, _ := doc.GetText(room.CodeRoot)
	small, _ := doc.Transact(func(tx *crdt.Transaction) error { return text.Insert(tx, 0, "small insert") })
	large, _ := doc.Transact(func(tx *crdt.Transaction) error { return text.Insert(tx, 0, big) })

	conn, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	packet := []byte("GET /yjs/" + id + " HTTP/1.1\r\nHost: pairpad\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
	packet = append(packet, clientFrame(protocol.EncodeSyncUpdate(small))...)
	packet = append(packet, clientFrame(protocol.EncodeSyncUpdate(large))...)
	if _, err := conn.Write(packet); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %v %v", resp, err)
	}

	peer := dialYjs(t, ts, id, 8)
	await(t, ts.sig, "both inserts at a second client", func() bool {
		s := peer.String()
		return strings.Contains(s, "small insert") && strings.Contains(s, big)
	})
}

// clientFrame returns payload as one masked binary WebSocket frame, as a client sends it.
func clientFrame(payload []byte) []byte {
	frame := []byte{0x82} // FIN, binary
	switch n := len(payload); {
	case n < 126:
		frame = append(frame, 0x80|byte(n))
	case n <= 0xffff:
		frame = binary.BigEndian.AppendUint16(append(frame, 0x80|126), uint16(n))
	default:
		frame = binary.BigEndian.AppendUint64(append(frame, 0x80|127), uint64(n))
	}
	var mask [4]byte
	_, _ = rand.Read(mask[:])
	frame = append(frame, mask[:]...)
	for i, b := range payload {
		frame = append(frame, b^mask[i%4])
	}
	return frame
}
