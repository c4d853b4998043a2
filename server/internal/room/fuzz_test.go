package room

import (
	"strings"
	"testing"
	"time"

	"github.com/pairpad/pairpad/crdt"
	"github.com/pairpad/pairpad/crdt/protocol"
)

// fuzzPeer is an honest y-websocket client of the fuzzed room: a document of its own that
// applies what the room sends it.
type fuzzPeer struct {
	id   ConnID
	doc  *crdt.Doc
	text *crdt.Text
}

// FuzzRoom drives a room with two honest y-websocket clients that type, and hostile
// connections that send what the fuzzer makes of the input: arbitrary frames of both kinds,
// awareness floods, oversized states, JSON junk. Whatever they send, the room must not panic,
// must close only hostile connections, and the honest clients must end with the room's text.
// (The JSON connection edits too, so it may delete what the honest clients typed.)
func FuzzRoom(f *testing.F) {
	f.Add([]byte{0, 1, 2, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9, 3, 4, 5, 0, 1})
	f.Add([]byte{2, 3, 0, 0, 1, 1, 0, 2, 5, 0x82, 0x01, 0x00, 0x00, 0x00, 6, 4, 0})
	f.Add([]byte(`{"type":"code_update","code":"x"}` + "\x05\x05\x00\x01"))
	f.Fuzz(runFuzzProgram)
}

// maxFuzzOps bounds a FuzzRoom input: a longer one only takes longer.
const maxFuzzOps = 256

// runFuzzProgram runs one input of FuzzRoom.
func runFuzzProgram(t *testing.T, program []byte) {
	program = program[:min(len(program), maxFuzzOps)]
	now := scriptEpoch
	r, err := New(Options{MaxRoomBytes: 1 << 16, MaxJSONMessageBytes: 256}, Stored{}, now)
	if err != nil {
		t.Fatal(err)
	}
	honest := []*fuzzPeer{newFuzzPeer(t, "a", 11), newFuzzPeer(t, "b", 12)}
	byID := map[ConnID]*fuzzPeer{"a": honest[0], "b": honest[1]}
	for _, p := range honest {
		r.Step(Join{Conn: p.id, Role: Editor, Session: NewYjsSession(), At: now})
		r.Step(Receive{Conn: p.id, Frame: binary(protocol.EncodeSyncStep1(p.doc.EncodeStateVector())), At: now})
	}
	r.Step(Join{Conn: "bin", Role: Editor, Session: NewYjsSession(), At: now})
	r.Step(Join{Conn: "json", Role: Editor, Session: NewSeedSession(time.Millisecond), At: now})
	var seq uint64
	drain := func() {
		for {
			rd := r.Ready()
			if rd.Empty() {
				return
			}
			for _, m := range rd.Messages {
				if p := byID[m.Conn]; p != nil {
					p.receive(t, m.Frame)
				}
			}
			for _, c := range rd.Closes {
				if byID[c.Conn] != nil {
					t.Fatalf("an honest connection was closed: %+v", c)
				}
			}
			if len(rd.Append) > 0 {
				seq += uint64(len(rd.Append))
				r.Step(Committed{Seq: seq, At: now})
			}
			if rd.Snapshot != nil {
				r.Step(Compacted{Err: rd.Snapshot.Check()})
			}
		}
	}
	for i := 0; i < len(program); i++ {
		now = now.Add(time.Millisecond)
		op, arg := program[i]%7, program[i:]
		switch op {
		case 0, 1:
			honest[op].typeLetter(t, r, int(program[i]), now)
		case 2, 3: // an arbitrary frame, binary or text, of up to 32 bytes
			n := min(len(arg)-1, int(program[i]>>3)%32)
			r.Step(Receive{Conn: [...]ConnID{"bin", "json"}[op-2], Frame: Frame{Text: op == 3, Data: arg[1 : 1+n]}, At: now})
			i += n
		case 4: // an awareness update claiming many clients
			var entries []protocol.Entry
			for c := range int(program[i]>>3) + 1 {
				entries = append(entries, protocol.Entry{Client: uint64(1000 + c), Clock: uint64(i + 1), State: []byte(`{}`)})
			}
			r.Step(Receive{Conn: "bin", Frame: binary(protocol.EncodeAwarenessMessage(protocol.EncodeAwarenessUpdate(entries))), At: now})
		case 5: // a JSON code_update of the fuzzer's text
			n := min(len(arg)-1, int(program[i]>>3)%32)
			msg := `{"type":"code_update","code":"` + strings.ToValidUTF8(strings.NewReplacer(`"`, "", `\`, "").Replace(string(arg[1:1+n])), "") + `"}`
			r.Step(Receive{Conn: "json", Frame: Frame{Text: true, Data: []byte(msg)}, At: now})
			i += n
		case 6:
			r.Step(Tick{Now: now})
		}
		drain()
	}
	drain()
	// What the hostile connections could make the room hold is bounded.
	if n := len(r.awareness.Clients()); n > 4*r.opts.MaxAwarenessClients {
		t.Errorf("%d awareness states held, more than the connections may set", n)
	}
	if n := r.size(); n > r.opts.MaxRoomBytes {
		t.Errorf("the document is %d bytes, past the limit %d", n, r.opts.MaxRoomBytes)
	}
	want := r.text.String()
	for _, p := range honest {
		if got := p.text.String(); got != want {
			t.Fatalf("%s has %q, the room %q", p.id, got, want)
		}
	}
}

func newFuzzPeer(t *testing.T, id ConnID, client uint64) *fuzzPeer {
	doc, err := crdt.NewDoc(crdt.Options{ClientID: client})
	if err != nil {
		t.Fatal(err)
	}
	text, _ := doc.GetText(CodeRoot)
	return &fuzzPeer{id: id, doc: doc, text: text}
}

// typeLetter types a letter at a position the input picks and sends it to the room.
func (p *fuzzPeer) typeLetter(t *testing.T, r *Room, pick int, now time.Time) {
	letter := string(rune('a' + pick%26))
	update, err := p.doc.Transact(func(tx *crdt.Transaction) error { return p.text.Insert(tx, pick%(p.text.Len()+1), letter) })
	if err != nil {
		t.Fatal(err)
	}
	r.Step(Receive{Conn: p.id, Frame: binary(protocol.EncodeSyncUpdate(update)), At: now})
}

// receive applies a message of the room, as a y-websocket client does.
func (p *fuzzPeer) receive(t *testing.T, f Frame) {
	msg, err := protocol.DecodeMessage(f.Data)
	if err != nil {
		t.Fatalf("%s got a frame it cannot decode: %v", p.id, err)
	}
	if msg.Type != protocol.MessageSync || msg.SyncType == protocol.SyncStep1 {
		return
	}
	if err := p.doc.ApplyUpdate(msg.Payload); err != nil {
		t.Fatalf("%s cannot apply the room's update: %v", p.id, err)
	}
}
