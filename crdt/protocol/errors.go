package protocol

import (
	"errors"
	"fmt"

	"github.com/pairpad/pairpad/crdt/internal/lib0"
)

var (
	// ErrUnexpectedEOF reports a message or awareness update that ends inside a value.
	ErrUnexpectedEOF = errors.New("protocol: unexpected end of message")
	// ErrIntegerOverflow reports a var-uint above 2^53-1, the largest that lib0 reads exactly.
	ErrIntegerOverflow = errors.New("protocol: integer out of range")
	// ErrInvalidUTF8 reports a string that is not valid UTF-8.
	ErrInvalidUTF8 = errors.New("protocol: invalid UTF-8 in string")
	// ErrUnknownMessageType reports a y-websocket message type other than the Message... constants.
	// y-websocket's server ignores such messages; a caller that wants to do the same checks for
	// this error with errors.Is.
	ErrUnknownMessageType = errors.New("protocol: unknown message type")
	// ErrUnknownSyncType reports a sync message whose sub-type is not a Sync... constant.
	ErrUnknownSyncType = errors.New("protocol: unknown sync message type")
	// ErrUnknownAuthType reports an auth message whose sub-type is not an Auth... constant.
	ErrUnknownAuthType = errors.New("protocol: unknown auth message type")
	// ErrInvalidState reports an awareness state that is not valid JSON.
	ErrInvalidState = errors.New("protocol: invalid awareness state JSON")
)

// DecodeError reports malformed input: Err is, or wraps, one of the package's Err... sentinels,
// and Offset is where in the input decoding stopped.
type DecodeError struct {
	Offset int
	Err    error
}

func (e *DecodeError) Error() string { return fmt.Sprintf("%v at offset %d", e.Err, e.Offset) }
func (e *DecodeError) Unwrap() error { return e.Err }

// decodeError turns the sticky error of a lib0 decoder into a *DecodeError with this package's
// sentinels, so that callers outside crdt never see lib0's internal error values.
func decodeError(d *lib0.Decoder) error {
	var le *lib0.DecodeError
	if !errors.As(d.Err(), &le) {
		return &DecodeError{Offset: d.Pos(), Err: d.Err()}
	}
	err := le.Err
	switch {
	case errors.Is(err, lib0.ErrUnexpectedEOF), errors.Is(err, lib0.ErrLengthBeyondInput):
		err = ErrUnexpectedEOF
	case errors.Is(err, lib0.ErrIntegerOverflow):
		err = ErrIntegerOverflow
	case errors.Is(err, lib0.ErrInvalidUTF8):
		err = ErrInvalidUTF8
	}
	return &DecodeError{Offset: le.Offset, Err: err}
}
