package crdt_test

import (
	"path/filepath"
	"testing"

	"github.com/pairpad/pairpad/crdt"
	"github.com/pairpad/pairpad/internal/traces"
)

const tracesDir = "../../shared/traces"

func loadTraces(tb testing.TB) []*traces.Trace {
	tb.Helper()
	files, _ := filepath.Glob(filepath.Join(tracesDir, "*.json.gz"))
	if len(files) == 0 {
		tb.Skipf("no traces in %s", tracesDir)
	}
	var all []*traces.Trace
	for _, f := range files {
		tr, err := traces.Load(f)
		if err != nil {
			tb.Fatal(err)
		}
		all = append(all, tr)
	}
	return all
}

// TestTraceReplay replays every trace as local edits, then checks that the encoded state gives
// the same text to a fresh document.
func TestTraceReplay(t *testing.T) {
	for _, tr := range loadTraces(t) {
		t.Run(tr.Name, func(t *testing.T) {
			doc, _, err := traces.Replay(tr)
			if err != nil {
				t.Fatal(err)
			}
			if err := traces.CheckText(tr, doc); err != nil {
				t.Fatal(err)
			}
			state, err := doc.EncodeStateAsUpdate(nil)
			if err != nil {
				t.Fatal(err)
			}
			remote, _ := crdt.NewDoc(crdt.Options{ClientID: 2})
			if err := remote.ApplyUpdate(state); err != nil {
				t.Fatal(err)
			}
			if err := traces.CheckText(tr, remote); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func BenchmarkLocalReplay(b *testing.B) {
	for _, tr := range loadTraces(b) {
		b.Run(tr.Name, func(b *testing.B) {
			for b.Loop() {
				if _, _, err := traces.Replay(tr); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// benchReplayed runs op as a sub-benchmark per trace, on the document the trace's replay built
// and its encoded state.
func benchReplayed(b *testing.B, op func(doc *crdt.Doc, state []byte) error) {
	for _, tr := range loadTraces(b) {
		doc, _, err := traces.Replay(tr)
		if err != nil {
			b.Fatal(err)
		}
		state, err := doc.EncodeStateAsUpdate(nil)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(tr.Name, func(b *testing.B) {
			for b.Loop() {
				if err := op(doc, state); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkRemoteMerge(b *testing.B) {
	benchReplayed(b, func(_ *crdt.Doc, state []byte) error {
		d, _ := crdt.NewDoc(crdt.Options{ClientID: 2})
		return d.ApplyUpdate(state)
	})
}

func BenchmarkEncode(b *testing.B) {
	benchReplayed(b, func(doc *crdt.Doc, _ []byte) error {
		_, err := doc.EncodeStateAsUpdate(nil)
		return err
	})
}

func BenchmarkDecode(b *testing.B) {
	benchReplayed(b, func(_ *crdt.Doc, state []byte) error {
		_, err := crdt.DecodeUpdate(state)
		return err
	})
}
