package crdt

import (
	"errors"
	"fmt"

	"github.com/pairpad/pairpad/crdt/internal/lib0"
)

// Errors of decoding. The decoders (DecodeUpdate, ApplyUpdate, DecodeStateVector,
// DecodeDeleteSet, DecodeRelativePosition, MergeUpdates, DiffUpdate,
// EncodeStateVectorFromUpdate and EncodeStateAsUpdate's state vector) return them in a
// *DecodeError; callers test for them with errors.Is.
var (
	// ErrUnexpectedEOF reports input that ends inside a value, or a count of values (structs,
	// clients, ranges) larger than what follows.
	ErrUnexpectedEOF = errors.New("crdt: unexpected end of input")
	// ErrLengthBeyondInput reports a length prefix of a string or byte array that claims more
	// bytes than remain.
	ErrLengthBeyondInput = errors.New("crdt: length beyond the end of input")
	// ErrIntegerOverflow reports a var-uint or var-int above 2^53-1, the largest that lib0 reads
	// exactly.
	ErrIntegerOverflow = errors.New("crdt: integer out of range")
	// ErrInvalidUTF8 reports a string that is not valid UTF-8 (lib0 decodes strings fatally).
	ErrInvalidUTF8 = errors.New("crdt: invalid UTF-8 in string")
	// ErrUnknownAnyTag reports a value in lib0's "any" encoding whose tag lib0 does not define.
	ErrUnknownAnyTag = errors.New("crdt: unknown any tag")
	// ErrAnyTooDeep reports "any" arrays and objects nested more than 512 levels deep.
	ErrAnyTooDeep = errors.New("crdt: any value nested too deeply")
	// ErrUnknownContent reports a struct whose kind (the low five bits of its info byte) is
	// neither GC, Skip nor a content kind; the error names the kind.
	ErrUnknownContent = errors.New("crdt: unknown struct content kind")
	// ErrUnknownTypeRef reports ContentType naming no shared type Yjs defines; the error names
	// the reference.
	ErrUnknownTypeRef = errors.New("crdt: unknown shared type reference")
	// ErrEmptyStruct reports a struct of length zero, which no peer writes.
	ErrEmptyStruct = errors.New("crdt: struct of length zero")
	// ErrInvalidJSON reports ContentJSON, ContentEmbed or ContentFormat holding invalid JSON.
	ErrInvalidJSON = errors.New("crdt: invalid JSON in content")
	// ErrClockOverflow reports a struct or delete range that ends beyond MaxClock (2^53-1). A
	// local edit that would fails with it too, wrapped but not in a *DecodeError.
	ErrClockOverflow = errors.New("crdt: clock beyond 2^53")
	// ErrStructTooLong reports a struct or delete range longer than MaxStructLength.
	ErrStructTooLong = errors.New("crdt: struct or delete range too long")
	// ErrSelfReference reports a struct whose origin, right origin or parent is content of its
	// own client at or after itself: no peer writes one and it could never integrate.
	// ApplyUpdate rejects it; the doc-less update operations, like Yjs's, let it through.
	ErrSelfReference = errors.New("crdt: struct references its own client's later content")
	// ErrTooLarge reports an update of 4 GiB or more, which DecodeUpdate cannot index.
	ErrTooLarge = errors.New("crdt: update too large")
	// ErrInvalidRelativePosition reports an encoded relative position of an unknown kind (known
	// are an item, a root type's name and a nested type); the error names the kind.
	ErrInvalidRelativePosition = errors.New("crdt: invalid relative position")
)

// ErrTooDeep reports an update that would nest a shared type deeper than MaxNestingDepth.
// ApplyUpdate returns it wrapped (not in a *DecodeError: the update is well formed) and changes
// nothing.
var ErrTooDeep = errors.New("crdt: shared types nested too deeply")

// ErrReservedClient reports an update that writes as a client its sender may not write as (see
// Doc.ApplyPeerUpdate). It is returned wrapped, not in a *DecodeError: the update is well formed.
var ErrReservedClient = errors.New("crdt: update writes as a reserved client")

// DecodeError reports malformed input to one of the package's decoders. Err is, or wraps, one
// of the decoding errors above. Input names what was decoded: "update", "state vector",
// "delete set", "relative position", or "updates[i]" for the i-th argument of MergeUpdates.
// Offset is the byte offset in that input where decoding stopped: just past the value found
// wrong, or within the value that the input cuts short.
type DecodeError struct {
	Input  string
	Offset int
	Err    error
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("%v in %s at offset %d", e.Err, e.Input, e.Offset)
}

func (e *DecodeError) Unwrap() error { return e.Err }

// nameInput renames the input of a *DecodeError, for operations that decode several inputs.
func nameInput(err error, input string) error {
	if de, ok := err.(*DecodeError); ok {
		de.Input = input
	}
	return err
}

// decodeError returns the sticky error of a decoder that read input as a *DecodeError with
// this package's errors, so that no error value of the internal lib0 package leaves it.
func decodeError(d *lib0.Decoder, input string) error {
	var le *lib0.DecodeError
	if !errors.As(d.Err(), &le) {
		return &DecodeError{Input: input, Offset: d.Pos(), Err: d.Err()}
	}
	err := le.Err
	for _, e := range [...]struct{ lib0, crdt error }{
		{lib0.ErrUnexpectedEOF, ErrUnexpectedEOF},
		{lib0.ErrLengthBeyondInput, ErrLengthBeyondInput},
		{lib0.ErrIntegerOverflow, ErrIntegerOverflow},
		{lib0.ErrInvalidUTF8, ErrInvalidUTF8},
		{lib0.ErrUnknownAnyTag, ErrUnknownAnyTag},
		{lib0.ErrTooDeep, ErrAnyTooDeep},
	} {
		if err == e.lib0 {
			err = e.crdt
			break
		}
	}
	return &DecodeError{Input: input, Offset: le.Offset, Err: err}
}
