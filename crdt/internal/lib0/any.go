package lib0

import (
	"fmt"
	"math"
	"sort"
	"strconv"
)

// Undefined is JavaScript's undefined, which lib0's "any" encoding distinguishes from null.
type Undefined struct{}

// BigInt is a JavaScript bigint, encoded by lib0 as a big-endian int64.
type BigInt int64

// Field is one property of an Object.
type Field struct {
	Key   string
	Value any
}

// Object is a JavaScript object with its properties in JavaScript's enumeration order:
// array-index keys ascending, then the other keys in insertion order.
type Object []Field

// Get returns the value of key and whether it is present.
func (o Object) Get(key string) (any, bool) {
	for _, f := range o {
		if f.Key == key {
			return f.Value, true
		}
	}
	return nil, false
}

// Set assigns key as a JavaScript property assignment would, keeping enumeration order.
func (o Object) Set(key string, value any) Object {
	for i := range o {
		if o[i].Key == key {
			o[i].Value = value
			return o
		}
	}
	if idx, ok := arrayIndex(key); ok {
		// Index keys come first, ascending.
		at := sort.Search(len(o), func(i int) bool {
			j, isIndex := arrayIndex(o[i].Key)
			return !isIndex || j > idx
		})
		o = append(o, Field{})
		copy(o[at+1:], o[at:])
		o[at] = Field{Key: key, Value: value}
		return o
	}
	return append(o, Field{Key: key, Value: value})
}

// arrayIndex reports whether key is a canonical array index ("0" to "4294967294").
func arrayIndex(key string) (uint64, bool) {
	if key == "" || len(key) > 10 || (len(key) > 1 && key[0] == '0') {
		return 0, false
	}
	n, err := strconv.ParseUint(key, 10, 64)
	if err != nil || n >= math.MaxUint32 {
		return 0, false
	}
	return n, true
}

// WriteAny appends v in the "any" encoding. It accepts nil (null), Undefined, bool, string,
// every Go integer and float type (written as a JavaScript number), BigInt, []byte, []any,
// []string, Object, map[string]any and map[string]string (keys in JavaScript order, the
// non-index keys sorted). Any other type is an error.
func (e *Encoder) WriteAny(v any) error {
	switch v := v.(type) {
	case nil:
		e.WriteUint8(TagNull)
	case Undefined:
		e.WriteUint8(TagUndefined)
	case bool:
		if v {
			e.WriteUint8(TagTrue)
		} else {
			e.WriteUint8(TagFalse)
		}
	case string:
		e.WriteUint8(TagString)
		e.WriteVarString(v)
	case float64:
		e.WriteNumber(v)
	case float32:
		e.WriteNumber(float64(v))
	case int:
		e.WriteNumber(float64(v))
	case int8:
		e.WriteNumber(float64(v))
	case int16:
		e.WriteNumber(float64(v))
	case int32:
		e.WriteNumber(float64(v))
	case int64:
		e.WriteNumber(float64(v))
	case uint:
		e.WriteNumber(float64(v))
	case uint8:
		e.WriteNumber(float64(v))
	case uint16:
		e.WriteNumber(float64(v))
	case uint32:
		e.WriteNumber(float64(v))
	case uint64:
		e.WriteNumber(float64(v))
	case BigInt:
		e.WriteUint8(TagBigInt)
		e.WriteBigInt64(int64(v))
	case []byte:
		e.WriteUint8(TagUint8Array)
		e.WriteVarUint8Array(v)
	case []any:
		e.WriteUint8(TagArray)
		e.WriteVarUint(uint64(len(v)))
		for _, x := range v {
			if err := e.WriteAny(x); err != nil {
				return err
			}
		}
	case []string:
		e.WriteUint8(TagArray)
		e.WriteVarUint(uint64(len(v)))
		for _, x := range v {
			e.WriteUint8(TagString)
			e.WriteVarString(x)
		}
	case Object:
		return e.writeObject(v)
	case map[string]any:
		return e.writeObject(objectFromMap(v))
	case map[string]string:
		m := make(map[string]any, len(v))
		for k, x := range v {
			m[k] = x
		}
		return e.writeObject(objectFromMap(m))
	default:
		return fmt.Errorf("lib0: cannot encode %T as any", v)
	}
	return nil
}

func (e *Encoder) writeObject(o Object) error {
	e.WriteUint8(TagObject)
	e.WriteVarUint(uint64(len(o)))
	for _, f := range o {
		e.WriteVarString(f.Key)
		if err := e.WriteAny(f.Value); err != nil {
			return err
		}
	}
	return nil
}

// objectFromMap orders a Go map's keys as JavaScript would enumerate them had they been
// inserted in sorted order.
func objectFromMap(m map[string]any) Object {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	o := make(Object, 0, len(keys))
	for _, k := range keys {
		o = append(o, Field{Key: k, Value: m[k]})
	}
	sortIndexKeysFirst(o)
	return o
}

// WriteNumber appends a JavaScript number as lib0 does: integers up to 31 bits as var-int,
// values a float32 holds exactly as float32, the rest as float64.
func (e *Encoder) WriteNumber(f float64) {
	switch {
	case f == math.Trunc(f) && math.Abs(f) <= math.MaxInt32:
		e.WriteUint8(TagInteger)
		e.WriteVarInt(uint64(math.Abs(f)), math.Signbit(f))
	case float64(float32(f)) == f:
		e.WriteUint8(TagFloat32)
		e.WriteFloat32(float32(f))
	default:
		e.WriteUint8(TagFloat64)
		e.WriteFloat64(f)
	}
}

// ReadAny reads a value in the "any" encoding. Numbers become float64, bigints BigInt, objects
// Object, arrays []any, byte arrays []byte (aliasing the input), null nil and undefined Undefined.
func (d *Decoder) ReadAny() any { return d.readAny(0) }

func (d *Decoder) readAny(depth int) any {
	if depth > MaxAnyDepth {
		d.Fail(ErrTooDeep)
		return nil
	}
	tag := d.ReadUint8()
	if d.err != nil {
		return nil
	}
	switch tag {
	case TagUndefined:
		return Undefined{}
	case TagNull:
		return nil
	case TagInteger:
		m, neg := d.ReadVarInt()
		f := float64(m)
		if neg {
			f = -f
		}
		return f
	case TagFloat32:
		return float64(d.ReadFloat32())
	case TagFloat64:
		return d.ReadFloat64()
	case TagBigInt:
		return BigInt(d.ReadBigInt64())
	case TagFalse:
		return false
	case TagTrue:
		return true
	case TagString:
		return d.ReadVarString()
	case TagObject:
		return d.readObject(depth)
	case TagArray:
		n := d.ReadVarUint()
		if d.err != nil {
			return nil
		}
		// Every element takes at least one byte: never allocate beyond what remains.
		arr := make([]any, 0, min(n, uint64(d.Remaining())))
		for i := uint64(0); i < n && d.err == nil; i++ {
			arr = append(arr, d.readAny(depth+1))
		}
		return arr
	case TagUint8Array:
		return d.ReadVarUint8Array()
	default:
		d.pos--
		d.Fail(ErrUnknownAnyTag)
		return nil
	}
}

// readObject builds an object as lib0 does, by assigning each decoded property in turn.
func (d *Decoder) readObject(depth int) any {
	n := d.ReadVarUint()
	o := Object{}
	var seen map[string]int
	hasIndexKeys := false
	for i := uint64(0); i < n && d.err == nil; i++ {
		key := d.ReadVarString()
		value := d.readAny(depth + 1)
		if d.err != nil {
			return nil
		}
		// Assigning "__proto__" sets the prototype: it never becomes an own, enumerable property.
		if key == "__proto__" {
			continue
		}
		if seen == nil {
			seen = make(map[string]int)
		}
		if at, ok := seen[key]; ok {
			o[at].Value = value
			continue
		}
		seen[key] = len(o)
		o = append(o, Field{Key: key, Value: value})
		if _, ok := arrayIndex(key); ok {
			hasIndexKeys = true
		}
	}
	if hasIndexKeys {
		sortIndexKeysFirst(o)
	}
	return o
}

// sortIndexKeysFirst puts array-index keys first, ascending, keeping the order of the others.
func sortIndexKeysFirst(o Object) {
	sort.SliceStable(o, func(i, j int) bool {
		a, aIndex := arrayIndex(o[i].Key)
		b, bIndex := arrayIndex(o[j].Key)
		if aIndex && bIndex {
			return a < b
		}
		return aIndex && !bIndex
	})
}
