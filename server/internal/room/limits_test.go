package room

import (
	"strings"
	"testing"
	"time"

	"github.com/pairpad/pairpad/crdt"
	"github.com/pairpad/pairpad/crdt/protocol"
)

// awarenessFrame is a y-websocket awareness message carrying entries.
func awarenessFrame(entries ...protocol.Entry) Receive {
	return Receive{Frame: binary(protocol.EncodeAwarenessMessage(protocol.EncodeAwarenessUpdate(entries)))}
}

func stateOf(n int) []byte { return []byte(`{"pad":"` + strings.Repeat("x", n) + `"}`) }

// Past each awareness limit the offending connection is closed with 1008, and the honest one
// stays and keeps the states it has.
func TestAwarenessLimits(t *testing.T) {
	tests := []struct {
		name  string
		flood func(send func(Receive))
	}{
		{"state too large", func(send func(Receive)) {
			send(awarenessFrame(protocol.Entry{Client: 9, Clock: 1, State: stateOf(20 << 10)}))
		}},
		{"too many entries in a message", func(send func(Receive)) {
			var entries []protocol.Entry
			for i := range 17 {
				entries = append(entries, protocol.Entry{Client: uint64(100 + i), Clock: 1, State: stateOf(1)})
			}
			send(awarenessFrame(entries...))
		}},
		{"too many clients on one connection", func(send func(Receive)) {
			for i := range 9 {
				send(awarenessFrame(protocol.Entry{Client: uint64(100 + i), Clock: 1, State: stateOf(1)}))
			}
		}},
		{"too many messages", func(send func(Receive)) {
			for i := range 201 {
				send(awarenessFrame(protocol.Entry{Client: 9, Clock: uint64(i + 1), State: stateOf(1)}))
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := roomWith(t, Options{}, "honest", "flood")
			in := awarenessFrame(protocol.Entry{Client: 1, Clock: 1, State: stateOf(10)})
			in.Conn, in.At = "honest", scriptEpoch
			r.Step(in)
			r.Ready()
			tt.flood(func(in Receive) {
				in.Conn, in.At = "flood", scriptEpoch.Add(time.Millisecond)
				r.Step(in)
			})
			closed := r.Ready().Closes
			if len(closed) != 1 || closed[0].Conn != "flood" || closed[0].Code != ClosePolicyViolation {
				t.Fatalf("closes %+v, want the flooding connection closed with 1008", closed)
			}
			if got := r.awareness.Clients(); len(got) != 1 || got[0] != 1 {
				t.Errorf("awareness clients after the flood %v, want only the honest one's", got)
			}
		})
	}
}

// An honest connection's cursor moves, a hundred a second for ten seconds, stay within the rate.
func TestAwarenessRateAllowsCursorMoves(t *testing.T) {
	r := roomWith(t, Options{}, "a")
	for i := range 1000 {
		in := awarenessFrame(protocol.Entry{Client: 1, Clock: uint64(i + 1), State: stateOf(100)})
		in.Conn, in.At = "a", scriptEpoch.Add(time.Duration(i)*10*time.Millisecond)
		r.Step(in)
		if closes := r.Ready().Closes; len(closes) > 0 {
			t.Fatalf("message %d closed the connection: %+v", i, closes)
		}
	}
}

// A JSON message longer than MaxJSONMessageBytes closes its connection with 1009 before it is
// parsed or diffed; the text stays as it was.
func TestJSONMessageLimit(t *testing.T) {
	r := roomWith(t, Options{MaxJSONMessageBytes: 1000}, "json:j")
	r.Ready()
	before := r.text.String()
	big := `{"type":"code_update","code":"` + strings.Repeat("x", 1000) + `"}`
	r.Step(Receive{Conn: "j", Frame: Frame{Text: true, Data: []byte(big)}, At: scriptEpoch})
	closes := r.Ready().Closes
	if len(closes) != 1 || closes[0].Code != CloseMessageTooBig {
		t.Fatalf("closes %+v, want j closed with 1009", closes)
	}
	if r.text.String() != before {
		t.Errorf("text %q changed by a refused message", r.text.String())
	}
}

// A JSON client typing as fast as key repeat (50 messages a second, for ten seconds) stays within
// JSONRate; one sending 10,000 at once is closed with 1008 once past its burst of 3,000.
func TestJSONRate(t *testing.T) {
	r := roomWith(t, Options{}, "json:typist", "json:flood")
	r.Ready()
	send := func(conn ConnID, code string, at time.Time) []Close {
		r.Step(Receive{Conn: conn, Frame: Frame{Text: true, Data: []byte(`{"type":"code_update","code":"` + code + `"}`)}, At: at})
		return r.Ready().Closes
	}
	code := r.text.String()
	for i := range 500 {
		code += "x"
		if closes := send("typist", code, scriptEpoch.Add(time.Duration(i)*20*time.Millisecond)); len(closes) > 0 {
			t.Fatalf("keystroke %d closed the typist: %+v", i, closes)
		}
	}
	at := scriptEpoch.Add(10 * time.Second)
	for i := range 10000 {
		closes := send("flood", code, at)
		if len(closes) == 0 {
			continue
		}
		if closes[0].Conn != "flood" || closes[0].Code != ClosePolicyViolation || i < 3000 {
			t.Fatalf("message %d: closes %+v, want the flood closed with 1008 past its burst of 3,000", i, closes)
		}
		return
	}
	t.Fatal("10,000 messages at once did not close the connection")
}

// A room takes MaxConnections connections; one more is closed with 1013 and the others stay.
func TestRoomFull(t *testing.T) {
	r := roomWith(t, Options{MaxConnections: 3}, "a", "b", "c", "d")
	closes := r.Ready().Closes
	if len(closes) != 1 || closes[0].Conn != "d" || closes[0].Code != CloseTryAgainLater {
		t.Fatalf("closes %+v, want d closed with 1013", closes)
	}
	if len(r.order) != 3 {
		t.Errorf("%d connections in the room, want 3", len(r.order))
	}
}

// insertion is an update of a client inserting n characters into the code.
func insertion(t *testing.T, client uint64, n int) []byte {
	t.Helper()
	doc, err := crdt.NewDoc(crdt.Options{ClientID: client})
	if err != nil {
		t.Fatal(err)
	}
	text, _ := doc.GetText(CodeRoot)
	update, err := doc.Transact(func(tx *crdt.Transaction) error { return text.Insert(tx, 0, strings.Repeat("y", n)) })
	if err != nil {
		t.Fatal(err)
	}
	return update
}

func syncUpdate(conn ConnID, update []byte) Receive {
	return Receive{Conn: conn, Frame: binary(protocol.EncodeSyncUpdate(update)), At: scriptEpoch}
}

// An update that would grow the document past MaxRoomBytes closes its connection with 4413 and
// leaves the document as it was; others' smaller edits and deletions are still taken.
func TestRoomSizeLimit(t *testing.T) {
	r := roomWith(t, Options{MaxRoomBytes: 2000}, "big", "small")
	r.Ready()
	r.Step(syncUpdate("big", insertion(t, 5, 3000)))
	closes := r.Ready().Closes
	if len(closes) != 1 || closes[0].Conn != "big" || closes[0].Code != CloseRoomTooLarge {
		t.Fatalf("closes %+v, want big closed with 4413", closes)
	}
	if strings.Contains(r.text.String(), "yyy") {
		t.Fatal("the refused insertion is in the document")
	}
	r.Step(syncUpdate("small", insertion(t, 6, 100)))
	if closes := r.Ready().Closes; len(closes) != 0 || !strings.Contains(r.text.String(), strings.Repeat("y", 100)) {
		t.Fatalf("a small insertion: closes %+v, text %q", closes, r.text.String())
	}
}

// A JSON client cannot grow a full room's code either: it gets an error and keeps its connection.
func TestRoomSizeLimitJSON(t *testing.T) {
	r := roomWith(t, Options{MaxRoomBytes: 2000}, "json:j")
	r.Ready()
	code := `{"type":"code_update","code":"` + strings.Repeat("z", 3000) + `"}`
	r.Step(Receive{Conn: "j", Frame: Frame{Text: true, Data: []byte(code)}, At: scriptEpoch})
	rd := r.Ready()
	if len(rd.Closes) != 0 || strings.Contains(r.text.String(), "zzz") {
		t.Fatalf("closes %+v, text %q: want the connection kept and the text unchanged", rd.Closes, r.text.String())
	}
	if len(rd.Messages) == 0 || !strings.Contains(string(rd.Messages[0].Frame.Data), "room_full") {
		t.Errorf("messages %v, want a room_full error", rd.Messages)
	}
}

// A connection that sends more bytes than InboundBytesPerSecond allows, past its burst, is
// closed with 1008; one within the rate is not.
func TestInboundRate(t *testing.T) {
	r := roomWith(t, Options{InboundBytesPerSecond: 1000, InboundBurstBytes: 2000}, "fast", "steady")
	r.Ready()
	for i := range 4 { // 4 x 600 bytes at once: past the burst of 2000
		in := awarenessFrame(protocol.Entry{Client: 1, Clock: uint64(i + 1), State: stateOf(580)})
		in.Conn, in.At = "fast", scriptEpoch
		r.Step(in)
	}
	for i := range 10 { // 600 bytes a second: within the rate
		in := awarenessFrame(protocol.Entry{Client: 2, Clock: uint64(i + 1), State: stateOf(580)})
		in.Conn, in.At = "steady", scriptEpoch.Add(time.Duration(i)*time.Second)
		r.Step(in)
	}
	closes := r.Ready().Closes
	if len(closes) != 1 || closes[0].Conn != "fast" || closes[0].Code != ClosePolicyViolation {
		t.Fatalf("closes %+v, want fast closed with 1008", closes)
	}
}

// The inbound budget is one client address's, shared by its connections and kept while it
// refills: a client that reconnects does not get a fresh burst; another address does.
func TestInboundRateByAddress(t *testing.T) {
	r := roomWith(t, Options{InboundBytesPerSecond: 1000, InboundBurstBytes: 2000})
	join := func(conn, address string, at time.Duration) {
		r.Step(Join{Conn: ConnID(conn), Role: Editor, Session: NewYjsSession(), At: scriptEpoch.Add(at), Address: address})
	}
	send := func(conn string, client uint64, at time.Duration) {
		in := awarenessFrame(protocol.Entry{Client: client, Clock: 1, State: stateOf(580)})
		in.Conn, in.At = ConnID(conn), scriptEpoch.Add(at)
		r.Step(in)
	}
	join("a1", "10.0.0.1", 0)
	send("a1", 1, 0)
	send("a1", 2, 0)
	send("a1", 3, 0) // 1800 of the 2000 bytes
	r.Step(Leave{Conn: "a1"})
	join("a2", "10.0.0.1", 0) // the same address, reconnected
	join("b", "10.0.0.2", 0)
	r.Ready()
	send("b", 4, 0) // another address: its own budget
	send("a2", 5, 0)
	closes := r.Ready().Closes
	if len(closes) != 1 || closes[0].Conn != "a2" || closes[0].Code != ClosePolicyViolation {
		t.Fatalf("closes %+v, want a2 closed with 1008", closes)
	}
	// Once it has refilled and nobody from it is connected, the address is forgotten.
	r.Step(Tick{Now: scriptEpoch.Add(time.Hour)})
	if len(r.inbound) != 1 {
		t.Fatalf("buckets of %d addresses kept, want 1 (b's, still connected)", len(r.inbound))
	}
}

// deletionsOf is an update deleting n one-unit ranges of client's content, which the room has
// not received.
func deletionsOf(client uint64, n int) []byte {
	ds := crdt.DeleteSet{}
	for i := range n {
		ds[client] = append(ds[client], crdt.DeleteRange{Clock: uint64(2 * i), Len: 1})
	}
	return append([]byte{0}, crdt.EncodeDeleteSet(ds)...)
}

// An update that would leave more pending deletions than MaxPendingDeleteRanges closes its
// connection with 1008 and is not appended; deletions within the cap, and an honest client's
// edits, are taken.
func TestPendingLimit(t *testing.T) {
	r := roomWith(t, Options{MaxPendingDeleteRanges: 100}, "attacker", "honest")
	r.Ready()
	r.Step(syncUpdate("attacker", deletionsOf(9, 100)))
	if rd := r.Ready(); len(rd.Closes) != 0 || len(rd.Append) != 1 {
		t.Fatalf("deletions within the cap: closes %+v, %d appended, want none closed and 1", rd.Closes, len(rd.Append))
	}
	r.Step(syncUpdate("attacker", deletionsOf(8, 1)))
	rd := r.Ready()
	if len(rd.Closes) != 1 || rd.Closes[0].Conn != "attacker" || rd.Closes[0].Code != ClosePolicyViolation ||
		rd.Closes[0].Reason != "too many pending changes" {
		t.Fatalf("closes %+v, want attacker closed with 1008 \"too many pending changes\"", rd.Closes)
	}
	if len(rd.Append) != 0 {
		t.Errorf("%d updates appended, want none", len(rd.Append))
	}
	r.Step(syncUpdate("honest", insertion(t, 6, 10)))
	rd = r.Ready()
	if len(rd.Closes) != 0 || !strings.Contains(r.text.String(), strings.Repeat("y", 10)) {
		t.Fatalf("an honest edit: closes %+v, text %q", rd.Closes, r.text.String())
	}
}

// roomWith returns a new room with opts, joined by conns: y-websocket connections, and JSON ones
// for ids written "json:<id>".
func roomWith(t testing.TB, opts Options, conns ...string) *Room {
	t.Helper()
	r, err := New(opts, Stored{}, scriptEpoch)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range conns {
		session := NewYjsSession()
		if id, ok := strings.CutPrefix(c, "json:"); ok {
			c, session = id, NewSeedSession(time.Millisecond)
		}
		r.Step(Join{Conn: ConnID(c), Role: Editor, Session: session, At: scriptEpoch})
	}
	return r
}
