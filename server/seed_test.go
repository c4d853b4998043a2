package server

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/coder/websocket"

	"github.com/pairpad/pairpad/crdt"
)

// A seed-protocol client and a y-websocket client edit one room over real sockets. (Every rule of
// the protocol is in the scripts of internal/room: errors, coalescing, counts.)
func TestSeedProtocol(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Options{})
	id := ts.createRoom(t, "")
	l := dialSeed(t, ts, id)
	await(t, ts.sig, "the starter code and a user count of 1", func() bool {
		return l.Code() == "# Write your Python code here\n\n" && l.Count() == 1
	})
	y := dialYjs(t, ts, id, 7)
	await(t, ts.sig, "a user count of 2", func() bool { return l.Count() == 2 })
	l.sendCode("# Write your Python code here\n\nprint('hi')\n")
	await(t, ts.sig, "the Yjs client to see the seed client's edit", func() bool { return strings.HasSuffix(y.String(), "print('hi')\n") })
	y.edit(func(tx *crdt.Transaction, x *crdt.Text) error { return x.Insert(tx, 0, "#!/usr/bin/env python3\n") })
	want := "#!/usr/bin/env python3\n# Write your Python code here\n\nprint('hi')\n"
	await(t, ts.sig, "the seed client to get the merged code", func() bool { return l.Code() == want })
	l.sendRaw(`{"type": "code_update", "code": `)
	await(t, ts.sig, "an error message", func() bool { _, _, _, errs := l.state(); return len(errs) == 1 })
	if _, _, _, errs := l.state(); errs[0]["error"] != "invalid_json" || errs[0]["detail"] == "" {
		t.Errorf("error %v, want invalid_json with a detail", errs[0])
	}
	y.conn.Close(websocket.StatusNormalClosure, "")
	await(t, ts.sig, "a user count of 1 again", func() bool { return l.Count() == 1 })
}

// Yjs clients type continuously while a legacy client appends lines to its code, as the seed's
// app does (the code it sent, until a code_update replaces it): at the end every token a Yjs
// client typed and every legacy line is there exactly once, and everyone sees the same code.
func TestLegacyMergeKeepsConcurrentEdits(t *testing.T) {
	ts := newTestServer(t, Options{})
	id := ts.createRoom(t, "python")
	peers := []*yclient{dialYjs(t, ts, id, 11), dialYjs(t, ts, id, 12)}
	l := dialSeed(t, ts, id)
	await(t, ts.sig, "everyone to have the starter code", func() bool {
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
				p.edit(func(tx *crdt.Transaction, x *crdt.Text) error {
					// Insert after a token or at the end of a line, never inside a token
					// or a legacy line.
					s := x.String()
					cuts := []int{0}
					for j, r := range s {
						switch r {
						case ']':
							cuts = append(cuts, len16(s[:j+1]))
						case '\n':
							cuts = append(cuts, len16(s[:j]))
						}
					}
					return x.Insert(tx, cuts[rng.IntN(len(cuts))], token)
				})
				time.Sleep(time.Duration(2+rng.IntN(6)) * time.Millisecond)
			}
		}()
	}
	// The legacy client edits as the seed's app does: its text is what it last sent, until a
	// code_update replaces it.
	var lines []string
	local, seen := "", 0
	for n := 0; time.Since(start) < duration; n++ {
		if code, codes, _, _ := l.state(); codes != seen {
			local, seen = code, codes
		}
		line := fmt.Sprintf("\n#L%d", n)
		lines = append(lines, line)
		local += line
		l.sendCode(local)
		time.Sleep(20 * time.Millisecond)
	}
	wg.Wait()

	await(t, ts.sig, "everyone to converge", func() bool {
		code, _, _, _ := l.state()
		return peers[0].String() == code && peers[1].String() == code
	})
	code, _, _, _ := l.state()
	if _, got := ts.do(t, "GET", "/rooms/"+id, ""); got["code"] != code {
		t.Errorf("GET /rooms code differs from the clients'")
	}
	checkEachOnce(t, code, tokens, lines)
	t.Logf("%d + %d tokens and %d legacy lines merged into %d characters", len(tokens[0]), len(tokens[1]), len(lines), len(code))
}

// len16 returns the length of s in UTF-16 code units.
func len16(s string) int { return len(utf16.Encode([]rune(s))) }

// A legacy client replaces the whole code three times with dissimilar texts of 300 KB (issue
// 12, item 7: the old text used to survive, 15 MB after three replacements of 5), each after it
// received the last; a Yjs client types at the start meanwhile. Each replacement gives exactly
// its text and what the Yjs client typed since the version it replaced.
func TestLegacyReplacementReplaces(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Options{})
	id := ts.createRoom(t, "python")
	y := dialYjs(t, ts, id, 51)
	l := dialSeed(t, ts, id)
	await(t, ts.sig, "the starter code", func() bool { return l.Code() != "" && y.String() == l.Code() })
	rng := rand.New(rand.NewPCG(5, 6))
	typed := 0
	for i := range 3 {
		replacement := fmt.Sprintf("# replacement %d\n", i) + randomWords(rng, 300<<10)
		_, codes, _, _ := l.state()
		l.sendCode(replacement)
		y.edit(func(tx *crdt.Transaction, x *crdt.Text) error {
			typed++
			return x.Insert(tx, 0, fmt.Sprintf("[%d]", typed))
		})
		await(t, ts.sig, "the replacement back", func() bool {
			code, n, _, _ := l.state()
			return n > codes && strings.HasSuffix(code, replacement) && y.String() == code
		})
		// What the Yjs client typed before the legacy client received the code it replaced
		// is gone with it; what it typed since may stay: at most one token.
		if code := l.Code(); len(code) > len(replacement)+len(fmt.Sprintf("[%d]", typed)) {
			t.Errorf("replacement %d: the code is %d bytes, the replacement %d: %.80q", i, len(code), len(replacement), code)
		}
	}
}

// randomWords returns at least n bytes of random lowercase words, one space after each.
func randomWords(rng *rand.Rand, n int) string {
	var sb strings.Builder
	for sb.Len() < n {
		for range 1 + rng.IntN(8) {
			sb.WriteByte(byte('a' + rng.IntN(26)))
		}
		sb.WriteByte(' ')
	}
	return sb.String()
}
