package crdt

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pairpad/pairpad/crdt/internal/lib0"
)

// checkDecodeError fails t unless err is a *DecodeError whose offset lies in an input of at most
// maxLen bytes and that shows nothing of the internal lib0 package (whose errors all say
// "lib0:").
func checkDecodeError(t *testing.T, err error, maxLen int) *DecodeError {
	t.Helper()
	var de *DecodeError
	if !errors.As(err, &de) || de.Offset < 0 || de.Offset > maxLen {
		t.Fatalf("error %v (%T) is not a *DecodeError with an offset in the input", err, err)
	}
	var le *lib0.DecodeError
	if errors.As(err, &le) || strings.Contains(err.Error(), "lib0") {
		t.Fatalf("error %q names the internal lib0 package", err)
	}
	return de
}

func TestDecodeErrors(t *testing.T) {
	valid := wire(1, 1, 1, 0, 4, 1, "t", "ab", 0)
	decode := func(b []byte) error { _, err := DecodeUpdate(b); return err }
	apply := func(b []byte) error {
		d, err := NewDoc(Options{})
		if err != nil {
			return err
		}
		return d.ApplyUpdate(b)
	}
	anyContent := wire(1, 1, 1, 0, 8, 1, "a", 1) // ContentAny of one value, in root a
	tooDeep := wire(anyContent, bytes.Repeat([]byte{lib0.TagArray, 1}, lib0.MaxAnyDepth+1), lib0.TagNull, 0)
	selfReference := wire(1, 1, 1, 5, 0x84, 1, 7, "x", 0) // 1:5 with origin 1:7
	type where struct {
		Input  string
		Offset int
	}
	tests := []struct {
		name    string
		op      func([]byte) error
		in      []byte
		wantErr error  // checked with errors.Is; nil for success
		want    where  // of the *DecodeError
		errText string // a substring of the error
	}{
		{"update/empty", decode, nil, ErrUnexpectedEOF, where{"update", 0}, "crdt: unexpected end of input in update at offset 0"},
		{"update/varUintCutShort", decode, []byte{0x80}, ErrUnexpectedEOF, where{"update", 1}, ""},
		{"update/clientsAbove2^53", decode, varUint(1 << 53), ErrIntegerOverflow, where{"update", 8}, "crdt: integer out of range"},
		{"update/structsBeyondInput", decode, wire(1, maxVarUint, 1, 0), ErrUnexpectedEOF, where{"update", 11}, ""},
		{"update/unknownKind", decode, wire(1, 1, 1, 0, 31, 0), ErrUnknownContent, where{"update", 5}, "crdt: unknown struct content kind 31 in update at offset 5"},
		{"update/stringBeyondInput", decode, wire(1, 1, 1, 0, 4, 1, "t", maxVarUint), ErrLengthBeyondInput, where{"update", 16}, ""},
		{"update/stringNotUTF8", apply, wire(1, 1, 1, 0, 4, 1, "t", 2, 0xc3, 0x28, 0), ErrInvalidUTF8, where{"update", 11}, ""},
		{"update/parentNameNotUTF8", decode, wire(1, 1, 1, 0, 4, 1, 1, 0xff, "x", 0), ErrInvalidUTF8, where{"update", 8}, ""},
		{"update/invalidJSON", apply, wire(1, 1, 1, 0, 2, 1, "a", 1, "{", 0), ErrInvalidJSON, where{"update", 11}, ""},
		{"update/unknownTypeRef", decode, wire(1, 1, 1, 0, 7, 1, "a", 99, 0), ErrUnknownTypeRef, where{"update", 9}, "reference 99"},
		{"update/emptyStruct", decode, wire(1, 1, 1, 0, 0, 0, 0), ErrEmptyStruct, where{"update", 6}, ""},
		{"update/clockBeyond2^53", decode, wire(1, 1, 1, maxVarUint, 0, 5, 0), ErrClockOverflow, where{"update", 13}, ""},
		{"update/unknownAnyTag", decode, wire(anyContent, 0, 0), ErrUnknownAnyTag, where{"update", 9}, ""},
		{"update/anyTooDeep", apply, tooDeep, ErrAnyTooDeep, where{"update", len(anyContent) + 2*(lib0.MaxAnyDepth+1)}, ""},
		{"update/deleteRangeBeyond2^53", decode, wire(0, 1, 1, 1, maxVarUint, 1), ErrClockOverflow, where{"update", 13}, ""},
		{"update/selfReference", apply, selfReference, ErrSelfReference, where{"update", 9}, "1:5 references 1:7 in update at offset 9"},
		{"update/selfReferenceDecodes", decode, selfReference, nil, where{}, ""},
		{"stateVector/cutShort", func(b []byte) error { _, err := DecodeStateVector(b); return err }, []byte{1, 1}, ErrUnexpectedEOF, where{"state vector", 2}, ""},
		{"deleteSet/rangesBeyondInput", func(b []byte) error { _, err := DecodeDeleteSet(b); return err }, wire(1, 1, maxVarUint), ErrUnexpectedEOF, where{"delete set", 10}, ""},
		{"relativePosition/unknownKind", func(b []byte) error { _, err := DecodeRelativePosition(b); return err }, []byte{3}, ErrInvalidRelativePosition, where{"relative position", 1}, "kind 3"},
		{"relativePosition/nameNotUTF8", func(b []byte) error { _, err := DecodeRelativePosition(b); return err }, []byte{1, 1, 0xff}, ErrInvalidUTF8, where{"relative position", 3}, ""},
		{"merge/secondUpdate", func(b []byte) error { _, err := MergeUpdates(valid, b); return err }, []byte{1}, ErrUnexpectedEOF, where{"updates[1]", 1}, "in updates[1] at offset 1"},
		{"diff/stateVector", func(b []byte) error { _, err := DiffUpdate(valid, b); return err }, []byte{1}, ErrUnexpectedEOF, where{"state vector", 1}, ""},
		{"diff/update", func(b []byte) error { _, err := DiffUpdate(b, []byte{0}); return err }, []byte{1}, ErrUnexpectedEOF, where{"update", 1}, ""},
		{"stateVectorFromUpdate", func(b []byte) error { _, err := EncodeStateVectorFromUpdate(b); return err }, []byte{1}, ErrUnexpectedEOF, where{"update", 1}, ""},
		{"encodeStateAsUpdate/stateVector", func(b []byte) error {
			d, err := NewDoc(Options{})
			if err != nil {
				return err
			}
			_, err = d.EncodeStateAsUpdate(b)
			return err
		}, []byte{1}, ErrUnexpectedEOF, where{"state vector", 1}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.op(tt.in)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("%x: %v", tt.in, err)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("%x: error = %v, want %v", tt.in, err, tt.wantErr)
			}
			de := checkDecodeError(t, err, len(tt.in))
			if diff := cmp.Diff(tt.want, where{de.Input, de.Offset}); diff != "" {
				t.Errorf("%x: error %q mismatch (-want +got):\n%s", tt.in, err, diff)
			}
			if !strings.Contains(err.Error(), tt.errText) {
				t.Errorf("%x: error %q does not contain %q", tt.in, err, tt.errText)
			}
		})
	}
}

func TestUpdateAddsStructs(t *testing.T) {
	doc, err := NewDoc(Options{ClientID: 1})
	if err != nil {
		t.Fatal(err)
	}
	text, _ := doc.GetText("code")
	insert, _ := doc.Transact(func(tx *Transaction) error { return text.Insert(tx, 0, "abc") })
	remove, _ := doc.Transact(func(tx *Transaction) error { return text.Delete(tx, 0, 2) })
	for name, tc := range map[string]struct {
		update []byte
		want   bool
	}{
		"an insertion":   {insert, true},
		"only deletions": {remove, false},
		"empty":          {nil, true},
		"truncated":      {[]byte{0x80}, true},
	} {
		if got := UpdateAddsStructs(tc.update); got != tc.want {
			t.Errorf("%s: UpdateAddsStructs = %v, want %v", name, got, tc.want)
		}
	}
}
