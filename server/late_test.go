package server

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/pairpad/pairpad/crdt"
)

// TestLateLegacyClient (issue 17): while three Yjs clients type continuously, a legacy client
// answers each code_update it receives late, with the code it received and a line of its own
// appended; or it stops reading for a while and then answers its whole backlog at once. At the
// end every token a Yjs client typed is in the code once, and so is every line the legacy
// client added.
func TestLateLegacyClient(t *testing.T) {
	for _, tc := range []struct {
		name         string
		delay, stall time.Duration
	}{
		{"answers 0.5 s late", 500 * time.Millisecond, 0},
		{"answers 1.5 s late", 1500 * time.Millisecond, 0},
		{"answers 5 s late", 5 * time.Second, 0},
		{"answers 30 s late", 30 * time.Second, 0},
		{"stalls 5 s then answers its backlog", 0, 5 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			lateLegacyClient(t, tc.delay, tc.stall)
		})
	}
}

func lateLegacyClient(t *testing.T, delay, stall time.Duration) {
	ts := newTestServer(t, Options{})
	id := ts.createRoom(t, "python")
	var typists []*yclient
	for i := range 3 {
		y := dialYjs(t, ts, id, uint64(21+i))
		await(t, ts.sig, "the starter code", func() bool { return y.String() != "" })
		y.edit(func(tx *crdt.Transaction, x *crdt.Text) error { return x.Insert(tx, 0, typistLine(i)+"\n") })
		typists = append(typists, y)
	}
	// The legacy client answers what it receives in the first 3 s (and its stall), and the
	// typists type until its last answer is due: every answer comes while they type.
	j := dialLateSeed(t, ts, id, delay, stall)
	time.AfterFunc(stall+3*time.Second, j.stop)

	// Each typist types tokens at the end of its own line, every 30 ms.
	typed := make([][]string, len(typists))
	stop := time.Now().Add(delay + stall + 3*time.Second)
	var wg sync.WaitGroup
	for i, y := range typists {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; time.Now().Before(stop); n++ {
				token := fmt.Sprintf("[%c%d]", 'A'+i, n)
				typed[i] = append(typed[i], token)
				y.edit(func(tx *crdt.Transaction, x *crdt.Text) error {
					s := x.String()
					at := strings.Index(s, typistLine(i))
					end := at + strings.IndexByte(s[at:], '\n')
					return x.Insert(tx, len16(s[:end]), token)
				})
				time.Sleep(30 * time.Millisecond)
			}
		}()
	}
	wg.Wait()
	lines := j.finish(t, awaitTimeout)

	await(t, ts.sig, "everyone to converge on the last legacy line", func() bool {
		code := typists[0].String()
		return typists[1].String() == code && typists[2].String() == code && strings.Contains(code, lines[len(lines)-1])
	})
	code := typists[0].String()
	checkEachOnce(t, code, typed, lines)
	t.Logf("%d, %d and %d tokens and %d legacy lines merged into %d characters", len(typed[0]), len(typed[1]), len(typed[2]), len(lines), len(code))
}

// checkEachOnce checks that code holds once each token the Yjs clients typed (tokens[i] for
// client i) and each line the legacy client added (followed by no digit).
func checkEachOnce(t *testing.T, code string, tokens [][]string, lines []string) {
	t.Helper()
	for i := range tokens {
		for _, token := range tokens[i] {
			if n := strings.Count(code, token); n != 1 {
				t.Errorf("token %s typed by Yjs client %d is in the code %d times", token, i, n)
			}
		}
	}
	for _, line := range lines {
		if n := len(regexp.MustCompile(regexp.QuoteMeta(line)+`(\D|$)`).FindAllStringIndex(code, -1)); n != 1 {
			t.Errorf("legacy line %q is in the code %d times", line, n)
		}
	}
}

// typistLine is the start of typist i's line.
func typistLine(i int) string { return fmt.Sprintf("#%c:", 'A'+i) }

// lateSeed is a legacy client that answers each code_update it receives delay after receiving
// it, with that code and a line of its own appended. With stall, it stops reading for that long
// a second after it connects, then reads and answers what came meanwhile.
type lateSeed struct {
	conn *websocket.Conn

	mu       sync.Mutex
	stopped  bool     // code_updates read from now on are not answered
	lines    []string // the lines it added
	answered int
	queued   int
}

func dialLateSeed(t *testing.T, ts *testServer, id string, delay, stall time.Duration) *lateSeed {
	t.Helper()
	c := &lateSeed{conn: dial(t, ts, "/ws/"+id)}
	type answer struct {
		at   time.Time
		code string
	}
	queue := make(chan answer, 1<<16)
	go func() { // reader
		stallAt := time.Now().Add(time.Second)
		for {
			_, data, err := c.conn.Read(context.Background())
			if err != nil {
				close(queue)
				return
			}
			var msg struct{ Type, Code string }
			if json.Unmarshal(data, &msg) != nil || msg.Type != "code_update" {
				continue
			}
			if stall > 0 && time.Now().After(stallAt) {
				time.Sleep(stall)
				stall = 0
			}
			c.mu.Lock()
			if !c.stopped {
				c.queued++
				queue <- answer{time.Now().Add(delay), msg.Code}
			}
			c.mu.Unlock()
		}
	}()
	go func() { // writer
		for a := range queue {
			time.Sleep(time.Until(a.at))
			c.mu.Lock()
			line := fmt.Sprintf("\n#J%d", len(c.lines))
			c.lines = append(c.lines, line)
			c.mu.Unlock()
			b, _ := json.Marshal(map[string]string{"type": "code_update", "code": a.code + line})
			if c.conn.Write(context.Background(), websocket.MessageText, b) != nil {
				return
			}
			c.mu.Lock()
			c.answered++
			c.mu.Unlock()
		}
	}()
	t.Cleanup(func() { c.conn.Close(websocket.StatusNormalClosure, "") })
	return c
}

// stop stops answering the code_updates read from now on.
func (c *lateSeed) stop() {
	c.mu.Lock()
	c.stopped = true
	c.mu.Unlock()
}

// finish stops answering, waits up to timeout for the answers due, and returns the lines the
// client added.
func (c *lateSeed) finish(t *testing.T, timeout time.Duration) []string {
	t.Helper()
	c.stop()
	for deadline := time.Now().Add(timeout); ; time.Sleep(10 * time.Millisecond) {
		c.mu.Lock()
		done, lines := c.answered == c.queued, append([]string(nil), c.lines...)
		c.mu.Unlock()
		if done {
			return lines
		}
		if time.Now().After(deadline) {
			t.Fatalf("the legacy client answered %d of %d code_updates", c.answered, c.queued)
		}
	}
}

// TestLegacyTypistOnItsOwnCode (issue 17): a legacy client edits as the seed's app does,
// quickly: it types and deletes tokens on its own code and sends it after every edit, and each
// code_update it receives replaces its code, so its edits cross the versions on the wire. Two
// Yjs clients type meanwhile. At the end every token typed and not deleted is in the code
// once, and every token the legacy client deleted is gone (but where the deletion made its code
// what it had sent last: see seedBase).
//
// Each token is one character no other token has: a whole-code diff may take a character of
// one token for another's alike, so tokens of several characters could end up interleaved.
func TestLegacyTypistOnItsOwnCode(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			t.Parallel()
			legacyTypist(t, seed)
		})
	}
}

// token returns the token n of writer w (0-2): a CJK ideograph, one UTF-16 unit.
func token(w, n int) string { return string(rune(0x4E00 + w*0x1000 + n)) }

func legacyTypist(t *testing.T, seed uint64) {
	ts := newTestServer(t, Options{})
	id := ts.createRoom(t, "python")
	typists := []*yclient{dialYjs(t, ts, id, 41), dialYjs(t, ts, id, 42)}
	l := dialSeed(t, ts, id)
	await(t, ts.sig, "everyone to have the starter code", func() bool {
		return l.Code() != "" && typists[0].String() == l.Code() && typists[1].String() == l.Code()
	})
	const duration = 2 * time.Second
	start := time.Now()
	var wg sync.WaitGroup
	typed := make([][]string, len(typists))
	for i, y := range typists {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, uint64(i)))
			for n := 0; time.Since(start) < duration; n++ {
				tok := token(i, n)
				typed[i] = append(typed[i], tok)
				y.edit(func(tx *crdt.Transaction, x *crdt.Text) error {
					return x.Insert(tx, rng.IntN(len16(x.String())+1), tok)
				})
				time.Sleep(time.Duration(5+rng.IntN(20)) * time.Millisecond)
			}
		}()
	}
	rng := rand.New(rand.NewPCG(seed, 99))
	local, seen := []rune(nil), 0
	var kept, deleted, ambiguous []string
	lastSent := ""
	for n := 0; time.Since(start) < duration; n++ {
		if code, codes, _, _ := l.state(); codes != seen {
			local, seen = []rune(code), codes
		}
		var mine []int // where the tokens of its own it sees are
		for at, r := range local {
			if slices.Contains(kept, string(r)) {
				mine = append(mine, at)
			}
		}
		if len(mine) > 0 && rng.IntN(3) == 0 {
			at := mine[rng.IntN(len(mine))]
			tok := string(local[at])
			kept = slices.DeleteFunc(kept, func(s string) bool { return s == tok })
			local = slices.Delete(local, at, at+1)
			if string(local) == lastSent {
				// The token came back with a code_update after the code it sent without it:
				// sending that code again is a deletion only if that code_update reached it,
				// which the server cannot tell, so it keeps the token.
				ambiguous = append(ambiguous, tok)
			} else {
				deleted = append(deleted, tok)
			}
		} else {
			tok := token(2, n)
			local = slices.Insert(local, rng.IntN(len(local)+1), []rune(tok)...)
			kept = append(kept, tok)
		}
		lastSent = string(local)
		l.sendCode(lastSent)
		time.Sleep(time.Duration(6+rng.IntN(8)) * time.Millisecond) // under JSONRate: about 100 a second
	}
	wg.Wait()

	await(t, ts.sig, "everyone to converge", func() bool {
		code := l.Code()
		return typists[0].String() == code && typists[1].String() == code
	})
	code := l.Code()
	for _, tokens := range append(typed, kept) {
		for _, tok := range tokens {
			if n := strings.Count(code, tok); n != 1 {
				t.Errorf("token %s is in the code %d times", tok, n)
			}
		}
	}
	for _, tok := range deleted {
		if strings.Contains(code, tok) {
			t.Errorf("token %s, deleted by the legacy client, is in the code", tok)
		}
	}
	for _, tok := range ambiguous {
		if n := strings.Count(code, tok); n > 1 {
			t.Errorf("token %s is in the code %d times", tok, n)
		}
	}
	t.Logf("%d and %d tokens typed by Yjs clients, %d kept and %d deleted by the legacy client, %d characters", len(typed[0]), len(typed[1]), len(kept), len(deleted), len(code))
}
