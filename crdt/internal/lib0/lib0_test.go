package lib0

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// anyFixturePath is made by testdata/yjs/lib0-fixtures.mjs with the real lib0; regenerate it
// with `node lib0-fixtures.mjs` there. The script describes its fields.
var anyFixturePath = filepath.Join("..", "..", "..", "testdata", "yjs", "lib0", "any.json")

type anyFixtures struct {
	Any []struct {
		Name      string
		Bytes     []byte
		Value     tagged
		Reencoded []byte
	}
	VarUint []struct {
		Value uint64
		Bytes []byte
	}
	VarInt []struct {
		Value string
		Bytes []byte
	}
}

// tagged is a JavaScript value as lib0-fixtures.mjs writes it: one field is set.
type tagged struct {
	Undefined bool
	Null      bool
	Number    *string
	BigInt    *string `json:"bigint"`
	String    *string
	Bool      *bool
	Bytes     *string
	Array     *[]tagged
	Object    *[][2]json.RawMessage
}

// value returns the Go value ReadAny should decode t to.
func (t tagged) value(tb testing.TB) any {
	tb.Helper()
	switch {
	case t.Undefined:
		return Undefined{}
	case t.Null:
		return nil
	case t.Number != nil:
		f, err := strconv.ParseFloat(*t.Number, 64)
		if err != nil {
			tb.Fatalf("number %q: %v", *t.Number, err)
		}
		return f
	case t.BigInt != nil:
		n, err := strconv.ParseInt(*t.BigInt, 10, 64)
		if err != nil {
			tb.Fatalf("bigint %q: %v", *t.BigInt, err)
		}
		return BigInt(n)
	case t.String != nil:
		return *t.String
	case t.Bool != nil:
		return *t.Bool
	case t.Bytes != nil:
		b, err := base64.StdEncoding.DecodeString(*t.Bytes)
		if err != nil {
			tb.Fatal(err)
		}
		return b
	case t.Array != nil:
		arr := []any{}
		for _, x := range *t.Array {
			arr = append(arr, x.value(tb))
		}
		return arr
	case t.Object != nil:
		o := Object{}
		for _, kv := range *t.Object {
			var key string
			var v tagged
			if err := json.Unmarshal(kv[0], &key); err != nil {
				tb.Fatal(err)
			}
			if err := json.Unmarshal(kv[1], &v); err != nil {
				tb.Fatal(err)
			}
			o = append(o, Field{Key: key, Value: v.value(tb)})
		}
		return o
	}
	tb.Fatalf("empty tagged value")
	return nil
}

func readAnyFixtures(tb testing.TB) anyFixtures {
	tb.Helper()
	b, err := os.ReadFile(anyFixturePath)
	if err != nil {
		tb.Fatalf("reading fixture: %v", err)
	}
	var fx anyFixtures
	if err := json.Unmarshal(b, &fx); err != nil {
		tb.Fatalf("parsing fixture: %v", err)
	}
	return fx
}

// sameFloat compares numbers as JavaScript's Object.is does: -0 differs from 0, NaN equals NaN.
func sameFloat(a, b float64) bool {
	return math.Float64bits(a) == math.Float64bits(b) || (math.IsNaN(a) && math.IsNaN(b))
}

// exactFloats makes cmp compare numbers with sameFloat.
var exactFloats = cmp.Comparer(sameFloat)

// sameValue reports whether two decoded values are equal, numbers compared with sameFloat.
// cmp.Diff takes time exponential in the nesting depth of []any, so it only explains a
// mismatch sameValue found.
func sameValue(a, b any) bool {
	switch a := a.(type) {
	case float64:
		b, ok := b.(float64)
		return ok && sameFloat(a, b)
	case []byte:
		b, ok := b.([]byte)
		return ok && string(a) == string(b)
	case []any:
		b, ok := b.([]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for i := range a {
			if !sameValue(a[i], b[i]) {
				return false
			}
		}
		return true
	case Object:
		b, ok := b.(Object)
		if !ok || len(a) != len(b) {
			return false
		}
		for i := range a {
			if a[i].Key != b[i].Key || !sameValue(a[i].Value, b[i].Value) {
				return false
			}
		}
		return true
	default: // nil, Undefined, bool, string, BigInt
		return a == b
	}
}

func TestAnyFixtures(t *testing.T) {
	fx := readAnyFixtures(t)
	if len(fx.Any) == 0 {
		t.Fatal("no fixtures")
	}
	for _, f := range fx.Any {
		t.Run(f.Name, func(t *testing.T) {
			d := NewDecoder(f.Bytes)
			got := d.ReadAny()
			if err := d.Err(); err != nil {
				t.Fatalf("ReadAny: %v", err)
			}
			if d.Remaining() != 0 {
				t.Errorf("ReadAny left %d bytes", d.Remaining())
			}
			if want := f.Value.value(t); !sameValue(want, got) {
				t.Errorf("ReadAny mismatch (-want +got):\n%s", cmp.Diff(want, got, exactFloats))
			}
			var e Encoder
			if err := e.WriteAny(got); err != nil {
				t.Fatalf("WriteAny: %v", err)
			}
			if diff := cmp.Diff(f.Reencoded, e.Bytes()); diff != "" {
				t.Errorf("WriteAny mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestVarUintFixtures(t *testing.T) {
	for _, f := range readAnyFixtures(t).VarUint {
		var e Encoder
		e.WriteVarUint(f.Value)
		if diff := cmp.Diff(f.Bytes, e.Bytes()); diff != "" {
			t.Errorf("WriteVarUint(%d) mismatch (-want +got):\n%s", f.Value, diff)
		}
		d := NewDecoder(f.Bytes)
		if got := d.ReadVarUint(); got != f.Value || d.Err() != nil || d.Remaining() != 0 {
			t.Errorf("ReadVarUint(%x) = %d (err %v, %d left), want %d", f.Bytes, got, d.Err(), d.Remaining(), f.Value)
		}
	}
}

func TestVarIntFixtures(t *testing.T) {
	for _, f := range readAnyFixtures(t).VarInt {
		v, err := strconv.ParseFloat(f.Value, 64)
		if err != nil {
			t.Fatal(err)
		}
		mag, neg := uint64(math.Abs(v)), math.Signbit(v)
		var e Encoder
		e.WriteVarInt(mag, neg)
		if diff := cmp.Diff(f.Bytes, e.Bytes()); diff != "" {
			t.Errorf("WriteVarInt(%s) mismatch (-want +got):\n%s", f.Value, diff)
		}
		d := NewDecoder(f.Bytes)
		gotMag, gotNeg := d.ReadVarInt()
		if gotMag != mag || gotNeg != neg || d.Err() != nil || d.Remaining() != 0 {
			t.Errorf("ReadVarInt(%x) = %d, %v (err %v, %d left), want %d, %v", f.Bytes, gotMag, gotNeg, d.Err(), d.Remaining(), mag, neg)
		}
	}
}

func nested(depth int) []byte {
	b := make([]byte, 0, 2*depth+1)
	for range depth {
		b = append(b, TagArray, 1)
	}
	return append(b, TagNull)
}

func TestReadAnyErrors(t *testing.T) {
	tests := []struct {
		name       string
		in         []byte
		wantErr    error
		wantOffset int
	}{
		{name: "empty", in: nil, wantErr: ErrUnexpectedEOF},
		{name: "tag below the range", in: []byte{115}, wantErr: ErrUnknownAnyTag},
		{name: "tag zero", in: []byte{0}, wantErr: ErrUnknownAnyTag},
		{name: "tag above the range", in: []byte{128}, wantErr: ErrUnknownAnyTag},
		{name: "unknown tag inside an array", in: []byte{TagArray, 2, TagNull, 200}, wantErr: ErrUnknownAnyTag, wantOffset: 3},
		// lib0's JavaScript readVarInt returns 0 here, reading past the end.
		{name: "integer without its var-int", in: []byte{TagInteger}, wantErr: ErrUnexpectedEOF, wantOffset: 1},
		{name: "truncated float64", in: []byte{TagFloat64, 0, 0, 0}, wantErr: ErrUnexpectedEOF, wantOffset: 1},
		{name: "truncated bigint", in: []byte{TagBigInt, 0}, wantErr: ErrUnexpectedEOF, wantOffset: 1},
		{name: "string longer than the input", in: []byte{TagString, 3, 'a'}, wantErr: ErrLengthBeyondInput, wantOffset: 2},
		{name: "byte array longer than the input", in: []byte{TagUint8Array, 2, 0}, wantErr: ErrLengthBeyondInput, wantOffset: 2},
		{name: "string not UTF-8", in: []byte{TagString, 1, 0xff}, wantErr: ErrInvalidUTF8, wantOffset: 3},
		{name: "surrogate in UTF-8", in: []byte{TagString, 3, 0xed, 0xa0, 0x80}, wantErr: ErrInvalidUTF8, wantOffset: 5},
		{name: "object key not UTF-8", in: []byte{TagObject, 1, 1, 0xc0, TagNull}, wantErr: ErrInvalidUTF8, wantOffset: 4},
		{name: "object missing a value", in: []byte{TagObject, 1, 1, 'a'}, wantErr: ErrUnexpectedEOF, wantOffset: 4},
		{name: "array count beyond the input", in: []byte{TagArray, 0xff, 0xff, 0xff, 0xff, 0x0f, TagNull}, wantErr: ErrUnexpectedEOF, wantOffset: 7},
		{name: "var-uint above 2^53-1", in: []byte{TagArray, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10}, wantErr: ErrIntegerOverflow, wantOffset: 9},
		{name: "var-uint of ten bytes", in: []byte{TagArray, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0}, wantErr: ErrIntegerOverflow, wantOffset: 10},
		{name: "var-int above 2^53-1", in: []byte{TagInteger, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}, wantErr: ErrIntegerOverflow, wantOffset: 9},
		{name: "nested too deeply", in: nested(MaxAnyDepth + 1), wantErr: ErrTooDeep, wantOffset: 2 * (MaxAnyDepth + 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := NewDecoder(tt.in)
			d.ReadAny()
			err := d.Err()
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("ReadAny(%x) error = %v, want %v", tt.in, err, tt.wantErr)
			}
			var de *DecodeError
			if !errors.As(err, &de) || de.Offset != tt.wantOffset {
				t.Errorf("ReadAny(%x) error = %#v, want offset %d", tt.in, err, tt.wantOffset)
			}
		})
	}
}

func TestReadAnyDepthLimit(t *testing.T) {
	d := NewDecoder(nested(MaxAnyDepth))
	d.ReadAny()
	if err := d.Err(); err != nil {
		t.Errorf("ReadAny of %d nested arrays: %v", MaxAnyDepth, err)
	}
}

func TestWriteAnyGoTypes(t *testing.T) {
	tests := []struct {
		name string
		in   any
		want []byte
	}{
		{name: "int", in: 5, want: []byte{TagInteger, 5}},
		{name: "uint64 beyond 31 bits", in: uint64(1 << 32), want: []byte{TagFloat32, 0x4f, 0x80, 0, 0}},
		{name: "float32", in: float32(0.5), want: []byte{TagFloat32, 0x3f, 0, 0, 0}},
		{name: "negative zero", in: math.Copysign(0, -1), want: []byte{TagInteger, 0x40}},
		{name: "[]string", in: []string{"a"}, want: []byte{TagArray, 1, TagString, 1, 'a'}},
		{name: "map keys in JavaScript order", in: map[string]any{"b": true, "10": false, "2": nil, "a": Undefined{}},
			want: []byte{TagObject, 4, 1, '2', TagNull, 2, '1', '0', TagFalse, 1, 'a', TagUndefined, 1, 'b', TagTrue}},
		{name: "map[string]string", in: map[string]string{"k": "v"}, want: []byte{TagObject, 1, 1, 'k', TagString, 1, 'v'}},
		{name: "Object.Set orders index keys", in: Object{}.Set("b", 1).Set("10", 2).Set("2", 3).Set("b", 4),
			want: []byte{TagObject, 3, 1, '2', TagInteger, 3, 2, '1', '0', TagInteger, 2, 1, 'b', TagInteger, 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var e Encoder
			if err := e.WriteAny(tt.in); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, e.Bytes()); diff != "" {
				t.Errorf("WriteAny(%v) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
	var e Encoder
	if err := e.WriteAny(struct{}{}); err == nil {
		t.Errorf("WriteAny(struct{}{}) succeeded, want an error")
	}
}
