package lib0

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzReadAny checks that ReadAny returns a value or an error, never panics, and that what it
// decodes re-encodes to bytes that decode to the same value, and re-encode to themselves.
func FuzzReadAny(f *testing.F) {
	for _, x := range readAnyFixtures(f).Any {
		f.Add(x.Bytes)
	}
	for _, seed := range [][]byte{
		{},
		{0},
		{TagInteger},
		{TagArray, 0xff, 0xff, 0xff, 0xff, 0x0f, TagNull},
		{TagObject, 2, 1, '1', TagNull, 1, '0', TagTrue},
		{TagObject, 1, 9, '_', '_', 'p', 'r', 'o', 't', 'o', '_', '_', TagNull},
		{TagString, 1, 0xff},
		{TagFloat32, 0x7f, 0x80, 0, 1},
		nested(MaxAnyDepth + 1),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		d := NewDecoder(b)
		v := d.ReadAny()
		if d.Err() != nil {
			return
		}
		var e Encoder
		if err := e.WriteAny(v); err != nil {
			t.Fatalf("WriteAny of a decoded %T: %v", v, err)
		}
		d2 := NewDecoder(e.Bytes())
		v2 := d2.ReadAny()
		if err := d2.Err(); err != nil {
			t.Fatalf("decoding the re-encoding %x: %v", e.Bytes(), err)
		}
		if d2.Remaining() != 0 {
			t.Fatalf("the re-encoding has %d bytes left over", d2.Remaining())
		}
		if !sameValue(v, v2) {
			t.Fatalf("round trip mismatch (-first +second):\n%s", cmp.Diff(v, v2, exactFloats))
		}
		var e2 Encoder
		if err := e2.WriteAny(v2); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(e.Bytes(), e2.Bytes()) {
			t.Fatalf("re-encoding is not stable (-first +second):\n%s", cmp.Diff(e.Bytes(), e2.Bytes()))
		}
	})
}
