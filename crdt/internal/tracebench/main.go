// Command tracebench measures pairpad's CRDT and yjs on the same editing traces in one run and
// prints one comparison line per figure:
//
//	RESULT <operation> <trace> pairpad=<value> yjs=<value> ratio=<yjs/pairpad> <unit>
//
// Operations: local-replay (every patch a local transaction producing its update), remote-merge
// (the whole history as one update applied to an empty document), encode and decode of that
// update, heap (live bytes the document holds after local-replay) and update-size. Times are
// medians over -runs samples; the fast operations average enough iterations for each sample to
// take at least 200 ms, as the yjs side (testdata/yjs/bench.mjs) does.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/pairpad/pairpad/crdt"
	"github.com/pairpad/pairpad/internal/traces"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "tracebench:", err)
		os.Exit(1)
	}
}

type figure struct {
	Trace string  `json:"trace"`
	Op    string  `json:"op"`
	Value float64 `json:"value"`
	Unit  string  `json:"unit"`
}

func run() error {
	dir := flag.String("traces", "../shared/traces", "directory of *.json.gz editing traces")
	runs := flag.Int("runs", 3, "samples per figure (the median is reported)")
	script := flag.String("yjs", "testdata/yjs/bench.mjs", "the yjs side of the benchmark")
	only := flag.String("trace", "", "comma-separated trace names (default: all)")
	flag.Parse()

	files, err := filepath.Glob(filepath.Join(*dir, "*.json.gz"))
	if err != nil || len(files) == 0 {
		return fmt.Errorf("no traces in %s", *dir)
	}
	slices.Sort(files)
	var names []string
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json.gz")
		if *only == "" || slices.Contains(strings.Split(*only, ","), name) {
			names = append(names, name)
		}
	}

	peer, err := runYjs(*script, *dir, names, *runs)
	if err != nil {
		return err
	}
	for _, name := range names {
		tr, err := traces.Load(filepath.Join(*dir, name+".json.gz"))
		if err != nil {
			return err
		}
		ours, err := measure(tr, *runs)
		if err != nil {
			return err
		}
		for _, f := range ours {
			p, ok := peer[f.Trace+"/"+f.Op]
			if !ok {
				return fmt.Errorf("yjs reported no %s for %s", f.Op, f.Trace)
			}
			printResult(f, p)
		}
	}
	return nil
}

func printResult(ours, peer figure) {
	ratio := peer.Value / ours.Value
	fmt.Printf("RESULT %s %s pairpad=%s yjs=%s ratio=%.2f %s\n",
		ours.Op, ours.Trace, format(ours.Value, ours.Unit), format(peer.Value, peer.Unit), ratio, ours.Unit)
}

func format(v float64, unit string) string {
	if unit == "ms" {
		return fmt.Sprintf("%.3f", v)
	}
	return fmt.Sprintf("%.0f", v)
}

// runYjs runs the node side and returns its figures by "trace/op".
func runYjs(script, dir string, names []string, runs int) (map[string]figure, error) {
	args := []string{"--expose-gc", filepath.Base(script), "--runs", fmt.Sprint(runs)}
	for _, n := range names {
		args = append(args, "--trace", n)
	}
	absDir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command("node", append(args, absDir)...)
	cmd.Dir = filepath.Dir(script)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("yjs benchmark: %w", err)
	}
	figures := make(map[string]figure)
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var f figure
		if err := json.Unmarshal(sc.Bytes(), &f); err != nil {
			return nil, fmt.Errorf("yjs benchmark output %q: %w", sc.Text(), err)
		}
		figures[f.Trace+"/"+f.Op] = f
	}
	return figures, sc.Err()
}

func measure(tr *traces.Trace, runs int) ([]figure, error) {
	fmt.Fprintf(os.Stderr, "pairpad %s: %d patches\n", tr.Name, len(tr.Patches))
	var out []figure
	add := func(op string, v float64, unit string) { out = append(out, figure{tr.Name, op, v, unit}) }

	var doc *crdt.Doc
	var replayMs []float64
	for range runs {
		doc = nil
		runtime.GC()
		start := time.Now()
		d, _, err := traces.Replay(tr)
		if err != nil {
			return nil, err
		}
		replayMs = append(replayMs, ms(time.Since(start)))
		doc = d
		if err := traces.CheckText(tr, doc); err != nil {
			return nil, err
		}
	}
	add("local-replay", median(replayMs), "ms")

	doc = nil
	heap, err := heapOfReplay(tr)
	if err != nil {
		return nil, err
	}

	// The remaining operations work on the encoded document alone. Drop the trace's patches so
	// that the collector does not trace them over and over while the operations allocate.
	full := *tr
	want := *tr
	want.Patches = nil
	doc, _, err = traces.Replay(tr)
	if err != nil {
		return nil, err
	}
	tr = &want
	update, err := doc.EncodeStateAsUpdate(nil)
	if err != nil {
		return nil, err
	}
	if err := checkRemoteMerge(tr, update); err != nil {
		return nil, err
	}
	var failed error
	add("remote-merge", timeFast(runs, func() {
		d, _ := crdt.NewDoc(crdt.Options{ClientID: 2})
		if err := d.ApplyUpdate(update); err != nil {
			failed = err
		}
	}), "ms")
	add("encode", timeFast(runs, func() {
		if _, err := doc.EncodeStateAsUpdate(nil); err != nil {
			failed = err
		}
	}), "ms")
	add("update-size", float64(len(update)), "bytes")
	add("decode", timeFast(runs, func() {
		if _, err := crdt.DecodeUpdate(update); err != nil {
			failed = err
		}
	}), "ms")
	updates, prefixText, err := prefixUpdates(&full, outOfOrder)
	if err != nil {
		return nil, err
	}
	add("out-of-order", timeFast(runs, func() {
		d, _ := crdt.NewDoc(crdt.Options{ClientID: 2})
		for i := len(updates) - 1; i >= 0; i-- {
			if err := d.ApplyUpdate(updates[i]); err != nil {
				failed = err
			}
		}
		if text, _ := d.GetText("text"); text.String() != prefixText {
			failed = fmt.Errorf("%s out-of-order: text mismatch", tr.Name)
		}
	}), "ms")
	if failed != nil {
		return nil, failed
	}
	add("heap", float64(heap), "bytes")
	return out, nil
}

// outOfOrder is how many transactions the out-of-order figure delivers in reverse order.
const outOfOrder = 1000

// prefixUpdates returns the updates of the first n transactions of a replay and their text.
func prefixUpdates(tr *traces.Trace, n int) ([][]byte, string, error) {
	prefix := *tr
	prefix.Patches = tr.Patches[:min(n, len(tr.Patches))]
	var updates [][]byte
	doc, err := traces.ReplayFunc(&prefix, func(update []byte) { updates = append(updates, update) })
	if err != nil {
		return nil, "", err
	}
	text, _ := doc.GetText("text")
	return updates, text.String(), nil
}

// checkRemoteMerge checks that the encoded document gives the trace's text to a fresh document.
func checkRemoteMerge(tr *traces.Trace, update []byte) error {
	merged, err := crdt.NewDoc(crdt.Options{ClientID: 2})
	if err != nil {
		return err
	}
	if err := merged.ApplyUpdate(update); err != nil {
		return err
	}
	return traces.CheckText(tr, merged)
}

// heapOfReplay returns the live heap bytes a replayed document holds.
func heapOfReplay(tr *traces.Trace) (int64, error) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&before)
	doc, _, err := traces.Replay(tr)
	if err != nil {
		return 0, err
	}
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&after)
	if err := traces.CheckText(tr, doc); err != nil {
		return 0, err
	}
	runtime.KeepAlive(doc)
	if after.HeapAlloc < before.HeapAlloc {
		return 0, errors.New("heap shrank during replay")
	}
	return int64(after.HeapAlloc - before.HeapAlloc), nil
}

// timeFast returns the median time per call in ms: a warm-up call, then runs samples of enough
// calls to last at least 200 ms each.
func timeFast(runs int, fn func()) float64 {
	runtime.GC()
	start := time.Now()
	fn()
	once := max(time.Since(start), time.Microsecond)
	iters := max(1, int((200*time.Millisecond+once-1)/once))
	var samples []float64
	for range runs {
		runtime.GC()
		start := time.Now()
		for range iters {
			fn()
		}
		samples = append(samples, ms(time.Since(start))/float64(iters))
	}
	return median(samples)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
