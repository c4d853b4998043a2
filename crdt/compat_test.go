package crdt

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"
)

// scenario is one compatibility fixture written by testdata/yjs/generate.mjs with yjs 13.6.33.
type scenario struct {
	Name              string            `json:"name"`
	Description       string            `json:"description"`
	GC                bool              `json:"gc"`
	Roots             map[string]string `json:"roots"`
	Updates           []b64             `json:"updates"`
	JSON              map[string]any    `json:"json"`
	StateVector       b64               `json:"stateVector"`
	State             b64               `json:"state"`
	StateDiffs        []svUpdate        `json:"stateDiffs"`
	Merged            b64               `json:"merged"`
	MergedStateVector b64               `json:"mergedStateVector"`
	Diffs             []svUpdate        `json:"diffs"`
	Pending           bool              `json:"pending"`
	// Settled is what a fresh yjs doc holds after applying State, for scenarios left pending.
	Settled *struct {
		JSON        map[string]any `json:"json"`
		StateVector b64            `json:"stateVector"`
	} `json:"settled"`
}

// yjsStalePending reports whether yjs left structs pending that it could have integrated: it
// retries pending structs only once a recorded "missing" clock is passed, which can be later
// than the clock they wait for. pairpad integrates them as soon as their dependencies are met,
// so its document equals the one yjs settles on once it receives its own state.
func (sc *scenario) yjsStalePending() bool {
	return sc.Settled != nil && !reflect.DeepEqual(sc.Settled.JSON, sc.JSON)
}

type svUpdate struct {
	StateVector b64 `json:"stateVector"`
	Update      b64 `json:"update"`
}

type b64 []byte

func (b *b64) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return err
	}
	dec, err := base64.StdEncoding.DecodeString(s)
	*b = dec
	return err
}

func loadScenarios(t *testing.T) []scenario {
	t.Helper()
	files, err := filepath.Glob("../testdata/yjs/fixtures/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures found (run make fixtures): %v", err)
	}
	var all []scenario
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var ss []scenario
		if err := json.Unmarshal(data, &ss); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		all = append(all, ss...)
	}
	return all
}

// rootJSON returns the normalized toJSON of a root of the given kind.
func rootJSON(d *Doc, name, kind string) (any, error) {
	var t *Type
	var err error
	switch kind {
	case "text":
		var x *Text
		if x, err = d.GetText(name); err == nil {
			t = x.Type()
		}
	case "map":
		var m *Map
		if m, err = d.GetMap(name); err == nil {
			t = m.Type()
		}
	case "array":
		var a *Array
		if a, err = d.GetArray(name); err == nil {
			t = a.Type()
		}
	case "xmlfragment":
		t, err = d.GetXmlFragment(name)
	case "xmlelement":
		t, err = d.GetXmlElement(name)
	case "xmltext":
		t, err = d.GetXmlText(name)
	default:
		return nil, fmt.Errorf("unknown root kind %q", kind)
	}
	if err != nil {
		return nil, err
	}
	return normalizeJSON(t.ToJSON()), nil
}

// normalizeJSON maps values to what the fixture generator's normalizer writes.
func normalizeJSON(v any) any {
	switch v := v.(type) {
	case float64:
		switch {
		case math.IsNaN(v):
			return map[string]any{"$number": "NaN"}
		case math.IsInf(v, 1):
			return map[string]any{"$number": "Infinity"}
		case math.IsInf(v, -1):
			return map[string]any{"$number": "-Infinity"}
		case v == 0 && math.Signbit(v):
			return map[string]any{"$number": "-0"}
		}
		return v
	case Undefined:
		return map[string]any{"$undefined": true}
	case BigInt:
		return map[string]any{"$bigint": strconv.FormatInt(int64(v), 10)}
	case []byte:
		return map[string]any{"$binary": base64.StdEncoding.EncodeToString(v)}
	case *SubDoc:
		return map[string]any{"$doc": v.GUID}
	case Object:
		m := make(map[string]any, len(v))
		for _, f := range v {
			m[f.Key] = normalizeJSON(f.Value)
		}
		return m
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, x := range v {
			m[k] = normalizeJSON(x)
		}
		return m
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = normalizeJSON(x)
		}
		return out
	}
	return v
}

func TestYjsFixtures(t *testing.T) {
	scenarios := loadScenarios(t)
	if len(scenarios) < 300 {
		t.Errorf("only %d scenarios, want at least 300", len(scenarios))
	}
	for _, sc := range scenarios {
		t.Run(sc.Name, func(t *testing.T) {
			checkScenario(t, sc)
		})
	}
}

func checkScenario(t *testing.T, sc scenario) {
	d, err := NewDoc(Options{ClientID: 424242, KeepDeleted: !sc.GC})
	if err != nil {
		t.Fatal(err)
	}
	for i, u := range sc.Updates {
		if err := d.ApplyUpdate(u); err != nil {
			t.Fatalf("ApplyUpdate #%d: %v", i, err)
		}
	}
	wantJSON, wantSV := sc.JSON, sc.StateVector
	if sc.yjsStalePending() {
		wantJSON, wantSV = sc.Settled.JSON, sc.Settled.StateVector
	}
	for name, kind := range sc.Roots {
		got, err := rootJSON(d, name, kind)
		if err != nil {
			t.Fatalf("root %q: %v", name, err)
		}
		want := normalizeFixture(wantJSON[name])
		if !reflect.DeepEqual(want, got) {
			t.Errorf("root %q (%s) mismatch (-want +got):\n-%#v\n+%#v", name, kind, want, got)
		}
	}
	if got := d.EncodeStateVector(); !bytes.Equal(got, wantSV) {
		t.Errorf("state vector mismatch (-want +got):\n-%v\n+%v", []byte(wantSV), got)
	}
	checkUpdateOps(t, sc)
	if sc.yjsStalePending() {
		return // the state differs from yjs's by the structs yjs failed to integrate
	}
	if got := d.HasPending(); got != sc.Pending {
		t.Errorf("HasPending = %v, want %v", got, sc.Pending)
	}
	state, err := d.EncodeStateAsUpdate(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(state, sc.State) {
		t.Errorf("EncodeStateAsUpdate mismatch (-want +got):\n-%v\n+%v", []byte(sc.State), state)
	}
	for _, sd := range sc.StateDiffs {
		got, err := d.EncodeStateAsUpdate(sd.StateVector)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, sd.Update) {
			t.Errorf("EncodeStateAsUpdate(%v) mismatch (-want +got):\n-%v\n+%v", []byte(sd.StateVector), []byte(sd.Update), got)
		}
	}
}

// checkUpdateOps checks the doc-less operations on the scenario's updates.
func checkUpdateOps(t *testing.T, sc scenario) {
	updates := make([][]byte, len(sc.Updates))
	for i, u := range sc.Updates {
		updates[i] = u
	}
	merged, err := MergeUpdates(updates...)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(merged, sc.Merged) {
		t.Errorf("MergeUpdates mismatch (-want +got):\n-%v\n+%v", []byte(sc.Merged), merged)
	}
	sv, err := EncodeStateVectorFromUpdate(sc.Merged)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(sv, sc.MergedStateVector) {
		t.Errorf("EncodeStateVectorFromUpdate mismatch (-want +got):\n-%v\n+%v", []byte(sc.MergedStateVector), sv)
	}
	for _, df := range sc.Diffs {
		got, err := DiffUpdate(sc.Merged, df.StateVector)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, df.Update) {
			t.Errorf("DiffUpdate(%v) mismatch (-want +got):\n-%v\n+%v", []byte(df.StateVector), []byte(df.Update), got)
		}
	}
}

// normalizeFixture turns the fixture's JSON into the shapes normalizeJSON produces.
func normalizeFixture(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, x := range v {
			m[k] = normalizeFixture(x)
		}
		return m
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = normalizeFixture(x)
		}
		return out
	}
	return v
}
