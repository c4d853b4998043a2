package store

import (
	"context"
	"errors"
	"time"
)

var (
	// ErrNotFound reports a room that does not exist.
	ErrNotFound = errors.New("store: room not found")
	// ErrExists reports a room id that is taken.
	ErrExists = errors.New("store: room already exists")
	// ErrStaleSnapshot reports a snapshot older than the newest one stored.
	ErrStaleSnapshot = errors.New("store: snapshot older than the stored one")
)

// Room is a room's metadata.
type Room struct {
	ID        string
	Language  string
	CreatedAt time.Time // stored with at least millisecond precision, returned in UTC
}

// Snapshot is a room's encoded document state (a Yjs update v1) covering the op log up to and
// including Seq. Seq 0 with a nil State means no snapshot.
type Snapshot struct {
	Seq   uint64
	State []byte
}

// Entry is one accepted update in a room's op log. Sequence numbers start at 1 and increase by
// one per entry within a room; they are never reused, even after compaction.
type Entry struct {
	Seq    uint64
	Update []byte
}

// Rooms keeps room metadata. Implementations are safe for concurrent use by multiple
// goroutines, and every method honours ctx's deadline and cancellation.
type Rooms interface {
	// CreateRoom stores a new room and its initial state as the snapshot at seq 0 of its op
	// log, atomically: afterwards Room and Load both find the room. It returns ErrExists if
	// the id is taken, and an error for an empty id. Room ids are valid UTF-8 without NUL
	// bytes; initial is not kept after the call returns.
	CreateRoom(ctx context.Context, room Room, initial []byte) error
	// Room returns a room's metadata, or ErrNotFound.
	Room(ctx context.Context, id string) (Room, error)
	// SetLanguage changes a room's language, or returns ErrNotFound.
	SetLanguage(ctx context.Context, id, language string) error
}

// Log keeps each room's op log of accepted updates and its newest snapshot. Implementations
// are safe for concurrent use by multiple goroutines; calls for different rooms may run in
// parallel, and the server serializes calls for one room. Slices passed in are not kept after
// a call returns, and returned slices belong to the caller. Every method honours ctx's
// deadline and cancellation, and returns ErrNotFound for a room CreateRoom did not create.
type Log interface {
	// Load returns a room's newest snapshot and, in seq order, every log entry after it:
	// everything needed to rebuild its document.
	Load(ctx context.Context, id string) (Snapshot, []Entry, error)
	// Append adds updates to a room's log in one atomic, durable commit (all or none) and
	// returns the sequence number of the last one. When it returns nil the updates survive a
	// crash. With no updates it commits nothing and returns the room's current last seq.
	Append(ctx context.Context, id string, updates [][]byte) (lastSeq uint64, err error)
	// Compact stores snap as the room's newest snapshot and drops the log entries it covers
	// (Seq <= snap.Seq), atomically. Entries after snap.Seq stay. It returns ErrStaleSnapshot
	// if a snapshot with a higher Seq is stored, and an error if snap.Seq is past the room's
	// last seq.
	Compact(ctx context.Context, id string, snap Snapshot) error
}

// Store keeps rooms durable: their metadata and their op logs, in one place, so that
// CreateRoom can store a room and its initial snapshot atomically.
type Store interface {
	Rooms
	Log
	// Ping reports whether the store can serve requests now.
	Ping(ctx context.Context) error
	// Close releases the store's resources. Afterwards every method returns an error; Close
	// may be called again.
	Close() error
}
