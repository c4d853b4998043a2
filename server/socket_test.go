package server

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

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

// A REST request whose body trickles in is answered 408 once RequestTimeout has passed, and its
// connection is let go.
func TestRESTBodyTrickledTooSlowly(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Options{RequestTimeout: 300 * time.Millisecond})
	conn, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	_, _ = conn.Write([]byte("POST /rooms HTTP/1.1\r\nHost: pairpad\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"))
	stop := make(chan struct{})
	defer close(stop)
	go func() { // a byte every 50 ms: the body would take 5 s
		for range 99 {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
				if _, err := conn.Write([]byte(" ")); err != nil {
					return
				}
			}
		}
	}()
	_ = conn.SetReadDeadline(time.Now().Add(4 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no response to a trickled body: %v", err)
	}
	if resp.StatusCode != http.StatusRequestTimeout {
		t.Errorf("status %d, want 408", resp.StatusCode)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("answered after %v, want about the 300 ms timeout", took)
	}
}

// A WebSocket opened on a connection that served a REST request first (keep-alive) is not
// bound by that request's deadlines (net/http clears them when the connection is hijacked).
func TestSocketAfterRESTOnOneConnection(t *testing.T) {
	t.Parallel()
	const timeout = 100 * time.Millisecond
	ts := newTestServer(t, Options{RequestTimeout: timeout})
	id := ts.createRoom(t, "")
	conn, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	r := bufio.NewReader(conn)
	_, _ = conn.Write([]byte("GET /health HTTP/1.1\r\nHost: pairpad\r\n\r\n"))
	if resp, err := http.ReadResponse(r, nil); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /health: %v %v", resp, err)
	} else {
		_, _ = io.Copy(io.Discard, resp.Body)
	}
	_, _ = conn.Write([]byte("GET /yjs/" + id + " HTTP/1.1\r\nHost: pairpad\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"))
	if resp, err := http.ReadResponse(r, nil); err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %v %v", resp, err)
	}
	time.Sleep(3 * timeout) // past both of the REST request's deadlines
	_, _ = conn.Write(clientFrame(protocol.EncodeSyncStep1([]byte{0})))
	_ = conn.SetReadDeadline(time.Now().Add(4 * time.Second))
	for {
		payload, err := readServerFrame(r)
		if err != nil {
			t.Fatalf("no sync step 2 after the REST request's deadlines: %v", err)
		}
		if msg, err := protocol.DecodeMessage(payload); err == nil && msg.Type == protocol.MessageSync && msg.SyncType == protocol.SyncStep2 {
			return
		}
	}
}

// readServerFrame reads one unmasked WebSocket frame and returns its payload.
func readServerFrame(r *bufio.Reader) ([]byte, error) {
	var head [2]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return nil, err
	}
	n := uint64(head[1] & 0x7f)
	switch n {
	case 126:
		var ext [2]byte
		if _, err := io.ReadFull(r, ext[:]); err != nil {
			return nil, err
		}
		n = uint64(binary.BigEndian.Uint16(ext[:]))
	case 127:
		var ext [8]byte
		if _, err := io.ReadFull(r, ext[:]); err != nil {
			return nil, err
		}
		n = binary.BigEndian.Uint64(ext[:])
	}
	payload := make([]byte, n)
	_, err := io.ReadFull(r, payload)
	return payload, err
}

// One client address holds at most MaxConnectionsPerAddress room sockets: one more is refused
// with a 429 before the upgrade, and a socket that closes makes room for another.
func TestConnectionsPerAddress(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Options{MaxConnectionsPerAddress: 2})
	id := ts.createRoom(t, "")
	a := dial(t, ts, "/yjs/"+id)
	b := dial(t, ts, "/ws/"+id)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, resp, err := websocket.Dial(ctx, wsURL(ts, "/yjs/"+id), nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("a third socket from one address: %v %v, want a 429 with Retry-After", resp, err)
	}
	a.Close(websocket.StatusNormalClosure, "")
	b.Close(websocket.StatusNormalClosure, "")
	ts.awaitSockets(t)
	c := dial(t, ts, "/yjs/"+id)
	c.Close(websocket.StatusNormalClosure, "")
}

// A socket that sends nothing is pinged; one that does not answer is closed within
// PingInterval and a half, while a client that answers pings (any WebSocket client that reads)
// stays however long it is silent.
func TestSilentSocketsArePinged(t *testing.T) {
	t.Parallel()
	const interval = 200 * time.Millisecond
	ts := newTestServer(t, Options{PingInterval: interval})
	id := ts.createRoom(t, "")
	honest := dialYjs(t, ts, id, 71) // its reader answers pings

	mute, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer mute.Close()
	_, _ = mute.Write([]byte("GET /ws/" + id + " HTTP/1.1\r\nHost: pairpad\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"))
	start := time.Now()
	_ = mute.SetReadDeadline(start.Add(5 * time.Second))
	_, err = io.Copy(io.Discard, mute) // reads what it is sent, the ping among it, and answers nothing
	if err != nil {
		t.Fatalf("the silent socket that answers no ping was not closed: %v", err)
	}
	if took := time.Since(start); took > 10*interval {
		t.Errorf("closed after %v, want about %v", took, 3*interval/2)
	}
	time.Sleep(3 * interval) // the honest client is silent too, and pinged
	if honest.closed() {
		t.Fatalf("a client that answers pings was closed: %v", honest.err)
	}
}
