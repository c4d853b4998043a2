package crdt

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

const yjsDir = "../testdata/yjs"

// yjsNode returns the path of node, skipping the test when node or the yjs packages are missing,
// unless REQUIRE_NODE=1 or CI=true asks for them.
func yjsNode(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err == nil {
		_, err = os.Stat(filepath.Join(yjsDir, "node_modules", "yjs", "package.json"))
	}
	if err != nil {
		msg := fmt.Sprintf("needs node and testdata/yjs/node_modules (cd testdata/yjs && npm ci; see testdata/yjs/README.md): %v", err)
		if os.Getenv("REQUIRE_NODE") == "1" || os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return node
}

// yjsResult is what testdata/yjs/apply.mjs prints.
type yjsResult struct {
	JSON        map[string]any `json:"json"`
	StateVector b64            `json:"stateVector"`
	State       b64            `json:"state"`
	Pending     bool           `json:"pending"`
}

// applyWithYjs has yjs apply updates, in order, to a fresh doc with the given roots.
func applyWithYjs(ctx context.Context, node string, gc bool, roots map[string]string, updates [][]byte) (*yjsResult, error) {
	in := struct {
		GC      bool              `json:"gc"`
		Roots   map[string]string `json:"roots"`
		Updates []string          `json:"updates"`
	}{GC: gc, Roots: roots, Updates: []string{}}
	for _, u := range updates {
		in.Updates = append(in.Updates, base64.StdEncoding.EncodeToString(u))
	}
	input, err := json.Marshal(in)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "apply.mjs")
	cmd.Dir = yjsDir
	cmd.Stdin = bytes.NewReader(input)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("node apply.mjs: %w\n%s", err, stderr.Bytes())
	}
	var res yjsResult
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		return nil, fmt.Errorf("node apply.mjs printed %q: %w", stdout.Bytes(), err)
	}
	return &res, nil
}

// TestYjsRoundtrip checks the Go -> yjs direction: updates that Go peers produce while editing
// concurrently (text with astral characters, map and array values of every kind) are applied by
// the real yjs, which must end up with the document the Go peers converged on. Each seed feeds
// yjs the transaction updates in the order they were made, a peer's EncodeStateAsUpdate, their
// MergeUpdates, and a merged prefix followed by a DiffUpdate of the rest.
func TestYjsRoundtrip(t *testing.T) {
	node := yjsNode(t)
	for _, seed := range testSeeds(t, 6) {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			t.Parallel()
			rng := newRand(seed)
			r := newConvRun(t, "TestYjsRoundtrip", seed, newConvConfig(rng, 2, 4, 80, 250), rng)
			r.run()
			want := r.check()
			for _, in := range r.yjsInputs() {
				r.checkWithYjs(node, in.name, in.updates, want)
			}
		})
	}
}

type namedUpdates struct {
	name    string
	updates [][]byte
}

// yjsInputs returns the update lists fed to yjs; each gives the whole converged document.
func (r *convRun) yjsInputs() []namedUpdates {
	r.t.Helper()
	state, err := r.peers[r.rng.IntN(len(r.peers))].doc.EncodeStateAsUpdate(nil)
	if err != nil {
		r.fatalf("EncodeStateAsUpdate(nil): %v", err)
	}
	merged, err := MergeUpdates(r.all...)
	if err != nil {
		r.fatalf("MergeUpdates of all %d updates: %v", len(r.all), err)
	}
	// Every prefix of r.all is contiguous per client: each client's updates come in clock order.
	k := r.rng.IntN(len(r.all) + 1)
	prefix, err := MergeUpdates(r.all[:k]...)
	if err != nil {
		r.fatalf("MergeUpdates of the first %d updates: %v", k, err)
	}
	sv, err := EncodeStateVectorFromUpdate(prefix)
	if err != nil {
		r.fatalf("EncodeStateVectorFromUpdate(prefix): %v", err)
	}
	rest, err := DiffUpdate(merged, sv)
	if err != nil {
		r.fatalf("DiffUpdate(merged, %x): %v", sv, err)
	}
	return []namedUpdates{
		{"transaction updates in order", r.all},
		{"EncodeStateAsUpdate(nil)", [][]byte{state}},
		{"MergeUpdates(all)", [][]byte{merged}},
		{fmt.Sprintf("MergeUpdates(first %d), DiffUpdate(all, their state vector)", k), [][]byte{prefix, rest}},
	}
}

// checkWithYjs applies updates with yjs and requires its document to be want. The state yjs
// encodes must be byte for byte the one a Go doc encodes after applying the same updates, and
// give want to a fresh Go doc.
func (r *convRun) checkWithYjs(node, name string, updates [][]byte, want docSnapshot) {
	r.t.Helper()
	gc := r.rng.IntN(2) == 0
	res, err := applyWithYjs(r.t.Context(), node, gc, convRoots, updates)
	if err != nil {
		r.fatalf("yjs fed %s: %v", name, err)
	}
	wantJSON := map[string]any{"t": want.text, "m": want.m, "a": want.a}
	for root := range convRoots {
		if got := normalizeFixture(res.JSON[root]); !reflect.DeepEqual(wantJSON[root], got) {
			r.fatalf("yjs fed %s (gc %v): root %q mismatch (-want +got):\n-%#v\n+%#v", name, gc, root, wantJSON[root], got)
		}
	}
	if !bytes.Equal(res.StateVector, want.stateVector) {
		r.fatalf("yjs fed %s (gc %v): state vector mismatch (-want +got):\n-%v\n+%v", name, gc, want.stateVector, []byte(res.StateVector))
	}
	if res.Pending {
		r.fatalf("yjs fed %s (gc %v): pending after applying the whole document", name, gc)
	}

	goDoc, err := NewDoc(Options{ClientID: 424242, KeepDeleted: !gc})
	if err != nil {
		r.fatalf("NewDoc: %v", err)
	}
	for i, u := range updates {
		if err := goDoc.ApplyUpdate(u); err != nil {
			r.fatalf("Go doc fed %s: ApplyUpdate #%d: %v", name, i, err)
		}
	}
	goState, err := goDoc.EncodeStateAsUpdate(nil)
	if err != nil {
		r.fatalf("Go doc fed %s: EncodeStateAsUpdate(nil): %v", name, err)
	}
	if !bytes.Equal(goState, res.State) {
		r.fatalf("fed %s (gc %v): EncodeStateAsUpdate(nil) mismatch (-yjs +Go):\n-%x\n+%x", name, gc, []byte(res.State), goState)
	}

	fresh, err := NewDoc(Options{ClientID: 424242, KeepDeleted: r.rng.IntN(2) == 0})
	if err != nil {
		r.fatalf("NewDoc: %v", err)
	}
	if err := fresh.ApplyUpdate(res.State); err != nil {
		r.fatalf("Go doc fed the state yjs encoded after %s: %v", name, err)
	}
	if d := diffSnapshots(want, r.snapshot(fresh, "fresh doc")); d != "" {
		r.fatalf("Go doc fed the state yjs encoded after %s differs:\n%s", name, d)
	}
}
