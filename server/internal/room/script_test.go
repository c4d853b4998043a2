package room

import (
	leb128 "encoding/binary" // lib0 var-uints; binary is the package's frame constructor
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"

	"github.com/pairpad/pairpad/crdt"
	"github.com/pairpad/pairpad/crdt/protocol"
)

// TestScripts runs the protocol scripts in testdata: each steps a room with inputs and prints
// every Ready, as raft's interaction tests do. Run with -rewrite to update the expected output
// after a deliberate change, and read the diff.
//
// Commands (arguments are key=value; a command's text input is its body, read as a Go string
// literal when it starts with a double quote):
//
//	new [language=python] [compact-entries=N] [compact-bytes=N] [keepalive=15s] [seed-interval=50ms]
//	    body: the starter code
//	join conn=a proto=yjs|json [role=editor|viewer] [link=L] [sync]   sync: a y-websocket client also sends sync step 1
//	leave conn=a
//	send conn=a step1|step2|query-awareness|auth
//	send conn=a awareness client=N clock=N     body: the state's JSON ("null" removes it)
//	send conn=a hex=0a0b                       a raw binary frame
//	send conn=a text                           body: a raw text frame
//	send conn=a code                           body: the code of a code_update message
//	send conn=a nested=N                       an update of N arrays nested in the root array "nested"
//	edit conn=a insert=N                       body: the text to insert, sent as a sync update
//	edit conn=a delete=N n=N
//	commit [fail]   compacted [fail]   tick d=15s   query id=N [language=go] [role=viewer] [history]   stop
//	restore id=N seq=N [role=viewer]           body: the code to restore
//	access [links=L1,L2] [locked]              the room's links (none: any) and lock
//	evict code=N reason=R
//	print conn=a                               the code as the client has it
//
// A y-websocket client's document applies every update it is sent; its client id is its
// position among the script's connections, from 1.
func TestScripts(t *testing.T) {
	t.Parallel()
	datadriven.Walk(t, "testdata", func(t *testing.T, path string) {
		t.Parallel()
		s := &script{}
		datadriven.RunTest(t, path, s.run)
	})
}

var scriptEpoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// script is the state of one script: the room, the clock and the clients.
type script struct {
	room     *Room
	now      time.Time
	seq      uint64
	append   []Update // handed out, not yet committed
	clients  map[ConnID]*client
	names    []ConnID
	interval time.Duration
	wake     time.Time
	// snapshotErr is why the snapshot handed out last fails its check, if it does.
	snapshotErr error
}

// client is a connection as the script sees it.
type client struct {
	yjs  bool
	doc  *crdt.Doc
	text *crdt.Text
	code string // a JSON client's last code_update
}

func (s *script) run(t *testing.T, td *datadriven.TestData) string {
	var out strings.Builder
	if td.Cmd != "new" && s.room == nil {
		td.Fatalf(t, "the script must start with new")
	}
	switch td.Cmd {
	case "new":
		s.create(t, td, &out)
	case "join":
		name := ConnID(s.arg(t, td, "conn"))
		role := Editor
		if s.opt(td, "role", "editor") == "viewer" {
			role = Viewer
		}
		var session Session
		switch proto := s.arg(t, td, "proto"); proto {
		case "yjs":
			session = NewYjsSession()
		case "json":
			session = NewSeedSession(s.interval)
		default:
			td.Fatalf(t, "unknown protocol %q", proto)
		}
		s.addClient(t, name, session.Protocol() == "yjs")
		s.room.Step(Join{Conn: name, Role: role, Session: session, At: s.now, Link: s.opt(td, "link", "")})
		if td.HasArg("sync") {
			s.room.Step(Receive{Conn: name, Frame: binary(protocol.EncodeSyncStep1(s.clients[name].doc.EncodeStateVector())), At: s.now})
		}
	case "leave":
		s.room.Step(Leave{Conn: ConnID(s.arg(t, td, "conn"))})
	case "send":
		s.send(t, td)
	case "edit":
		s.edit(t, td)
	case "commit":
		if s.append == nil {
			td.Fatalf(t, "nothing to commit")
		}
		in := Committed{Seq: s.seq + uint64(len(s.append)), At: s.now}
		if td.HasArg("fail") {
			in = Committed{Err: errors.New("disk full"), At: s.now}
		} else {
			s.seq = in.Seq
		}
		s.append = nil
		s.room.Step(in)
	case "compacted":
		in := Compacted{Err: s.snapshotErr}
		if td.HasArg("fail") {
			in.Err = errors.New("disk full")
		}
		s.room.Step(in)
	case "tick":
		d, err := time.ParseDuration(s.arg(t, td, "d"))
		if err != nil {
			td.Fatalf(t, "%v", err)
		}
		s.now = s.now.Add(d)
		s.room.Step(Tick{Now: s.now})
	case "query":
		id, err := strconv.ParseUint(s.arg(t, td, "id"), 10, 64)
		if err != nil {
			td.Fatalf(t, "%v", err)
		}
		role := Editor
		if s.opt(td, "role", "editor") == "viewer" {
			role = Viewer
		}
		s.room.Step(Query{ID: id, Language: s.opt(td, "language", ""), Role: role, History: td.HasArg("history"), At: s.now})
	case "restore":
		seq, err := strconv.ParseUint(s.arg(t, td, "seq"), 10, 64)
		if err != nil {
			td.Fatalf(t, "%v", err)
		}
		role := Editor
		if s.opt(td, "role", "editor") == "viewer" {
			role = Viewer
		}
		s.room.Step(Restore{ID: uint64(s.intOpt(t, td, "id")), Code: body(t, td), Seq: seq, Role: role, At: s.now})
	case "stop":
		s.room.Step(Stop{})
	case "access":
		var links []string
		if l := s.opt(td, "links", ""); l != "" {
			links = strings.Split(l, ",")
		}
		s.room.Step(Access{Links: links, Locked: td.HasArg("locked"), At: s.now})
	case "evict":
		s.room.Step(Evict{Code: CloseCode(s.intOpt(t, td, "code")), Reason: s.arg(t, td, "reason")})
	case "print":
		c := s.client(t, td)
		if c.yjs {
			return fmt.Sprintf("%q\n", c.text.String())
		}
		return fmt.Sprintf("%q\n", c.code)
	default:
		td.Fatalf(t, "unknown command %q", td.Cmd)
	}
	s.printReady(t, &out)
	if out.Len() == 0 {
		return "ok\n"
	}
	return out.String()
}

func (s *script) create(t *testing.T, td *datadriven.TestData, out *strings.Builder) {
	opts := Options{
		CompactEntries:    s.intOpt(t, td, "compact-entries"),
		CompactBytes:      s.intOpt(t, td, "compact-bytes"),
		KeepaliveInterval: s.durationOpt(t, td, "keepalive"),
	}
	s.interval = s.durationOpt(t, td, "seed-interval")
	state, err := Initial(body(t, td), s.opt(td, "language", "python"))
	if err != nil {
		td.Fatalf(t, "%v", err)
	}
	s.now = scriptEpoch
	s.clients = make(map[ConnID]*client)
	s.room, err = New(opts, Stored{Snapshot: state}, s.now)
	if err != nil {
		td.Fatalf(t, "%v", err)
	}
	fmt.Fprintf(out, "room %q\n", s.room.text.String())
}

func (s *script) addClient(t *testing.T, name ConnID, yjs bool) {
	c := &client{yjs: yjs}
	if yjs {
		var err error
		c.doc, err = crdt.NewDoc(crdt.Options{ClientID: uint64(len(s.names) + 1)})
		if err == nil {
			c.text, err = c.doc.GetText(CodeRoot)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	s.clients[name] = c
	s.names = append(s.names, name)
}

func (s *script) client(t *testing.T, td *datadriven.TestData) *client {
	c := s.clients[ConnID(s.arg(t, td, "conn"))]
	if c == nil {
		td.Fatalf(t, "no connection %q", s.arg(t, td, "conn"))
	}
	return c
}

func (s *script) send(t *testing.T, td *datadriven.TestData) {
	name := ConnID(s.arg(t, td, "conn"))
	c := s.client(t, td)
	var f Frame
	switch {
	case td.HasArg("step1"):
		f = binary(protocol.EncodeSyncStep1(c.doc.EncodeStateVector()))
	case td.HasArg("step2"):
		state, err := c.doc.EncodeStateAsUpdate(nil)
		if err != nil {
			t.Fatal(err)
		}
		f = binary(protocol.EncodeSyncStep2(state))
	case td.HasArg("query-awareness"):
		f = binary(protocol.EncodeQueryAwareness())
	case td.HasArg("auth"):
		f = binary(protocol.EncodePermissionDenied("no"))
	case td.HasArg("awareness"):
		var client, clock uint64
		td.ScanArgs(t, "client", &client)
		td.ScanArgs(t, "clock", &clock)
		entry := protocol.Entry{Client: client, Clock: clock, State: json.RawMessage(body(t, td))}
		f = binary(protocol.EncodeAwarenessMessage(protocol.EncodeAwarenessUpdate([]protocol.Entry{entry})))
	case td.HasArg("hex"):
		data, err := hex.DecodeString(s.arg(t, td, "hex"))
		if err != nil {
			td.Fatalf(t, "%v", err)
		}
		f = binary(data)
	case td.HasArg("nested"):
		var n int
		td.ScanArgs(t, "nested", &n)
		f = binary(protocol.EncodeSyncUpdate(nestedArrays(c.doc.ClientID(), n)))
	case td.HasArg("text"):
		f = text([]byte(body(t, td)))
	case td.HasArg("code"):
		msg, _ := json.Marshal(map[string]string{"type": "code_update", "code": body(t, td)})
		f = text(msg)
	default:
		td.Fatalf(t, "send what?")
	}
	s.room.Step(Receive{Conn: name, Frame: f, At: s.now})
}

// nestedArrays returns an update of n arrays of client, each in the one before, the first in
// the root array "nested", as yjs writes them (the crdt API cannot nest types). lib0's var-uint
// is the same LEB128 as encoding/binary's Uvarint.
func nestedArrays(client uint64, n int) []byte {
	const typeStruct, arrayRef = 7, 0
	u := leb128.AppendUvarint(nil, 1) // one client
	u = leb128.AppendUvarint(u, uint64(n))
	u = leb128.AppendUvarint(u, client)
	u = leb128.AppendUvarint(u, 0) // from clock 0
	for i := range n {
		u = append(u, typeStruct)
		if i == 0 {
			u = leb128.AppendUvarint(u, 1) // the parent is a root, by name
			u = leb128.AppendUvarint(u, uint64(len("nested")))
			u = append(u, "nested"...)
		} else {
			u = leb128.AppendUvarint(u, 0) // the parent is the type an item holds
			u = leb128.AppendUvarint(u, client)
			u = leb128.AppendUvarint(u, uint64(i-1))
		}
		u = leb128.AppendUvarint(u, arrayRef)
	}
	return leb128.AppendUvarint(u, 0) // no deletions
}

func (s *script) edit(t *testing.T, td *datadriven.TestData) {
	c := s.client(t, td)
	update, err := c.doc.Transact(func(tx *crdt.Transaction) error {
		if td.HasArg("insert") {
			var pos int
			td.ScanArgs(t, "insert", &pos)
			return c.text.Insert(tx, pos, body(t, td))
		}
		var pos, n int
		td.ScanArgs(t, "delete", &pos)
		td.ScanArgs(t, "n", &n)
		return c.text.Delete(tx, pos, n)
	})
	if err != nil {
		td.Fatalf(t, "%v", err)
	}
	s.room.Step(Receive{Conn: ConnID(s.arg(t, td, "conn")), Frame: binary(protocol.EncodeSyncUpdate(update)), At: s.now})
}

// printReady takes the room's Ready and prints it, applying what y-websocket clients are sent.
func (s *script) printReady(t *testing.T, out *strings.Builder) {
	rd := s.room.Ready()
	for _, m := range rd.Messages {
		fmt.Fprintf(out, "%s <- %s\n", m.Conn, s.deliver(t, m))
	}
	for _, c := range rd.Closes {
		fmt.Fprintf(out, "%s closed %d %q", c.Conn, c.Code, c.Reason)
		if c.Err != nil {
			fmt.Fprintf(out, ": %v", c.Err)
		}
		out.WriteString("\n")
	}
	for _, r := range rd.Replies {
		if r.Err != nil {
			fmt.Fprintf(out, "reply %d error %v\n", r.ID, r.Err)
		} else {
			fmt.Fprintf(out, "reply %d seq=%d language=%s code=%q", r.ID, r.Seq, r.Language, r.Code)
			if v := r.Open; v != nil {
				fmt.Fprintf(out, " open %d-%d %q +%d -%d", v.FromSeq, v.ToSeq, v.Authors, v.Added, v.Removed)
			}
			out.WriteString("\n")
		}
	}
	for _, u := range rd.Append {
		fmt.Fprintf(out, "append %d bytes from %q (%s) at +%v\n", len(u.Data), u.Session, u.Author, u.Time.Sub(scriptEpoch))
	}
	for _, v := range rd.Versions {
		fmt.Fprintf(out, "version %d-%d +%v..+%v %q +%d -%d", v.FromSeq, v.ToSeq, v.From.Sub(scriptEpoch), v.To.Sub(scriptEpoch), v.Authors, v.Added, v.Removed)
		if v.Restore != 0 {
			fmt.Fprintf(out, " restores %d", v.Restore)
		}
		out.WriteString("\n")
	}
	if rd.Append != nil {
		s.append = rd.Append
	}
	if rd.Snapshot != nil {
		fmt.Fprintf(out, "snapshot seq=%d %q\n", rd.Snapshot.Seq, snapshotText(t, rd.Snapshot.State))
		// As the server does, the snapshot is checked before it is written; compacted reports
		// the check's failure.
		if s.snapshotErr = rd.Snapshot.Check(); s.snapshotErr != nil {
			fmt.Fprintf(out, "snapshot check: %v\n", s.snapshotErr)
		}
	}
	for _, err := range rd.Errors {
		fmt.Fprintf(out, "error %v\n", err)
	}
	if rd.Stopped {
		out.WriteString("stopped\n")
	}
	if wake := s.room.NextTick(); !wake.Equal(s.wake) && !wake.IsZero() {
		s.wake = wake
		fmt.Fprintf(out, "next tick +%v\n", wake.Sub(s.now))
	}
}

// deliver describes a frame sent to a client and applies it to the client's document.
func (s *script) deliver(t *testing.T, m Message) string {
	c := s.clients[m.Conn]
	if m.Frame.Text {
		var msg seedMessage
		if json.Unmarshal(m.Frame.Data, &msg) == nil && msg.Code != nil {
			c.code = *msg.Code
		}
		return string(m.Frame.Data)
	}
	msg, err := protocol.DecodeMessage(m.Frame.Data)
	if err != nil {
		t.Fatalf("the room sent a malformed message %x: %v", m.Frame.Data, err)
	}
	switch msg.Type {
	case protocol.MessageSync:
		if msg.SyncType == protocol.SyncStep1 {
			sv, err := crdt.DecodeStateVector(msg.Payload)
			if err != nil {
				t.Fatal(err)
			}
			return fmt.Sprintf("%v %v", msg.SyncType, formatStateVector(sv))
		}
		if err := c.doc.ApplyUpdate(msg.Payload); err != nil {
			t.Fatalf("%s could not apply the %v it was sent: %v", m.Conn, msg.SyncType, err)
		}
		return fmt.Sprintf("%v -> %q", msg.SyncType, c.text.String())
	case protocol.MessageAwareness:
		entries, err := protocol.DecodeAwarenessUpdate(msg.Payload)
		if err != nil {
			t.Fatal(err)
		}
		var parts []string
		for _, e := range entries {
			state := string(e.State)
			if e.Removed() {
				state = "null"
			}
			parts = append(parts, fmt.Sprintf("%d:%d=%s", e.Client, e.Clock, state))
		}
		return fmt.Sprintf("awareness [%s]", strings.Join(parts, " "))
	case protocol.MessageAuth:
		return fmt.Sprintf("%v %q", msg.AuthType, msg.Reason)
	}
	return fmt.Sprintf("%v %x", msg.Type, msg.Payload)
}

func formatStateVector(sv crdt.StateVector) string {
	clients := make([]uint64, 0, len(sv))
	for c := range sv {
		clients = append(clients, c)
	}
	slices.Sort(clients)
	parts := make([]string, len(clients))
	for i, c := range clients {
		name := strconv.FormatUint(c, 10)
		if c == ServerClientID {
			name = "server"
		}
		parts[i] = fmt.Sprintf("%s:%d", name, sv[c])
	}
	return "{" + strings.Join(parts, " ") + "}"
}

func snapshotText(t *testing.T, state []byte) string {
	r, err := New(Options{}, Stored{Snapshot: state}, scriptEpoch)
	if err != nil {
		t.Fatalf("the snapshot does not load: %v", err)
	}
	return r.text.String()
}

func body(t *testing.T, td *datadriven.TestData) string {
	if strings.HasPrefix(td.Input, `"`) {
		s, err := strconv.Unquote(td.Input)
		if err != nil {
			td.Fatalf(t, "body: %v", err)
		}
		return s
	}
	return td.Input
}

func (s *script) arg(t *testing.T, td *datadriven.TestData, key string) string {
	a, ok := td.Arg(key)
	if !ok {
		td.Fatalf(t, "%s needs %s=", td.Cmd, key)
	}
	return a.SingleVal(t)
}

func (s *script) opt(td *datadriven.TestData, key, def string) string {
	if a, ok := td.Arg(key); ok && len(a.Vals) > 0 {
		return a.Vals[0]
	}
	return def
}

func (s *script) intOpt(t *testing.T, td *datadriven.TestData, key string) int {
	v := s.opt(td, key, "0")
	n, err := strconv.Atoi(v)
	if err != nil {
		td.Fatalf(t, "%s: %v", key, err)
	}
	return n
}

func (s *script) durationOpt(t *testing.T, td *datadriven.TestData, key string) time.Duration {
	v := s.opt(td, key, "0s")
	d, err := time.ParseDuration(v)
	if err != nil {
		td.Fatalf(t, "%s: %v", key, err)
	}
	return d
}
