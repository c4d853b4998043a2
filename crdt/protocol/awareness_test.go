package protocol

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// awarenessFixtures is awareness.json; see testdata/yjs/protocol-fixtures.mjs for its fields.
type awarenessFixtures struct {
	Updates []struct {
		Name    string
		Bytes   []byte
		Entries []fixtureEntry
	}
	Scenario []struct {
		Name    string
		Update  []byte
		Changes Changes
		States  []fixtureEntry
	}
	Remove struct {
		Clients, Removed []uint64
		Update           []byte
	}
	Full struct {
		Clients []uint64
		Update  []byte
	}
	Invalid []struct {
		Name   string
		Update []byte
		Error  string
	}
}

// fixtureEntry is an Entry with its state as the JSON text JavaScript wrote.
type fixtureEntry struct {
	Client, Clock uint64
	State         string
}

func (f fixtureEntry) entry() Entry {
	if f.State == "null" {
		return Entry{Client: f.Client, Clock: f.Clock}
	}
	return Entry{Client: f.Client, Clock: f.Clock, State: json.RawMessage(f.State)}
}

// sameJSON reports whether two JSON texts hold the same value, as JSON.parse would see it.
func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	var va, vb any
	if err := json.Unmarshal(a, &va); err != nil {
		t.Fatalf("invalid JSON %q: %v", a, err)
	}
	if err := json.Unmarshal(b, &vb); err != nil {
		t.Fatalf("invalid JSON %q: %v", b, err)
	}
	return cmp.Equal(va, vb)
}

var t0 = time.UnixMilli(1_700_000_000_000)

func TestAwarenessUpdateFixtures(t *testing.T) {
	var fx awarenessFixtures
	readFixture(t, "awareness.json", &fx)
	for _, u := range fx.Updates {
		t.Run(u.Name, func(t *testing.T) {
			var want []Entry
			for _, e := range u.Entries {
				want = append(want, e.entry())
			}
			got, err := DecodeAwarenessUpdate(u.Bytes)
			if err != nil {
				t.Fatalf("DecodeAwarenessUpdate: %v", err)
			}
			if diff := cmp.Diff(want, got, equateEmpty); diff != "" {
				t.Errorf("DecodeAwarenessUpdate mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(u.Bytes, EncodeAwarenessUpdate(want)); diff != "" {
				t.Errorf("EncodeAwarenessUpdate mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestAwarenessScenario replays updates that the real awareness.js applied, checking the
// changes it reported and the states and clocks it held after each.
func TestAwarenessScenario(t *testing.T) {
	var fx awarenessFixtures
	readFixture(t, "awareness.json", &fx)
	var a Awareness
	for i, step := range fx.Scenario {
		got, err := a.Apply(step.Update, t0.Add(time.Duration(i)*time.Second))
		if err != nil {
			t.Fatalf("step %d %q: Apply: %v", i, step.Name, err)
		}
		if diff := cmp.Diff(step.Changes, got, equateEmpty); diff != "" {
			t.Errorf("step %d %q: changes mismatch (-want +got):\n%s", i, step.Name, diff)
		}
		var wantClients []uint64
		for _, want := range step.States {
			e, ok := a.Get(want.Client)
			if !ok {
				t.Errorf("step %d %q: client %d unknown", i, step.Name, want.Client)
				continue
			}
			if e.Clock != want.Clock {
				t.Errorf("step %d %q: client %d clock = %d, want %d", i, step.Name, want.Client, e.Clock, want.Clock)
			}
			if want.State == "null" {
				if e.State != nil {
					t.Errorf("step %d %q: client %d state = %s, want removed", i, step.Name, want.Client, e.State)
				}
				continue
			}
			wantClients = append(wantClients, want.Client)
			if e.State == nil || !sameJSON(t, []byte(want.State), e.State) {
				t.Errorf("step %d %q: client %d state = %s, want %s", i, step.Name, want.Client, e.State, want.State)
			}
		}
		if len(a.meta) != len(step.States) {
			t.Errorf("step %d %q: %d clients known, want %d", i, step.Name, len(a.meta), len(step.States))
		}
		if diff := cmp.Diff(wantClients, a.Clients(), equateEmpty); diff != "" {
			t.Errorf("step %d %q: Clients mismatch (-want +got):\n%s", i, step.Name, diff)
		}
	}

	removed, update := a.Remove(fx.Remove.Clients)
	if diff := cmp.Diff(fx.Remove.Removed, removed); diff != "" {
		t.Errorf("Remove mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(fx.Remove.Update, update); diff != "" {
		t.Errorf("Remove update mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(fx.Full.Update, a.EncodeUpdate(fx.Full.Clients)); diff != "" {
		t.Errorf("EncodeUpdate of every client mismatch (-want +got):\n%s", diff)
	}
}

func TestAwarenessInvalidFixtures(t *testing.T) {
	var fx awarenessFixtures
	readFixture(t, "awareness.json", &fx)
	for _, inv := range fx.Invalid {
		t.Run(inv.Name, func(t *testing.T) {
			var a Awareness
			a.Apply([]byte{1, 1, 1, 2, '{', '}'}, t0)
			before := a.EncodeUpdate([]uint64{1})
			ch, err := a.Apply(inv.Update, t0)
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("Apply error = %v, want a *DecodeError (awareness.js: %s)", err, inv.Error)
			}
			if !ch.Empty() {
				t.Errorf("Apply returned changes %+v with an error", ch)
			}
			if len(a.meta) != 1 {
				t.Errorf("Apply of an invalid update changed the clients known: %d, want 1", len(a.meta))
			}
			if diff := cmp.Diff(before, a.EncodeUpdate([]uint64{1})); diff != "" {
				t.Errorf("Apply of an invalid update changed a state (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeAwarenessUpdate(t *testing.T) {
	tests := []struct {
		name    string
		in      []byte
		want    []Entry
		wantErr error
		errText string
	}{
		{name: "empty update", in: []byte{0}, want: []Entry{}},
		{name: "trailing bytes are ignored", in: []byte{0, 5, 6}, want: []Entry{}},
		{name: "state compacted", in: append([]byte{1, 1, 2, 12}, ` { "a" : 1 }`...), want: []Entry{{1, 2, json.RawMessage(`{"a":1}`)}}},
		{name: "null with whitespace", in: append([]byte{1, 1, 2, 6}, " null "...), want: []Entry{{Client: 1, Clock: 2}}},
		{name: "string state", in: append([]byte{1, 1, 2, 3}, `"x"`...), want: []Entry{{1, 2, json.RawMessage(`"x"`)}}},
		{name: "huge count, no entries", in: []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f}, wantErr: ErrUnexpectedEOF},
		{name: "count above 2^53", in: []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}, wantErr: ErrIntegerOverflow},
		{name: "invalid JSON names the client", in: append([]byte{1, 9, 2, 2}, `{"`...), wantErr: ErrInvalidState, errText: "protocol: invalid awareness state JSON for client 9: unexpected end of JSON input at offset 3"},
		{name: "two values", in: append([]byte{1, 9, 2, 3}, `1 2`...), wantErr: ErrInvalidState},
		{name: "NaN is not JSON", in: append([]byte{1, 9, 2, 3}, `NaN`...), wantErr: ErrInvalidState},
		{name: "state length beyond the input", in: []byte{1, 9, 2, 5, '{', '}'}, wantErr: ErrUnexpectedEOF},
		{name: "missing clock", in: []byte{1, 9}, wantErr: ErrUnexpectedEOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeAwarenessUpdate(tt.in)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("DecodeAwarenessUpdate(%q): %v", tt.in, err)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("DecodeAwarenessUpdate(%q) mismatch (-want +got):\n%s", tt.in, diff)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) || got != nil {
				t.Fatalf("DecodeAwarenessUpdate(%q) = %v, %v; want nil, %v", tt.in, got, err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.errText) {
				t.Errorf("error %q does not contain %q", err, tt.errText)
			}
		})
	}
}

func TestDecodeAwarenessUpdateBoundedAllocation(t *testing.T) {
	// A count of 2^53-1 followed by nothing must not reserve room for 2^53-1 entries.
	in := []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f}
	allocs := testing.AllocsPerRun(10, func() { DecodeAwarenessUpdate(in) })
	if allocs > 10 {
		t.Errorf("DecodeAwarenessUpdate allocated %v times", allocs)
	}
}

func TestEncodeAwarenessUpdateNullStates(t *testing.T) {
	got := EncodeAwarenessUpdate([]Entry{{Client: 1, Clock: 2}, {Client: 3, Clock: 4, State: json.RawMessage(" null ")}})
	want := []byte{2, 1, 2, 4, 'n', 'u', 'l', 'l', 3, 4, 4, 'n', 'u', 'l', 'l'}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("EncodeAwarenessUpdate mismatch (-want +got):\n%s", diff)
	}
}

func update(entries ...Entry) []byte { return EncodeAwarenessUpdate(entries) }

func state(s string) json.RawMessage { return json.RawMessage(s) }

// TestAwarenessTimeout checks the expiry that awareness.js's check interval performs.
func TestAwarenessTimeout(t *testing.T) {
	type tick struct {
		at          time.Duration // after t0
		wantRemoved []uint64
		wantUpdate  []Entry
	}
	tests := []struct {
		name    string
		applies map[time.Duration][]byte // updates applied at t0 plus the key, in key order
		ticks   []tick
	}{
		{
			name:    "expires after exactly 30 s",
			applies: map[time.Duration][]byte{0: update(Entry{1, 1, state(`{}`)}, Entry{2, 5, state(`{"a":1}`)})},
			ticks: []tick{
				{at: 29999 * time.Millisecond},
				{at: 30 * time.Second, wantRemoved: []uint64{1, 2}, wantUpdate: []Entry{{Client: 1, Clock: 1}, {Client: 2, Clock: 5}}},
				{at: 60 * time.Second},
			},
		},
		{
			name: "renewal restarts the timeout, a rejected update does not",
			applies: map[time.Duration][]byte{
				0:                update(Entry{1, 1, state(`{}`)}, Entry{2, 1, state(`{}`)}),
				15 * time.Second: update(Entry{1, 2, state(`{}`)}, Entry{2, 1, state(`{"stale":true}`)}),
			},
			ticks: []tick{
				{at: 30 * time.Second, wantRemoved: []uint64{2}, wantUpdate: []Entry{{Client: 2, Clock: 1}}},
				{at: 44 * time.Second},
				{at: 45 * time.Second, wantRemoved: []uint64{1}, wantUpdate: []Entry{{Client: 1, Clock: 2}}},
			},
		},
		{
			name: "removed clients do not expire",
			applies: map[time.Duration][]byte{
				0:               update(Entry{1, 1, state(`{}`)}),
				5 * time.Second: update(Entry{1, 1, nil}),
			},
			ticks: []tick{{at: time.Hour}},
		},
		{
			name: "a client that came back expires from its return",
			applies: map[time.Duration][]byte{
				0:                update(Entry{1, 1, state(`{}`)}),
				10 * time.Second: update(Entry{1, 2, nil}),
				20 * time.Second: update(Entry{1, 3, state(`{}`)}),
			},
			ticks: []tick{
				{at: 49 * time.Second},
				{at: 50 * time.Second, wantRemoved: []uint64{1}, wantUpdate: []Entry{{Client: 1, Clock: 3}}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var a Awareness
			var times []time.Duration
			for at := range tt.applies {
				times = append(times, at)
			}
			for _, at := range sortedDurations(times) {
				if _, err := a.Apply(tt.applies[at], t0.Add(at)); err != nil {
					t.Fatal(err)
				}
			}
			for _, tk := range tt.ticks {
				now := t0.Add(tk.at)
				if diff := cmp.Diff(tk.wantRemoved, a.Outdated(now)); diff != "" {
					t.Errorf("Outdated(t0+%v) mismatch (-want +got):\n%s", tk.at, diff)
				}
				removed, upd := a.Tick(now)
				if diff := cmp.Diff(tk.wantRemoved, removed); diff != "" {
					t.Errorf("Tick(t0+%v) removed mismatch (-want +got):\n%s", tk.at, diff)
				}
				var wantUpdate []byte
				if tk.wantUpdate != nil {
					wantUpdate = EncodeAwarenessUpdate(tk.wantUpdate)
				}
				if diff := cmp.Diff(wantUpdate, upd); diff != "" {
					t.Errorf("Tick(t0+%v) update mismatch (-want +got):\n%s", tk.at, diff)
				}
			}
		})
	}
}

func sortedDurations(d []time.Duration) []time.Duration {
	for i := 1; i < len(d); i++ {
		for j := i; j > 0 && d[j] < d[j-1]; j-- {
			d[j], d[j-1] = d[j-1], d[j]
		}
	}
	return d
}

// TestAwarenessRemovalRoundTrip checks that the update Remove returns removes the clients at a
// peer that holds the same states, and that the client's own next state is still accepted.
func TestAwarenessRemovalRoundTrip(t *testing.T) {
	var server, peer Awareness
	join := update(Entry{1, 4, state(`{"u":1}`)}, Entry{2, 1, state(`{"u":2}`)})
	for _, a := range []*Awareness{&server, &peer} {
		if _, err := a.Apply(join, t0); err != nil {
			t.Fatal(err)
		}
	}
	removed, upd := server.Remove([]uint64{1, 3, 1})
	if diff := cmp.Diff([]uint64{1}, removed); diff != "" {
		t.Errorf("Remove mismatch (-want +got):\n%s", diff)
	}
	ch, err := peer.Apply(upd, t0)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Changes{Removed: []uint64{1}}, ch); diff != "" {
		t.Errorf("peer changes mismatch (-want +got):\n%s", diff)
	}
	if removed, upd := server.Remove([]uint64{1}); removed != nil || upd != nil {
		t.Errorf("second Remove = %v, %x; want nil, nil", removed, upd)
	}
	ch, err = server.Apply(update(Entry{1, 5, state(`{"u":1}`)}), t0)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Changes{Updated: []uint64{1}}, ch); diff != "" {
		t.Errorf("the client's next state: changes mismatch (-want +got):\n%s", diff)
	}
}

func TestAwarenessZeroValue(t *testing.T) {
	var a Awareness
	if got := a.Clients(); len(got) != 0 {
		t.Errorf("Clients() = %v, want none", got)
	}
	if _, ok := a.Get(1); ok {
		t.Errorf("Get(1) found a client")
	}
	if removed, upd := a.Tick(t0); removed != nil || upd != nil {
		t.Errorf("Tick = %v, %x; want nil, nil", removed, upd)
	}
	if removed, upd := a.Remove([]uint64{1}); removed != nil || upd != nil {
		t.Errorf("Remove = %v, %x; want nil, nil", removed, upd)
	}
	if diff := cmp.Diff([]byte{0}, a.EncodeUpdate([]uint64{1, 2})); diff != "" {
		t.Errorf("EncodeUpdate of unknown clients mismatch (-want +got):\n%s", diff)
	}
}

func TestChanges(t *testing.T) {
	c := Changes{Added: []uint64{1}, Updated: []uint64{2, 3}, Removed: []uint64{4}}
	if diff := cmp.Diff([]uint64{1, 2, 3, 4}, c.Clients()); diff != "" {
		t.Errorf("Clients mismatch (-want +got):\n%s", diff)
	}
	if c.Empty() || !(Changes{}).Empty() {
		t.Errorf("Empty is wrong")
	}
}

// TestEncodeUpdateFalsyStates pins a deliberate difference: awareness.js encodes
// `state || null`, turning false, 0 and "" into a removal; Awareness keeps them.
func TestEncodeUpdateFalsyStates(t *testing.T) {
	in := update(Entry{1, 1, state(`false`)}, Entry{2, 1, state(`0`)}, Entry{3, 1, state(`""`)})
	var a Awareness
	if _, err := a.Apply(in, t0); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(in, a.EncodeUpdate([]uint64{1, 2, 3})); diff != "" {
		t.Errorf("EncodeUpdate mismatch (-want +got):\n%s", diff)
	}
}

// The clock of a client without a state is forgotten OutdatedTimeout after its last state, so
// that clients that come and go (or that a peer invents) leave nothing behind; a client with a
// state keeps its clock.
func TestAwarenessForgetsGoneClients(t *testing.T) {
	t0 := time.Unix(1000, 0)
	var a Awareness
	a.Apply(update(Entry{1, 4, state(`{}`)}, Entry{2, 7, state(`{}`)}), t0)
	a.Remove([]uint64{1})
	a.Tick(t0.Add(OutdatedTimeout - time.Millisecond))
	if _, ok := a.Get(1); !ok {
		t.Fatal("client 1's clock forgotten before the timeout")
	}
	a.Apply(update(Entry{2, 8, state(`{}`)}), t0.Add(OutdatedTimeout-time.Millisecond)) // renewed
	a.Tick(t0.Add(OutdatedTimeout))
	if _, ok := a.Get(1); ok {
		t.Error("client 1's clock kept after the timeout without a state")
	}
	if x, ok := a.Get(2); !ok || x.Clock != 8 {
		t.Errorf("client 2, which has a state, = %+v %v; want clock 8", x, ok)
	}
	if changes := a.ApplyEntries([]Entry{{Client: 1, Clock: 1, State: state(`{"back":true}`)}}, t0.Add(OutdatedTimeout)); len(changes.Added) != 1 {
		t.Errorf("a forgotten client's new state = %+v, want it added", changes)
	}
}
