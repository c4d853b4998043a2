package protocol

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// The contract of every decoder here: error or success, never a panic, never an allocation
// beyond what the input can hold; and what decodes re-encodes to something that decodes the
// same.

func FuzzDecodeMessage(f *testing.F) {
	var fixtures []messageFixture
	readFixture(f, "messages.json", &fixtures)
	for _, m := range fixtures {
		f.Add(m.Bytes)
	}
	for _, seed := range [][]byte{
		{},
		{0},
		{0, 3, 0},
		{0, 2, 5, 1, 2},
		{1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
		{2, 0, 1, 0xff},
		{2, 1, 0},
		{3, 1, 2},
		{4},
		{0x80},
		{0x81, 0x00, 0},
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeMessage(b)
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) || de.Offset < 0 || de.Offset > len(b) {
				t.Fatalf("error %v is not a *DecodeError with an offset in the input", err)
			}
			return
		}
		enc, err := m.Encode()
		if err != nil {
			t.Fatalf("Encode of a decoded message: %v", err)
		}
		if len(enc) > len(b) {
			t.Fatalf("re-encoding is longer (%d) than the input (%d)", len(enc), len(b))
		}
		m2, err := DecodeMessage(enc)
		if err != nil {
			t.Fatalf("decoding the re-encoding %x: %v", enc, err)
		}
		if diff := cmp.Diff(m, m2, equateEmpty); diff != "" {
			t.Fatalf("round trip mismatch (-first +second):\n%s", diff)
		}
	})
}

func FuzzAwarenessApply(f *testing.F) {
	var fx awarenessFixtures
	readFixture(f, "awareness.json", &fx)
	for _, u := range fx.Updates {
		f.Add(u.Bytes)
	}
	for _, s := range fx.Scenario {
		f.Add(s.Update)
	}
	for _, inv := range fx.Invalid {
		f.Add(inv.Update)
	}
	f.Add(fx.Remove.Update)
	f.Add(fx.Full.Update)
	for _, seed := range [][]byte{
		{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f},
		append([]byte{2, 1, 1, 2}, "{}\x01\x01\x04null"...),
		append([]byte{1, 1, 1, 6}, " null "...),
		append([]byte{1, 1, 1, 3}, "[{}"...),
	} {
		f.Add(seed)
	}
	now := time.UnixMilli(1_700_000_000_000)
	f.Fuzz(func(t *testing.T, b []byte) {
		var a Awareness
		ch, err := a.Apply(b, now)
		if err != nil {
			if !ch.Empty() || len(a.meta) != 0 || len(a.states) != 0 {
				t.Fatalf("failed Apply changed the Awareness: %+v", ch)
			}
			return
		}
		for _, c := range a.Clients() {
			if e, _ := a.Get(c); e.State == nil || e.Clock == 0 {
				t.Fatalf("client %d listed with entry %+v", c, e)
			}
		}
		entries, err := DecodeAwarenessUpdate(b)
		if err != nil {
			t.Fatalf("DecodeAwarenessUpdate failed where Apply succeeded: %v", err)
		}
		enc := EncodeAwarenessUpdate(entries)
		again, err := DecodeAwarenessUpdate(enc)
		if err != nil {
			t.Fatalf("decoding the re-encoding: %v", err)
		}
		if diff := cmp.Diff(entries, again, equateEmpty); diff != "" {
			t.Fatalf("round trip mismatch (-first +second):\n%s", diff)
		}
		// The full state re-applied to a fresh Awareness yields the same states.
		var b2 Awareness
		if _, err := b2.Apply(a.EncodeUpdate(a.Clients()), now); err != nil {
			t.Fatalf("applying EncodeUpdate: %v", err)
		}
		for _, c := range a.Clients() {
			x, _ := a.Get(c)
			y, ok := b2.Get(c)
			if !ok || x.Clock != y.Clock || !bytes.Equal(x.State, y.State) {
				t.Fatalf("client %d: re-applied entry %+v, want %+v", c, y, x)
			}
		}
		// Every state was set at now, so all expire together.
		want := a.Clients()
		removed, upd := a.Tick(now.Add(OutdatedTimeout))
		if diff := cmp.Diff(want, removed); diff != "" || len(a.states) != 0 || (len(removed) > 0) != (upd != nil) {
			t.Fatalf("Tick after the timeout: removed mismatch (-want +got):\n%s\n%d states left, update %x", diff, len(a.states), upd)
		}
	})
}
