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
		d.Fail(ErrUnexpectedEOF)
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
