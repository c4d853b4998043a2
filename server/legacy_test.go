package server

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/pairpad/pairpad/crdt"
	"github.com/pairpad/pairpad/internal/utf16x"
)

// lclient is a client of the seed's JSON protocol.
type lclient struct {
	t      *testing.T
	conn   *websocket.Conn
	mu     sync.Mutex
	code   string
	codes  int // code_update messages received
	count  int // the last user_count
	errors []map[string]string
	done   chan struct{}
	err    error // how the connection ended
}

func dialLegacy(t *testing.T, ts *testServer, id string) *lclient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, wsURL(ts, "/ws/"+id), nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &lclient{t: t, conn: conn, done: make(chan struct{})}
	go c.readLoop()
	t.Cleanup(func() { conn.Close(websocket.StatusNormalClosure, ""); <-c.done })
	return c
}

func (c *lclient) readLoop() {
	defer close(c.done)
	for {
		_, data, err := c.conn.Read(context.Background())
		if err != nil {
			c.err = err
			return
		}
		var msg map[string]any
		if err := json.Unmarshal(data, &msg); err != nil {
			c.t.Errorf("server sent invalid JSON %q", data)
			return
		}
		c.mu.Lock()
		switch msg["type"] {
		case "code_update":
			c.code = msg["code"].(string)
			c.codes++
		case "user_count":
			c.count = int(msg["count"].(float64))
		case "error":
			c.errors = append(c.errors, map[string]string{"error": fmt.Sprint(msg["error"]), "detail": fmt.Sprint(msg["detail"])})
		default:
			c.t.Errorf("unexpected message %s", data)
		}
		c.mu.Unlock()
	}
}

func (c *lclient) sendRaw(s string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.conn.Write(ctx, websocket.MessageText, []byte(s)); err != nil {
		c.t.Errorf("write: %v", err)
	}
}

func (c *lclient) sendCode(code string) {
	b, _ := json.Marshal(map[string]string{"type": "code_update", "code": code})
	c.sendRaw(string(b))
}

func (c *lclient) state() (code string, codes, count int, errs []map[string]string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.code, c.codes, c.count, append([]map[string]string(nil), c.errors...)
}

func TestLegacyProtocol(t *testing.T) {
	ts := newTestServer(t, Options{})
	id := ts.createRoom(t, "")
	l := dialLegacy(t, ts, id)
	eventually(t, "the starter code and a user count of 1", func() bool {
		code, _, count, _ := l.state()
		return code == "# Write your Python code here\n\n" && count == 1
	})

	y := dialYjs(t, ts, id, 7)
	eventually(t, "a user count of 2", func() bool { _, _, count, _ := l.state(); return count == 2 })

	l.sendCode("# Write your Python code here\n\nprint('hi')\n")
	eventually(t, "the Yjs client to see the legacy edit", func() bool { return strings.HasSuffix(y.String(), "print('hi')\n") })
	y.edit(func(tx *crdt.Transaction, x *crdt.Text) { x.Insert(tx, 0, "#!/usr/bin/env python3\n") })
	want := "#!/usr/bin/env python3\n# Write your Python code here\n\nprint('hi')\n"
	eventually(t, "the legacy client to get the merged code", func() bool { code, _, _, _ := l.state(); return code == want })

	for _, tc := range []struct{ msg, code string }{
		{`{"type": "code_update", "code": `, "invalid_json"},
		{`{"type": "cursor"}`, "bad_request"},
		{`{"type": "code_update"}`, "validation"},
		{`[1, 2]`, "invalid_json"},
	} {
		_, _, _, before := l.state()
		l.sendRaw(tc.msg)
		eventually(t, "an error for "+tc.msg, func() bool { _, _, _, errs := l.state(); return len(errs) > len(before) })
		_, _, _, errs := l.state()
		if got := errs[len(errs)-1]; got["error"] != tc.code || got["detail"] == "" {
			t.Errorf("%s: error %v, want code %s", tc.msg, got, tc.code)
		}
	}
	// The connection is still up and editing.
	code, _, _, _ := l.state()
	l.sendCode(code + "# end\n")
	eventually(t, "the edit after errors", func() bool { return strings.HasSuffix(y.String(), "# end\n") })

	y.conn.Close(websocket.StatusNormalClosure, "")
	eventually(t, "a user count of 1 again", func() bool { _, _, count, _ := l.state(); return count == 1 })
}

// Yjs clients type continuously while a legacy client appends lines to whatever code it last
// received: at the end every token a Yjs client typed and every legacy line is there exactly
// once, and everyone sees the same code.
func TestLegacyMergeKeepsConcurrentEdits(t *testing.T) {
	ts := newTestServer(t, Options{})
	id := ts.createRoom(t, "python")
	peers := []*yclient{dialYjs(t, ts, id, 11), dialYjs(t, ts, id, 12)}
	l := dialLegacy(t, ts, id)
	eventually(t, "everyone to have the starter code", func() bool {
		code, _, _, _ := l.state()
		return code != "" && peers[0].String() == code && peers[1].String() == code
	})

	var wg sync.WaitGroup
	const duration = 1500 * time.Millisecond
	start := time.Now()
	tokens := make([][]string, len(peers))
	for i, p := range peers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(i), 99))
			for n := 0; time.Since(start) < duration; n++ {
				token := fmt.Sprintf("[%c%d]", 'A'+i, n)
				tokens[i] = append(tokens[i], token)
				p.edit(func(tx *crdt.Transaction, x *crdt.Text) {
					// Insert after a token or at the end of a line, never inside a token
					// or a legacy line.
					s := x.String()
					cuts := []int{0}
					for j, r := range s {
						switch r {
						case ']':
							cuts = append(cuts, utf16x.Len(s[:j+1]))
						case '\n':
							cuts = append(cuts, utf16x.Len(s[:j]))
						}
					}
					x.Insert(tx, cuts[rng.IntN(len(cuts))], token)
				})
				time.Sleep(time.Duration(2+rng.IntN(6)) * time.Millisecond)
			}
		}()
	}
	var lines []string
	for n := 0; time.Since(start) < duration; n++ {
		code, _, _, _ := l.state()
		line := fmt.Sprintf("\n#L%d", n)
		lines = append(lines, line)
		l.sendCode(code + line)
		time.Sleep(20 * time.Millisecond)
	}
	wg.Wait()

	eventually(t, "everyone to converge", func() bool {
		code, _, _, _ := l.state()
		return peers[0].String() == code && peers[1].String() == code
	})
	code, _, _, _ := l.state()
	if _, got := ts.do(t, "GET", "/rooms/"+id, ""); got["code"] != code {
		t.Errorf("GET /rooms code differs from the clients'")
	}
	for i := range peers {
		for _, token := range tokens[i] {
			if n := strings.Count(code, token); n != 1 {
				t.Errorf("token %s typed by peer %d appears %d times", token, i, n)
			}
		}
	}
	for _, line := range lines {
		if n := len(regexp.MustCompile(regexp.QuoteMeta(line)+`(\D|$)`).FindAllStringIndex(code, -1)); n != 1 {
			t.Errorf("legacy line %q appears %d times", line, n)
		}
	}
	t.Logf("%d + %d tokens and %d legacy lines merged into %d characters", len(tokens[0]), len(tokens[1]), len(lines), len(code))
}
