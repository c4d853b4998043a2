package room

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/pairpad/pairpad/crdt"
)

// SetAside returns the log entries New could not apply, in log order: the caller logs and
// counts them. They stay in the store, and the room does not compact its log while it holds
// any, so that nothing is lost before someone looks at them.
func (r *Room) SetAside() []SetAside { return r.setAside }

// errSnapshotMismatch reports a snapshot that loads into a document other than the room's.
var errSnapshotMismatch = errors.New("room: the snapshot does not load back to the room's state")

// snapshotWant is what a snapshot must load back to: the room's state vector and code when it
// was taken, and the options of the room's documents.
type snapshotWant struct {
	opts        Options
	stateVector []byte
	code        string
}

// Check returns an error unless the snapshot loads into a fresh document with the room's state
// vector, delete set and code as they were when it was taken. A snapshot replaces the log it
// covers: one that does not load would make the room unloadable, and one that loads
// differently would lose or change what the log held. (The bytes are not compared: a document
// rebuilt from its state may encode it in another, equivalent order.)
func (s Snapshot) Check() error {
	doc, text, _, err := newDoc(s.want.opts)
	if err != nil {
		return err
	}
	if err := doc.ApplyUpdate(s.State); err != nil {
		return fmt.Errorf("room: the snapshot does not load: %w", err)
	}
	again, err := doc.EncodeStateAsUpdate(nil)
	if err != nil {
		return fmt.Errorf("room: the loaded snapshot does not encode: %w", err)
	}
	switch {
	case !bytes.Equal(doc.EncodeStateVector(), s.want.stateVector):
		return fmt.Errorf("%w: state vector", errSnapshotMismatch)
	case text.String() != s.want.code:
		return fmt.Errorf("%w: code", errSnapshotMismatch)
	}
	sameDeletes, err := sameDeleteSet(s.State, again)
	if err != nil {
		return err
	}
	if !sameDeletes {
		return fmt.Errorf("%w: delete set", errSnapshotMismatch)
	}
	return nil
}

// sameDeleteSet reports whether two updates delete the same content.
func sameDeleteSet(a, b []byte) (bool, error) {
	ua, err := crdt.DecodeUpdate(a)
	if err != nil {
		return false, err
	}
	ub, err := crdt.DecodeUpdate(b)
	if err != nil {
		return false, err
	}
	return bytes.Equal(crdt.EncodeDeleteSet(ua.DeleteSet()), crdt.EncodeDeleteSet(ub.DeleteSet())), nil
}
