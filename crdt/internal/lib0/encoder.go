package lib0

import (
	"encoding/binary"
	"math"
)

// Encoder appends lib0-encoded values to a byte slice. The zero value is ready to use.
type Encoder struct {
	Buf []byte
}

// Bytes returns the encoded bytes. The slice aliases the encoder's buffer.
func (e *Encoder) Bytes() []byte { return e.Buf }

// Len returns the number of bytes written so far.
func (e *Encoder) Len() int { return len(e.Buf) }

// WriteByte appends one byte. It never fails; the error is there to satisfy io.ByteWriter.
func (e *Encoder) WriteByte(b byte) error {
	e.Buf = append(e.Buf, b)
	return nil
}

// WriteUint8 appends one byte.
func (e *Encoder) WriteUint8(b uint8) { e.Buf = append(e.Buf, b) }

// WriteVarUint appends n as a variable-length unsigned integer (7 bits a byte, low first).
func (e *Encoder) WriteVarUint(n uint64) { e.Buf = AppendVarUint(e.Buf, n) }

// AppendVarUint appends n as a var-uint to b.
func AppendVarUint(b []byte, n uint64) []byte {
	for n > 0x7f {
		b = append(b, 0x80|byte(n&0x7f))
		n >>= 7
	}
	return append(b, byte(n))
}

// WriteVarInt appends n as a variable-length signed integer: the first byte holds a continuation
// bit, a sign bit and 6 bits of magnitude. negative is true for negative numbers and for -0.
func (e *Encoder) WriteVarInt(magnitude uint64, negative bool) {
	first := byte(magnitude & 0x3f)
	if negative {
		first |= 0x40
	}
	if magnitude > 0x3f {
		first |= 0x80
	}
	e.Buf = append(e.Buf, first)
	magnitude >>= 6
	for magnitude > 0 {
		b := byte(magnitude & 0x7f)
		if magnitude > 0x7f {
			b |= 0x80
		}
		e.Buf = append(e.Buf, b)
		magnitude >>= 7
	}
}

// WriteVarString appends a length-prefixed UTF-8 string.
func (e *Encoder) WriteVarString(s string) {
	e.Buf = AppendVarUint(e.Buf, uint64(len(s)))
	e.Buf = append(e.Buf, s...)
}

// WriteVarStringBytes appends a length-prefixed UTF-8 string given as bytes.
func (e *Encoder) WriteVarStringBytes(s []byte) {
	e.Buf = AppendVarUint(e.Buf, uint64(len(s)))
	e.Buf = append(e.Buf, s...)
}

// WriteVarUint8Array appends a length-prefixed byte array.
func (e *Encoder) WriteVarUint8Array(b []byte) { e.WriteVarStringBytes(b) }

// WriteRaw appends bytes as they are, without a length prefix.
func (e *Encoder) WriteRaw(b []byte) { e.Buf = append(e.Buf, b...) }

// WriteFloat32 appends a big-endian float32.
func (e *Encoder) WriteFloat32(f float32) {
	e.Buf = binary.BigEndian.AppendUint32(e.Buf, math.Float32bits(f))
}

// WriteFloat64 appends a big-endian float64.
func (e *Encoder) WriteFloat64(f float64) {
	e.Buf = binary.BigEndian.AppendUint64(e.Buf, math.Float64bits(f))
}

// WriteBigInt64 appends a big-endian int64.
func (e *Encoder) WriteBigInt64(n int64) {
	e.Buf = binary.BigEndian.AppendUint64(e.Buf, uint64(n))
}

// AppendVarString appends a length-prefixed UTF-8 string to b.
func AppendVarString(b []byte, s string) []byte {
	return append(AppendVarUint(b, uint64(len(s))), s...)
}

// AppendVarBytes appends a length-prefixed byte array (or UTF-8 string given as bytes) to b.
func AppendVarBytes(b []byte, s []byte) []byte {
	return append(AppendVarUint(b, uint64(len(s))), s...)
}

// AppendAny appends v in the "any" encoding to b; see Encoder.WriteAny.
func AppendAny(b []byte, v any) ([]byte, error) {
	e := Encoder{Buf: b}
	err := e.WriteAny(v)
	return e.Buf, err
}
