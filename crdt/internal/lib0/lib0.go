// Package lib0 implements the binary encoding of the lib0 JavaScript library that Yjs uses on the
// wire: variable-length unsigned and signed integers, length-prefixed strings and byte arrays,
// big-endian floats, and the self-describing "any" encoding.
//
// Values are JavaScript values: numbers are float64 (integers beyond 31 bits are written as
// float32 or float64 exactly as lib0 does), strings are UTF-8, objects keep their key order.
package lib0

import (
	"errors"
	"fmt"
)

// MaxSafeInteger is JavaScript's Number.MAX_SAFE_INTEGER, the largest var-uint lib0 reads.
const MaxSafeInteger = 1<<53 - 1

var (
	// ErrUnexpectedEOF reports input that ends inside a value.
	ErrUnexpectedEOF = errors.New("lib0: unexpected end of input")
	// ErrLengthBeyondInput reports a length prefix (of a string or byte array) that claims more
	// bytes than remain.
	ErrLengthBeyondInput = errors.New("lib0: length beyond the end of input")
	// ErrIntegerOverflow reports a variable-length integer above MaxSafeInteger.
	ErrIntegerOverflow = errors.New("lib0: integer out of range")
	// ErrInvalidUTF8 reports a string that is not valid UTF-8 (lib0 decodes strings fatally).
	ErrInvalidUTF8 = errors.New("lib0: invalid UTF-8 in string")
	// ErrUnknownAnyTag reports an "any" value with a tag lib0 does not define.
	ErrUnknownAnyTag = errors.New("lib0: unknown any tag")
	// ErrTooDeep reports "any" values nested deeper than MaxAnyDepth.
	ErrTooDeep = errors.New("lib0: any value nested too deeply")
)

// MaxAnyDepth bounds the nesting of decoded "any" arrays and objects so that hostile input
// cannot exhaust the stack.
const MaxAnyDepth = 512

// Tags of the "any" encoding.
const (
	TagUndefined  = 127
	TagNull       = 126
	TagInteger    = 125 // var-int
	TagFloat32    = 124
	TagFloat64    = 123
	TagBigInt     = 122 // big-endian int64
	TagFalse      = 121
	TagTrue       = 120
	TagString     = 119
	TagObject     = 118
	TagArray      = 117
	TagUint8Array = 116
)

// DecodeError wraps a decoding failure with the offset at which it happened.
type DecodeError struct {
	Offset int
	Err    error
}

func (e *DecodeError) Error() string { return fmt.Sprintf("%v at offset %d", e.Err, e.Offset) }
func (e *DecodeError) Unwrap() error { return e.Err }
