package crdt

import (
	"fmt"
	"slices"

	"github.com/pairpad/pairpad/crdt/internal/lib0"
)

// ID identifies one unit of content (a UTF-16 code unit, an array element, a map value) by the
// client that created it and that client's clock at the time. Clients are 53-bit integers.
type ID struct {
	Client uint64
	Clock  uint64
}

func (id ID) String() string { return fmt.Sprintf("%d:%d", id.Client, id.Clock) }

// MaxClientID is the largest client id: Yjs client ids are JavaScript safe integers.
const MaxClientID = lib0.MaxSafeInteger

// MaxClock is the largest clock: Yjs clocks are JavaScript numbers, exact up to 2^53-1. The
// decoders refuse a struct or delete range that ends beyond it with ErrClockOverflow, and a
// local edit that would fails with it too.
const MaxClock = lib0.MaxSafeInteger

// MaxStructLength is the longest a struct (GC, Skip, or Item with ContentDeleted) or a delete
// range may be; the decoders refuse a longer one with ErrStructTooLong. Those lengths are free
// numbers on the wire, but each unit of content is a character, value or type that its client
// once sent in at least one byte: a length of 2^32 stands for 4 GiB written by one Yjs client
// id, which a browser session (V8 strings stop at 2^29 units) does not write. Without a cap, a
// few bytes could take any client's clock to MaxClock, after which it can never edit again. A
// bound relative to the update's size would refuse an honest snapshot, whose one GC struct
// can stand for everything a client ever deleted.
const MaxStructLength = 1<<32 - 1

// StateVector maps each client to the next clock expected from it, that is the number of
// content units of that client a document has integrated.
type StateVector map[uint64]uint64

// EncodeStateVector returns the encoding of sv as Yjs writes it (clients in descending order).
func EncodeStateVector(sv StateVector) []byte {
	var e lib0.Encoder
	writeStateVector(&e, sv)
	return e.Bytes()
}

func writeStateVector(e *lib0.Encoder, sv StateVector) {
	e.WriteVarUint(uint64(len(sv)))
	for _, client := range sortedClientsDesc(sv) {
		e.WriteVarUint(client)
		e.WriteVarUint(sv[client])
	}
}

// DecodeStateVector parses an encoded state vector. Later entries for the same client win, as
// in Yjs. A malformed state vector is a *DecodeError.
func DecodeStateVector(b []byte) (StateVector, error) {
	d := lib0.NewDecoder(b)
	sv := readStateVector(d)
	if d.Err() != nil {
		return nil, decodeError(d, "state vector")
	}
	return sv, nil
}

func readStateVector(d *lib0.Decoder) StateVector {
	n := d.ReadVarUint()
	sv := make(StateVector, min(n, uint64(d.Remaining()/2)))
	for i := uint64(0); i < n && d.Err() == nil; i++ {
		client := d.ReadVarUint()
		clock := d.ReadVarUint()
		if d.Err() == nil {
			sv[client] = clock
		}
	}
	return sv
}

func sortedClientsDesc[V any](m map[uint64]V) []uint64 {
	if len(m) == 1 {
		for c := range m {
			return []uint64{c} // does not escape when inlined by the caller's loop
		}
	}
	clients := make([]uint64, 0, len(m))
	for c := range m {
		clients = append(clients, c)
	}
	slices.SortFunc(clients, func(a, b uint64) int {
		switch {
		case a > b:
			return -1
		case a < b:
			return 1
		}
		return 0
	})
	return clients
}
