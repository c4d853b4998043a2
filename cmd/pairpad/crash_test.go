package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/jackc/pgx/v5"

	"github.com/pairpad/pairpad/crdt"
	"github.com/pairpad/pairpad/crdt/protocol"
)

var crashSeed = flag.Uint64("crash.seed", 0, "seed of TestCrash's edits and kill time (0: random); the kill still lands wherever the process is then")

// TestCrash kills the server with SIGKILL while a client types and another watches, restarts it
// on the same store and checks the durability contract: every update the server sent to anyone
// is in the restarted server's document, the restarted document holds nothing no client wrote,
// and once the typist reconnects nothing it typed is lost.
func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	seed := *crashSeed
	if seed == 0 {
		seed = mrand.Uint64()
	}
	t.Logf("seed %d (replay with -crash.seed=%d)", seed, seed)

	t.Run("embedded", func(t *testing.T) {
		t.Parallel()
		crash(t, bin, seed, "DATA_DIR="+t.TempDir())
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		crash(t, bin, seed, "DATABASE_URL="+newSchemaURL(t))
	})
}

// buildBinary builds pairpad into a temporary directory.
func buildBinary(t *testing.T) string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not in PATH; the test builds the binary with it")
	}
	bin := filepath.Join(t.TempDir(), "pairpad")
	build := exec.Command(gobin, "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func crash(t *testing.T, bin string, seed uint64, storeEnv string) {
	rng := mrand.New(mrand.NewPCG(seed, 0))
	srv := startServer(t, bin, storeEnv)
	id := createRoom(t, srv.addr)
	a := dialYjs(t, srv.addr, id, newDoc(t, 1001))
	b := dialYjs(t, srv.addr, id, newDoc(t, 1002))
	waitSynced(t, a, b)

	// A types small edits continuously until the server is gone.
	stop := make(chan struct{})
	typing := make(chan int)
	go func() {
		n := 0
		defer func() { typing <- n }()
		rng := mrand.New(mrand.NewPCG(seed, 1))
		for {
			select {
			case <-stop:
				return
			default:
			}
			if !a.edit(func(tx *crdt.Transaction, x *crdt.Text) {
				if x.Len() > 0 && rng.IntN(5) == 0 {
					i := rng.IntN(x.Len())
					x.Delete(tx, i, min(1+rng.IntN(2), x.Len()-i))
					return
				}
				x.Insert(tx, rng.IntN(x.Len()+1), string(rune('a'+rng.IntN(26)))+strings.Repeat("x", rng.IntN(3)))
			}) {
				return
			}
			n++
			time.Sleep(500 * time.Microsecond) // a fast typist, not a flood: b keeps up
		}
	}()
	time.Sleep(300*time.Millisecond + time.Duration(rng.Int64N(int64(time.Second))))
	srv.kill(t)
	close(stop)
	edits := <-typing
	for name, c := range map[string]*yclient{"a": a, "b": b} {
		select {
		case <-c.done:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: still connected to a killed server", name)
		}
		var ce websocket.CloseError
		if errors.As(c.err, &ce) {
			t.Fatalf("%s: closed by the server with %v before the kill; the test needs it connected", name, ce.Code)
		}
	}
	received := b.receivedUpdates()
	if len(received) < 10 {
		t.Fatalf("b received only %d updates of a's %d edits before the kill; the test checks nothing", len(received), edits)
	}
	aState := a.state(t)

	// Restart on the same store; a fresh client fetches the whole document.
	srv = startServer(t, bin, storeEnv)
	c := dialYjs(t, srv.addr, id, newDoc(t, 1003))
	waitSynced(t, c)
	restarted := c.state(t)

	if gone, err := lacks(restarted, received...); err != nil {
		t.Fatal(err)
	} else if gone != "" {
		t.Errorf("the restarted server lacks updates b had received before the crash: %s", gone)
	}
	if extra, err := lacks(aState, restarted); err != nil {
		t.Fatal(err)
	} else if extra != "" {
		t.Errorf("the restarted server has content a never wrote: %s", extra)
	}
	bSV, restartedSV := svOf(t, b.state(t)), svOf(t, restarted)
	t.Logf("a made %d edits (clock %d); b had received them up to clock %d; the restarted server has up to clock %d",
		edits, svOf(t, aState)[1001], bSV[1001], restartedSV[1001])

	// A reconnects and resends what the server lost; then everyone has a's text.
	a2 := dialYjs(t, srv.addr, id, a.doc)
	b2 := dialYjs(t, srv.addr, id, b.doc)
	want := a2.String()
	eventually(t, "every client to converge on a's text", func() bool {
		return c.String() == want && b2.String() == want && a2.String() == want
	})
}

// lacks returns which of updates' content the document state does not hold ("" if it holds
// all): applying them to it must change nothing, neither its state vector nor its deletions.
func lacks(state []byte, updates ...[]byte) (string, error) {
	doc, err := crdt.NewDoc(crdt.Options{ClientID: 1})
	if err != nil {
		return "", err
	}
	if err := doc.ApplyUpdate(state); err != nil {
		return "", err
	}
	before, err := doc.EncodeStateAsUpdate(nil)
	if err != nil {
		return "", err
	}
	sv := doc.StateVector()
	for _, u := range updates {
		if err := doc.ApplyUpdate(u); err != nil {
			return "", err
		}
	}
	after, err := doc.EncodeStateAsUpdate(nil)
	if err != nil {
		return "", err
	}
	if bytes.Equal(before, after) {
		return "", nil
	}
	var gaps []string
	for client, clock := range doc.StateVector() {
		if clock > sv[client] {
			gaps = append(gaps, fmt.Sprintf("client %d clocks %d..%d", client, sv[client], clock-1))
		}
	}
	if doc.HasPending() {
		gaps = append(gaps, "structs whose dependencies are missing")
	}
	if len(gaps) == 0 {
		gaps = append(gaps, "deletions")
	}
	slices.Sort(gaps)
	return strings.Join(gaps, ", "), nil
}

func svOf(t *testing.T, state []byte) crdt.StateVector {
	t.Helper()
	svBytes, err := crdt.EncodeStateVectorFromUpdate(state)
	if err != nil {
		t.Fatal(err)
	}
	sv, err := crdt.DecodeStateVector(svBytes)
	if err != nil {
		t.Fatal(err)
	}
	return sv
}

// process is a running pairpad server.
type process struct {
	cmd     *exec.Cmd
	addr    string // host:port to dial
	logs    *logWriter
	exited  chan struct{} // closed once the process is reaped
	waitErr error         // how it exited, once exited is closed
}

// startServer runs the binary on a free port with env (on top of a clean environment) and waits
// until it listens. It is killed when t ends, if it is still running.
func startServer(t *testing.T, bin string, env ...string) *process {
	t.Helper()
	cmd := exec.Command(bin, "serve")
	for _, kv := range os.Environ() {
		if !slices.ContainsFunc(settings, func(s setting) bool { return strings.HasPrefix(kv, s.env+"=") }) {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, append([]string{"PORT=0", "LOG_LEVEL=info", "LOG_FORMAT=json"}, env...)...)
	logs := &logWriter{listening: make(chan string, 1)}
	cmd.Stderr = logs
	cmd.Stdout = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &process{cmd: cmd, logs: logs, exited: make(chan struct{})}
	go func() { s.waitErr = cmd.Wait(); close(s.exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill() // fails if it exited already
		<-s.exited
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	select {
	case addr := <-logs.listening:
		_, port, err := net.SplitHostPort(addr)
		if err != nil {
			t.Fatalf("listening on %q: %v", addr, err)
		}
		s.addr = net.JoinHostPort("127.0.0.1", port)
	case <-s.exited:
		t.Fatalf("the server exited before listening: %v", s.waitErr)
	case <-time.After(15 * time.Second):
		t.Fatal("the server did not log that it listens within 15 s")
	}
	return s
}

// kill sends SIGKILL, which the process cannot catch: nothing is flushed, nothing shut down.
func (s *process) kill(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Kill(); err != nil { // SIGKILL on Unix
		t.Fatal(err)
	}
	<-s.exited
	if s.waitErr == nil {
		t.Fatal("the server exited cleanly after SIGKILL")
	}
}

// logWriter keeps the server's log and reports the address of its "listening" line.
type logWriter struct {
	listening chan string
	mu        sync.Mutex
	buf       bytes.Buffer
	scanned   int
}

func (w *logWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	for {
		rest := w.buf.Bytes()[w.scanned:]
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			return len(p), nil
		}
		w.scanned += i + 1
		var line struct{ Message, Addr string }
		if json.Unmarshal(rest[:i], &line) == nil && line.Message == "listening" {
			select {
			case w.listening <- line.Addr:
			default:
			}
		}
	}
}

func (w *logWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

func createRoom(t *testing.T, addr string) string {
	t.Helper()
	resp, err := http.Post("http://"+addr+"/rooms", "application/json", strings.NewReader(`{"language":"go"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got struct{ RoomID string }
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || resp.StatusCode != http.StatusCreated || got.RoomID == "" {
		t.Fatalf("POST /rooms = %d %+v %v", resp.StatusCode, got, err)
	}
	return got.RoomID
}

// newSchemaURL returns TEST_DATABASE_URL with a search_path of a schema of its own, created
// now and dropped when t ends. The binary migrates it when it starts.
func newSchemaURL(t *testing.T) string {
	t.Helper()
	base := os.Getenv("TEST_DATABASE_URL")
	if base == "" {
		if os.Getenv("REQUIRE_DB") == "1" {
			t.Fatal("REQUIRE_DB=1 but TEST_DATABASE_URL is unset")
		}
		t.Skip("TEST_DATABASE_URL is unset; README.md (Quick start) says how to run the Postgres tests")
	}
	name := "pairpad_crash_" + strings.ToLower(rand.Text())
	schema := pgx.Identifier{name}.Sanitize()
	run := func(sql string) error {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, sql)
		return err
	}
	if err := run("CREATE SCHEMA " + schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := run("DROP SCHEMA " + schema + " CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", name, err)
		}
	})
	if !strings.Contains(base, "://") {
		return base + " search_path=" + name // a key=value connection string
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return u.String()
}

// yclient is a Yjs peer speaking the y-websocket protocol, which records every update the
// server sends it.
type yclient struct {
	conn *websocket.Conn
	done chan struct{}
	err  error // how the connection ended, once done is closed

	mu       sync.Mutex
	doc      *crdt.Doc
	text     *crdt.Text
	received [][]byte
	synced   bool // the server answered our sync step 1
}

func newDoc(t *testing.T, client uint64) *crdt.Doc {
	t.Helper()
	doc, err := crdt.NewDoc(crdt.Options{ClientID: client})
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// dialYjs connects doc to room id and starts the sync.
func dialYjs(t *testing.T, addr, id string, doc *crdt.Doc) *yclient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws://"+addr+"/yjs/"+id, nil)
	if err != nil {
		t.Fatal(err)
	}
	conn.SetReadLimit(64 << 20)
	text, err := doc.GetText("code")
	if err != nil {
		t.Fatal(err)
	}
	c := &yclient{conn: conn, doc: doc, text: text, done: make(chan struct{})}
	go c.readLoop()
	t.Cleanup(func() { conn.CloseNow(); <-c.done })
	c.mu.Lock()
	sv := doc.EncodeStateVector()
	c.mu.Unlock()
	c.send(protocol.EncodeSyncStep1(sv))
	return c
}

func (c *yclient) send(msg []byte) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return c.conn.Write(ctx, websocket.MessageBinary, msg) == nil
}

func (c *yclient) readLoop() {
	defer close(c.done)
	for {
		_, data, err := c.conn.Read(context.Background())
		var reply []byte
		if err == nil {
			reply, err = c.handle(data)
		}
		if err != nil {
			c.err = err
			return
		}
		if reply != nil {
			c.send(reply)
		}
	}
}

// handle applies a message of the server and returns the reply to send, if any.
func (c *yclient) handle(data []byte) ([]byte, error) {
	msg, err := protocol.DecodeMessage(data)
	if err != nil || msg.Type != protocol.MessageSync {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if msg.SyncType == protocol.SyncStep1 {
		state, err := c.doc.EncodeStateAsUpdate(msg.Payload)
		if err != nil {
			return nil, err
		}
		return protocol.EncodeSyncStep2(state), nil
	}
	if msg.SyncType == protocol.SyncStep2 {
		c.synced = true
	}
	c.received = append(c.received, msg.Payload)
	return nil, c.doc.ApplyUpdate(msg.Payload)
}

// edit makes a local edit and sends it; it reports whether the send succeeded.
func (c *yclient) edit(fn func(tx *crdt.Transaction, text *crdt.Text)) bool {
	c.mu.Lock()
	update, _ := c.doc.Transact(func(tx *crdt.Transaction) error { fn(tx, c.text); return nil })
	c.mu.Unlock()
	return update == nil || c.send(protocol.EncodeSyncUpdate(update))
}

func (c *yclient) receivedUpdates() [][]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.received)
}

func (c *yclient) state(t *testing.T) []byte {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	state, err := c.doc.EncodeStateAsUpdate(nil)
	if err != nil {
		t.Fatal(err)
	}
	return state
}

func (c *yclient) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.text.String()
}

func waitSynced(t *testing.T, cs ...*yclient) {
	t.Helper()
	eventually(t, "the clients to sync", func() bool {
		for _, c := range cs {
			c.mu.Lock()
			synced := c.synced
			c.mu.Unlock()
			if !synced {
				return false
			}
		}
		return true
	})
}

// eventually polls cond until it holds or 10 s pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
