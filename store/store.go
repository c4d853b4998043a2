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

// Store keeps rooms durable. Implementations are safe for concurrent use by multiple goroutines;
// calls for different rooms may run in parallel, and the server serializes calls for one room.
// Returned byte slices belong to the caller. Every method honours ctx's deadline and
// cancellation.
type Store interface {
	// CreateRoom stores a new room and its initial state as a snapshot at seq 0, atomically.
	// It returns ErrExists if the id is taken.
	CreateRoom(ctx context.Context, room Room, initial []byte) error
	// Room returns a room's metadata, or ErrNotFound.
	Room(ctx context.Context, id string) (Room, error)
	// SetLanguage changes a room's language, or returns ErrNotFound.
	SetLanguage(ctx context.Context, id, language string) error
	// Load returns a room's newest snapshot and, in order, every log entry after it: everything
	// needed to rebuild its document. It returns ErrNotFound for an unknown room.
	Load(ctx context.Context, id string) (Snapshot, []Entry, error)
	// Append adds updates to a room's log in one atomic, durable commit (all or none) and
	// returns the sequence number of the last one. When it returns nil the updates survive a
	// crash. It returns ErrNotFound for an unknown room.
	Append(ctx context.Context, id string, updates [][]byte) (lastSeq uint64, err error)
	// Compact stores snap as the room's newest snapshot and drops the log entries it covers
	// (Seq <= snap.Seq), atomically. Entries after snap.Seq stay. It returns ErrStaleSnapshot
	// if a snapshot with a higher Seq is stored, ErrNotFound for an unknown room.
	Compact(ctx context.Context, id string, snap Snapshot) error
	// Ping reports whether the store can serve requests now.
	Ping(ctx context.Context) error
	// Close releases the store's resources.
	Close() error
}
