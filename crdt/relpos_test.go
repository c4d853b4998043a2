package crdt

import (
	"bytes"
	"errors"
	"testing"
)

func TestRelativePositionFollowsEdits(t *testing.T) {
	doc, _ := NewDoc(Options{ClientID: 7})
	text, _ := doc.GetText("code")
	mustTransact(t, doc, func(tx *Transaction) error { return text.Insert(tx, 0, "hello world") })
	before := text.RelativePosition(6, 0) // at "w"
	after := text.RelativePosition(5, -1) // right after "hello"
	end := text.RelativePosition(11, 0)
	mustTransact(t, doc, func(tx *Transaction) error {
		return errors.Join(
			text.Insert(tx, 0, ">> "),   // shifts everything by 3
			text.Delete(tx, 8, 1),       // deletes the space between the words
			text.Insert(tx, 8, "_big_"), // inserted at the old position of the space
		)
	})
	if got, want := text.String(), ">> hello_big_world"; got != want {
		t.Fatalf("text = %q, want %q", got, want)
	}
	for _, tc := range []struct {
		name string
		rp   RelativePosition
		want int
	}{
		{"sticks to w", before, 13},
		{"sticks after hello", after, 8},
		{"end of text", end, 18},
	} {
		_, got, ok := doc.AbsolutePosition(tc.rp)
		if !ok || got != tc.want {
			t.Errorf("%s: AbsolutePosition = %d, %v; want %d", tc.name, got, ok, tc.want)
		}
		decoded, err := DecodeRelativePosition(EncodeRelativePosition(tc.rp))
		if err != nil {
			t.Fatalf("%s: decode: %v", tc.name, err)
		}
		if _, got, _ := doc.AbsolutePosition(decoded); got != tc.want {
			t.Errorf("%s: after an encoding round trip: %d, want %d", tc.name, got, tc.want)
		}
	}
}

// The encodings below were produced by Y.encodeRelativePosition in yjs 13.6.33.
func TestRelativePositionEncoding(t *testing.T) {
	for _, tc := range []struct {
		rp   RelativePosition
		want []byte
	}{
		{RelativePosition{Item: &ID{7, 6}}, []byte{0, 7, 6, 0}},
		{RelativePosition{Item: &ID{7, 4}, Assoc: -1}, []byte{0, 7, 4, 0x41}},
		{RelativePosition{TypeName: "code"}, []byte{1, 4, 'c', 'o', 'd', 'e', 0}},
	} {
		if got := EncodeRelativePosition(tc.rp); !bytes.Equal(got, tc.want) {
			t.Errorf("EncodeRelativePosition(%+v) mismatch (-want +got):\n-%v\n+%v", tc.rp, tc.want, got)
		}
	}
}
