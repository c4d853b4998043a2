package embedded

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/pairpad/pairpad/store"
)

// TestRecordRoundTrip encodes records of several rooms' entries and decodes every group back,
// whole and from a seq on.
func TestRecordRoundTrip(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 123_456_000, time.UTC)
	tests := []struct {
		name    string
		lastSeq uint64
		entries []store.Entry
	}{
		{"one entry", 0, []store.Entry{{Update: []byte("x"), Time: at, Session: "s"}}},
		{"zero time and empty session", 7, []store.Entry{{Update: []byte("a")}, {Update: nil}}},
		{"sessions change and come back", 41, []store.Entry{
			{Update: []byte("1"), Time: at, Session: "alice"},
			{Update: []byte("2"), Time: at.Add(time.Millisecond), Session: "alice"},
			{Update: []byte("3"), Time: at.Add(-time.Hour), Session: "bob"},
			{Update: []byte("4"), Time: at, Session: ""},
			{Update: []byte("5"), Time: at, Session: "alice"},
		}},
		{"times far apart", 1 << 40, []store.Entry{
			{Update: []byte{0}, Time: time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)},
			{Update: []byte{1}, Time: time.Date(9999, 12, 31, 23, 59, 59, 999_999_000, time.UTC)},
			{Update: []byte{2}},
		}},
		{"large update", 2, []store.Entry{{Update: bytes.Repeat([]byte{0xab}, 5000), Time: at, Session: "big"}}},
	}
	rec := newRecordBuilder()
	rooms := make([]*roomIndex, len(tests))
	for i, tt := range tests {
		rooms[i] = &roomIndex{lastSeq: tt.lastSeq}
		if got, want := rec.add(tt.name, rooms[i], tt.entries), tt.lastSeq+uint64(len(tt.entries)); got != want {
			t.Errorf("%s: add = %d, want %d", tt.name, got, want)
		}
	}
	value, spans := rec.encode()
	offset := 0
	for i, tt := range tests {
		if spans[i].room != rooms[i] || spans[i].offset != offset {
			t.Fatalf("%s: span %+v, want room %p at %d", tt.name, spans[i], rooms[i], offset)
		}
		g, next, err := decodeGroup(value, offset)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		offset = next
		if string(g.room) != tt.name || g.last() != spans[i].last {
			t.Errorf("%s: group of room %q up to %d, want up to %d", tt.name, g.room, g.last(), spans[i].last)
		}
		want := make([]store.Entry, len(tt.entries))
		for k, e := range tt.entries {
			want[k] = store.Entry{Seq: tt.lastSeq + uint64(k) + 1, Update: e.Update, Time: e.Time.Truncate(time.Microsecond), Session: e.Session}
		}
		for _, after := range []uint64{0, tt.lastSeq, tt.lastSeq + 1, g.last()} {
			got, err := g.entries(after)
			if err != nil {
				t.Fatalf("%s: entries(%d): %v", tt.name, after, err)
			}
			wantAfter := want[min(after-min(after, tt.lastSeq), uint64(len(want))):]
			if diff := cmp.Diff(wantAfter, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("%s: entries(%d) mismatch (-want +got):\n%s", tt.name, after, diff)
			}
		}
	}
	if offset != len(value) {
		t.Errorf("the groups end at %d of %d bytes", offset, len(value))
	}
}

// TestRecordMergesBatches checks that two batches of one room in a commit make one group, their
// entries numbered on from the first batch's.
func TestRecordMergesBatches(t *testing.T) {
	rec := newRecordBuilder()
	a, b := &roomIndex{lastSeq: 3}, &roomIndex{}
	one := []store.Entry{{Update: []byte("x")}}
	got := []uint64{rec.add("a", a, one), rec.add("b", b, nil), rec.add("a", a, append(one, one...)), rec.add("b", b, one)}
	if diff := cmp.Diff([]uint64{4, 0, 6, 1}, got); diff != "" {
		t.Errorf("last seqs mismatch (-want +got):\n%s", diff)
	}
	if _, spans := rec.encode(); len(spans) != 2 || spans[0].room != a || spans[0].last != 6 || spans[1].room != b {
		t.Errorf("spans = %+v, want a's group up to 6, then b's", spans)
	}
}

// TestDecodeGroupCorrupt checks that damaged records are errors wrapping errCorrupt.
func TestDecodeGroupCorrupt(t *testing.T) {
	rec := newRecordBuilder()
	rec.add("room", &roomIndex{}, []store.Entry{{Update: []byte("update"), Session: "s"}, {Update: []byte("u")}})
	value, _ := rec.encode()
	tests := []struct {
		name  string
		value []byte
	}{
		{"empty", nil},
		{"cut in the header", value[:3]},
		{"cut in the body", value[:len(value)-1]},
		{"room length past the end", []byte{0x7f, 'r'}},
		{"seq 0", []byte{1, 'r', 0, 1, 3, 0, 0, 0}},
		{"no entries", []byte{1, 'r', 1, 0, 0}},
		{"more entries than bytes", []byte{1, 'r', 1, 2, 3, 0, 0, 0}},
		{"seqs past the last", []byte{1, 'r', 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 2, 8, 0, 0, 0, 0, 0, 0, 0, 0}},
		{"bad varint", []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
	}
	for _, tt := range tests {
		if _, _, err := decodeGroup(tt.value, 0); !errors.Is(err, errCorrupt) {
			t.Errorf("%s: decodeGroup err = %v, want errCorrupt", tt.name, err)
		}
	}
	bodies := []struct {
		name string
		body []byte
	}{
		{"update past the end", []byte{0, 0, 0, 9, 'x'}},
		{"session past the end", []byte{0, 9, 0, 0, 0}},
		{"author past the end", []byte{0, 0, 9, 0, 0}},
		{"bytes after the last entry", []byte{0, 0, 0, 0, 0}},
	}
	for _, tt := range bodies {
		g := group{room: []byte("r"), first: 1, count: 1, body: tt.body}
		if _, err := g.entries(0); !errors.Is(err, errCorrupt) {
			t.Errorf("%s: entries err = %v, want errCorrupt", tt.name, err)
		}
	}
}

// FuzzRecord decodes arbitrary bytes as a record: every group and its entries, or an error;
// never a panic.
func FuzzRecord(f *testing.F) {
	rec := newRecordBuilder()
	rec.add("a", &roomIndex{lastSeq: 5}, []store.Entry{{Update: []byte("x"), Time: time.Now(), Session: "s"}, {Update: nil}})
	rec.add("b", &roomIndex{}, []store.Entry{{Update: bytes.Repeat([]byte{1}, 300), Session: "t"}})
	value, _ := rec.encode()
	f.Add(value)
	f.Add(value[:len(value)/2])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, value []byte) {
		for offset := 0; offset < len(value); {
			g, next, err := decodeGroup(value, offset)
			if err != nil {
				return
			}
			if next <= offset || next > len(value) {
				t.Fatalf("group at %d: next offset %d of %d", offset, next, len(value))
			}
			entries, err := g.entries(0)
			if err == nil && uint64(len(entries)) != g.count {
				t.Fatalf("group at %d: %d entries, header says %d", offset, len(entries), g.count)
			}
			offset = next
		}
	})
}
