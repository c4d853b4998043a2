package room

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// BenchmarkSeedLargeReplacement is the room goroutine's time for one JSON code_update that
// replaces a large text with a dissimilar one of the same size (the stall): the diffs
// against the client's versions and the merge.
func BenchmarkSeedLargeReplacement(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	text := func(n int) string { return randomText(rng, n, " ") }
	const size = 256 << 10
	for b.Loop() {
		b.StopTimer()
		r := roomWith(b, Options{MaxRoomBytes: 64 << 20}, "json:j")
		msg := func(code string) Receive {
			return Receive{Conn: "j", Frame: Frame{Text: true, Data: []byte(`{"type":"code_update","code":"` + code + `"}`)}, At: scriptEpoch}
		}
		r.Step(msg(text(size)))
		r.Ready()
		r.Step(Committed{Seq: 1, At: scriptEpoch.Add(time.Second)})
		r.Step(Tick{Now: scriptEpoch.Add(2 * time.Second)})
		r.Ready()
		replacement := msg(text(size))
		b.StartTimer()
		r.Step(replacement)
	}
}

// randomText returns at least n bytes of words, each a letter repeated 1 to 8 times, every one
// followed by sep.
func randomText(rng *rand.Rand, n int, sep string) string {
	var sb strings.Builder
	for sb.Len() < n {
		sb.WriteString(strings.Repeat(string(rune('a'+rng.IntN(26))), 1+rng.IntN(8)))
		sb.WriteString(sep)
	}
	return sb.String()
}
