package load

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/pairpad/pairpad/crdt"
)

// TestRecord checks the bookkeeping of deliveries: a keystroke is known to have arrived when
// the receiver's state vector passes its clock, one message may complete several, and only
// the keystrokes sent during the measurement count.
func TestRecord(t *testing.T) {
	r := &run{from: 100, to: 200}
	rm := &room{senders: map[uint64]*peer{}}
	newTestPeer := func(id, base uint64, sent ...int64) *peer {
		p := &peer{run: r, room: rm, measured: true, base: base, sent: sent}
		p.nsent.Store(int64(len(sent)))
		rm.senders[id] = p
		return p
	}
	newTestPeer(1, 0, 90, 110, 120, 130, 140, 250) // the first before the measurement, the last after
	newTestPeer(2, 5, 150)                         // its first keystroke has clock 5
	receiver := newTestPeer(3, 0)
	receiver.seen = crdt.StateVector{1: 0, 2: 5, 3: 0}

	for _, step := range []struct {
		name string
		now  int64
		sv   crdt.StateVector
		want []int64 // latencies, in any order
	}{
		{"one of two in the measurement", 115, crdt.StateVector{1: 2, 2: 5, 3: 0}, []int64{5}},
		{"merged: three of 1, one of 2, none of a stranger", 160, crdt.StateVector{1: 5, 2: 6, 3: 0, 99: 7}, []int64{10, 20, 30, 40}},
		{"its own", 170, crdt.StateVector{1: 5, 2: 6, 3: 3}, nil},
		{"one after the measurement, one never sent", 300, crdt.StateVector{1: 7, 2: 6, 3: 3}, nil},
		{"nothing new", 310, crdt.StateVector{1: 7, 2: 6, 3: 3}, nil},
	} {
		before := len(receiver.latencies)
		receiver.record(step.sv, step.now)
		receiver.seen = step.sv
		got := slices.Sorted(slices.Values(receiver.latencies[before:]))
		if diff := cmp.Diff(step.want, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s: latencies mismatch (-want +got):\n%s", step.name, diff)
		}
	}
	if got, want := receiver.received.Load(), int64(7); got != want { // a's 0 to 5, b's 5
		t.Errorf("received = %d, want %d", got, want)
	}
}
