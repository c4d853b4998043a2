package main

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/pairpad/pairpad/crdt"
)

// TestPausedServerLosesNoEdit (issue 17): three Yjs clients type and a legacy client appends
// lines, as the seed's app does, while the server is stopped with SIGSTOP for 25 s and then
// continued. Every token typed and every line appended is in the code once at the end.
func TestPausedServerLosesNoEdit(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary for 30 s")
	}
	srv := startServer(t, buildBinary(t), "DATA_DIR="+t.TempDir())
	id := createRoom(t, srv.addr)
	var typists []*yclient
	for i := range 3 {
		y := dialYjs(t, srv.addr, id, newDoc(t, uint64(31+i)))
		waitSynced(t, y)
		y.edit(func(tx *crdt.Transaction, x *crdt.Text) { _ = x.Insert(tx, 0, fmt.Sprintf("#%c:\n", 'A'+i)) })
		typists = append(typists, y)
	}
	legacy := dialLegacy(t, srv.addr, id)

	var wg sync.WaitGroup
	stop := make(chan struct{})
	typed := make([][]string, len(typists))
	for i, y := range typists {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				case <-time.After(30 * time.Millisecond):
				}
				token := fmt.Sprintf("[%c%d]", 'A'+i, n)
				typed[i] = append(typed[i], token)
				y.edit(func(tx *crdt.Transaction, x *crdt.Text) {
					s := x.String()
					at := strings.Index(s, fmt.Sprintf("#%c:", 'A'+i))
					end := at + strings.IndexByte(s[at:], '\n')
					_ = x.Insert(tx, utf16Len(s[:end]), token)
				})
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
			legacy.appendLine()
		}
	}()

	time.Sleep(2 * time.Second)
	if err := syscall.Kill(srv.cmd.Process.Pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	time.Sleep(25 * time.Second)
	if err := syscall.Kill(srv.cmd.Process.Pid, syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second)
	close(stop)
	wg.Wait()

	lines := legacy.sent()
	last := lines[len(lines)-1]
	eventually(t, "everyone to converge on the last legacy line", func() bool {
		code := typists[0].String()
		return typists[1].String() == code && typists[2].String() == code && strings.Contains(code, last)
	})
	code := typists[0].String()
	for i := range typists {
		for _, token := range typed[i] {
			if n := strings.Count(code, token); n != 1 {
				t.Errorf("token %s typed by typist %d is in the code %d times", token, i, n)
			}
		}
	}
	for _, line := range lines {
		if n := len(regexp.MustCompile(regexp.QuoteMeta(line)+`(\D|$)`).FindAllStringIndex(code, -1)); n != 1 {
			t.Errorf("legacy line %q is in the code %d times", line, n)
		}
	}
	t.Logf("%d, %d and %d tokens and %d legacy lines merged into %d characters", len(typed[0]), len(typed[1]), len(typed[2]), len(lines), len(code))
}

// utf16Len returns the length of an ASCII or BMP string s in UTF-16 units.
func utf16Len(s string) int { return len([]rune(s)) }

// legacy is a client of the seed's JSON protocol that edits as the seed's app does: its code is
// what it last sent, until a code_update replaces it.
type legacy struct {
	conn *websocket.Conn

	mu    sync.Mutex
	code  string
	lines []string
}

func dialLegacy(t *testing.T, addr, id string) *legacy {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws://"+addr+"/ws/"+id, nil)
	if err != nil {
		t.Fatal(err)
	}
	conn.SetReadLimit(64 << 20)
	l := &legacy{conn: conn}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			_, data, err := conn.Read(context.Background())
			if err != nil {
				return
			}
			var msg struct{ Type, Code string }
			if json.Unmarshal(data, &msg) == nil && msg.Type == "code_update" {
				l.mu.Lock()
				l.code = msg.Code
				l.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() { conn.CloseNow(); <-done })
	return l
}

// appendLine appends a line of its own to its code and sends the code.
func (l *legacy) appendLine() {
	l.mu.Lock()
	line := fmt.Sprintf("\n#J%d", len(l.lines))
	l.lines = append(l.lines, line)
	l.code += line
	b, _ := json.Marshal(map[string]string{"type": "code_update", "code": l.code})
	l.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	_ = l.conn.Write(ctx, websocket.MessageText, b)
}

// sent returns the lines it appended.
func (l *legacy) sent() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lines...)
}
