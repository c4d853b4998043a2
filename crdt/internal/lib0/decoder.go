package lib0

import (
	"encoding/binary"
	"math"
	"unicode/utf8"
)

// Decoder reads lib0-encoded values from a byte slice. Errors are sticky: after the first
// failure every read returns a zero value and Err reports the failure.
type Decoder struct {
	buf []byte
	pos int
	err error
}

// NewDecoder returns a Decoder reading buf. The decoder never modifies buf; strings it returns
// are copies, byte slices returned by ReadVarUint8Array alias buf.
func NewDecoder(buf []byte) *Decoder { return &Decoder{buf: buf} }

// Reset makes d read buf from the start and clears any error.
func (d *Decoder) Reset(buf []byte) { *d = Decoder{buf: buf} }

// Err returns the first error the decoder met, as a *DecodeError, or nil.
func (d *Decoder) Err() error { return d.err }

// Pos returns the offset of the next byte to read.
func (d *Decoder) Pos() int { return d.pos }

// Remaining returns how many bytes are left to read.
func (d *Decoder) Remaining() int { return len(d.buf) - d.pos }

// HasContent reports whether bytes remain and no error occurred.
func (d *Decoder) HasContent() bool { return d.err == nil && d.pos < len(d.buf) }

// Fail records err at the current offset unless an error is already recorded.
func (d *Decoder) Fail(err error) {
	if d.err == nil {
		d.err = &DecodeError{Offset: d.pos, Err: err}
	}
}

// ReadUint8 reads one byte.
func (d *Decoder) ReadUint8() uint8 {
	if d.pos < len(d.buf) {
		d.pos++
		return d.buf[d.pos-1]
	}
	d.Fail(ErrUnexpectedEOF)
	return 0
}

// ReadVarUint reads a var-uint and rejects values above MaxSafeInteger.
func (d *Decoder) ReadVarUint() uint64 {
	// Small enough to inline: one-byte values are the most common.
	if d.pos < len(d.buf) && d.buf[d.pos] < 0x80 {
		d.pos++
		return uint64(d.buf[d.pos-1])
	}
	return d.readVarUintSlow()
}

func (d *Decoder) readVarUintSlow() uint64 {
	// Two and three bytes cover clocks and lengths up to 2^21 without the general loop.
	if b := d.buf[d.pos:]; len(b) >= 3 {
		if b[1] < 0x80 {
			d.pos += 2
			return uint64(b[0]&0x7f) | uint64(b[1])<<7
		}
		if b[2] < 0x80 {
			d.pos += 3
			return uint64(b[0]&0x7f) | uint64(b[1]&0x7f)<<7 | uint64(b[2])<<14
		}
	}
	var n uint64
	for shift := uint(0); ; shift += 7 {
		if d.pos >= len(d.buf) {
			d.Fail(ErrUnexpectedEOF)
			return 0
		}
		b := d.buf[d.pos]
		d.pos++
		if shift >= 56 {
			d.Fail(ErrIntegerOverflow)
			return 0
		}
		n |= uint64(b&0x7f) << shift
		if n > MaxSafeInteger {
			d.Fail(ErrIntegerOverflow)
			return 0
		}
		if b < 0x80 {
			return n
		}
	}
}

// ReadVarInt reads a var-int, returning its magnitude and sign (negative is true for -0 too).
func (d *Decoder) ReadVarInt() (magnitude uint64, negative bool) {
	if d.pos >= len(d.buf) {
		d.Fail(ErrUnexpectedEOF)
		return 0, false
	}
	b := d.buf[d.pos]
	d.pos++
	n := uint64(b & 0x3f)
	negative = b&0x40 != 0
	if b < 0x80 {
		return n, negative
	}
	for shift := uint(6); ; shift += 7 {
		if d.pos >= len(d.buf) {
			d.Fail(ErrUnexpectedEOF)
			return 0, false
		}
		b = d.buf[d.pos]
		d.pos++
		if shift >= 56 {
			d.Fail(ErrIntegerOverflow)
			return 0, false
		}
		n |= uint64(b&0x7f) << shift
		if n > MaxSafeInteger {
			d.Fail(ErrIntegerOverflow)
			return 0, false
		}
		if b < 0x80 {
			return n, negative
		}
	}
}

// ReadVarUint8Array reads a length-prefixed byte array. The result aliases the input.
func (d *Decoder) ReadVarUint8Array() []byte {
	n := d.ReadVarUint()
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.buf)-d.pos) {
		d.Fail(ErrLengthBeyondInput)
		return nil
	}
	b := d.buf[d.pos : d.pos+int(n) : d.pos+int(n)]
	d.pos += int(n)
	return b
}

// ReadVarStringBytes reads a length-prefixed UTF-8 string without copying it; it fails on
// invalid UTF-8 as lib0's fatal TextDecoder does. The result aliases the input.
func (d *Decoder) ReadVarStringBytes() []byte {
	b := d.ReadVarUint8Array()
	if d.err == nil && !utf8.Valid(b) {
		d.Fail(ErrInvalidUTF8)
		return nil
	}
	return b
}

// ReadVarString reads a length-prefixed UTF-8 string.
func (d *Decoder) ReadVarString() string { return string(d.ReadVarStringBytes()) }

// ReadRaw reads n bytes without a length prefix. The result aliases the input.
func (d *Decoder) ReadRaw(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || n > len(d.buf)-d.pos {
		d.Fail(ErrUnexpectedEOF)
		return nil
	}
	b := d.buf[d.pos : d.pos+n : d.pos+n]
	d.pos += n
	return b
}

// ReadFloat32 reads a big-endian float32.
func (d *Decoder) ReadFloat32() float32 {
	b := d.ReadRaw(4)
	if b == nil {
		return 0
	}
	return math.Float32frombits(binary.BigEndian.Uint32(b))
}

// ReadFloat64 reads a big-endian float64.
func (d *Decoder) ReadFloat64() float64 {
	b := d.ReadRaw(8)
	if b == nil {
		return 0
	}
	return math.Float64frombits(binary.BigEndian.Uint64(b))
}

// ReadBigInt64 reads a big-endian int64.
func (d *Decoder) ReadBigInt64() int64 {
	b := d.ReadRaw(8)
	if b == nil {
		return 0
	}
	return int64(binary.BigEndian.Uint64(b))
}

// ReadSpan reads a length-prefixed byte array and returns where its bytes lie in the input,
// without copying or allocating.
func (d *Decoder) ReadSpan() (start, end int) {
	n := d.ReadVarUint()
	if d.err != nil {
		return 0, 0
	}
	if n > uint64(len(d.buf)-d.pos) {
		d.Fail(ErrLengthBeyondInput)
		return 0, 0
	}
	start = d.pos
	d.pos += int(n)
	return start, d.pos
}

// Bytes returns the input between two offsets, such as those ReadSpan returns.
func (d *Decoder) Bytes(start, end int) []byte { return d.buf[start:end:end] }

// SkipAny reads past a value in the "any" encoding, checking it as ReadAny would, without
// building it.
func (d *Decoder) SkipAny() { d.skipAny(0) }

func (d *Decoder) skipAny(depth int) {
	if depth > MaxAnyDepth {
		d.Fail(ErrTooDeep)
		return
	}
	tag := d.ReadUint8()
	if d.err != nil {
		return
	}
	switch tag {
	case TagUndefined, TagNull, TagFalse, TagTrue:
	case TagInteger:
		d.ReadVarInt()
	case TagFloat32:
		d.ReadRaw(4)
	case TagFloat64, TagBigInt:
		d.ReadRaw(8)
	case TagString:
		d.ReadVarStringBytes()
	case TagObject:
		n := d.ReadVarUint()
		for i := uint64(0); i < n && d.err == nil; i++ {
			d.ReadVarStringBytes()
			d.skipAny(depth + 1)
		}
	case TagArray:
		n := d.ReadVarUint()
		for i := uint64(0); i < n && d.err == nil; i++ {
			d.skipAny(depth + 1)
		}
	case TagUint8Array:
		d.ReadSpan()
	default:
		d.pos--
		d.Fail(ErrUnknownAnyTag)
	}
}
