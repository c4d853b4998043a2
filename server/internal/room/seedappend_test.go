package room

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestSeedBaseAppendingClient simulates the JSON peer of the cluster tests over a network
// that delays messages: it takes each code_update whole and appends a line to what it has
// every 150 ms, while three peers type on lines of their own every 40 ms; messages take 1-20
// ms each way, one in five up to 1 s, in order. Its codes cross code_updates on the wire,
// its own echoes among them. At the end, each line and each token is in the code once.
func TestSeedBaseAppendingClient(t *testing.T) {
	seeds := 50
	if n, err := strconv.Atoi(os.Getenv("SEEDS")); err == nil {
		seeds = n
	}
	failed := 0
	for seed := range seeds {
		if problem := appendingClient(t, uint64(seed)); problem != "" {
			failed++
			t.Errorf("seed %d: %s", seed, problem)
		}
	}
	t.Logf("%d of %d runs lost or doubled a line or a token", failed, seeds)
}

// appendingClient runs one simulation, in steps of 5 ms, and says what went wrong.
func appendingClient(t *testing.T, seed uint64) string {
	rng := rand.New(rand.NewPCG(seed, 17))
	r := newSeedRoom(t, "#A:\n#B:\n#C:\n")
	start := r.now
	type message struct {
		at   int // ms
		code string
	}
	var down, up []message // server to client, client to server
	delay := func(queue []message, now int) int {
		d := 1 + rng.IntN(20)
		if rng.IntN(5) == 0 {
			d = rng.IntN(1000)
		}
		if n := len(queue); n > 0 {
			return max(queue[n-1].at, now+d)
		}
		return now + d
	}
	var tokens, lines []string
	code, received := "", false
	dirty, lastSent := true, -1000
	for now := 0; now < 3000 || len(up) > 0; now += 5 {
		r.now = start.Add(time.Duration(now) * time.Millisecond)
		if now < 3000 && now%40 == 0 {
			for _, peer := range []string{"#A:", "#B:", "#C:"} {
				tok := fmt.Sprintf("[%c%d]", peer[1], now/40)
				tokens = append(tokens, tok)
				r.appendTo(peer, tok)
			}
			dirty = true
		}
		for len(up) > 0 && up[0].at <= now {
			r.merge(up[0].code)
			up, dirty = up[1:], true
		}
		if dirty && now-lastSent >= 50 {
			v := r.text.Version()
			r.bases.record(v, r.now)
			down = append(down, message{delay(down, now), v.String()})
			dirty, lastSent = false, now
		}
		for len(down) > 0 && down[0].at <= now {
			code, received, down = down[0].code, true, down[1:]
		}
		if now < 3000 && now%150 == 0 && received {
			line := fmt.Sprintf("\n%08x #J%d", uint32(len(lines)+1)*2654435761, len(lines))
			lines = append(lines, line)
			code += line
			up = append(up, message{delay(up, now), code})
		}
	}
	final := r.text.String() + "\n"
	for _, l := range lines {
		if n := strings.Count(final, l+"\n"); n != 1 {
			return fmt.Sprintf("line %q is in the code %d times", l, n)
		}
	}
	for _, tok := range tokens {
		if n := strings.Count(final, tok); n != 1 {
			return fmt.Sprintf("token %q is in the code %d times", tok, n)
		}
	}
	return ""
}
