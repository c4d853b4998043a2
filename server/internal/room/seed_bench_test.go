package room

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// BenchmarkSeedLargeReplacement is the room goroutine's time for one JSON code_update that
// replaces a large text with a dissimilar one of the same size (the stall): choosing
// the version it is based on, the diff against it and the merge.
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

// BenchmarkSeedLateAnswer is the time to merge one code_update of a client that answers 30 s
// late, while a peer types 20 characters a second on a 20 KiB text: choosing its base among
// the 600 versions it was sent since (bytes compared, not diffs), the diff and the merge. It
// reports what the connection keeps of those versions, in bytes.
func BenchmarkSeedLateAnswer(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		r := newSeedRoom(b, strings.Repeat("# a line of code that is as long as many are\n", 450)+"#A:\n")
		var sent []string
		for i := range 600 {
			r.appendTo("#A:", string(rune('a'+i%26)))
			sent = append(sent, r.send())
		}
		b.ReportMetric(float64(r.bases.sent.Bytes()), "kept-bytes")
		b.StartTimer()
		r.receive(sent[0] + "\n#J0")
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

// BenchmarkSeedManyBlocks is the room goroutine's time for one JSON code_update of 900 KiB whose
// lines keep their markers and change every block of 2 KiB between them (a review's crafted
// message: each block's letter diff had its own timeout, 23 s in all): choosing the base, the
// diff and the merge.
func BenchmarkSeedManyBlocks(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	blocks := func() string {
		var sb strings.Builder
		for i := 0; sb.Len() < 900<<10; i++ {
			fmt.Fprintf(&sb, "marker %d\n%s\n", i, randomText(rng, 2<<10, ""))
		}
		return sb.String()
	}
	for b.Loop() {
		b.StopTimer()
		r := newSeedRoom(b, blocks())
		r.send()
		code := blocks()
		b.StartTimer()
		r.receive(code)
		b.StopTimer()
		if r.text.String() != code {
			b.Fatal("the code is not the replacement")
		}
		b.StartTimer()
	}
}
