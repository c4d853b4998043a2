package store

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

var (
	// ErrNotFound reports a room that does not exist.
	ErrNotFound = errors.New("store: room not found")
	// ErrExists reports a room id, or a link (Access.EditID, Access.ViewID), that is taken.
	ErrExists = errors.New("store: room already exists")
	// ErrStaleSnapshot reports a snapshot older than the newest one stored.
	ErrStaleSnapshot = errors.New("store: snapshot older than the stored one")
	// ErrInvalidEntry reports a log entry that CheckEntries refuses.
	ErrInvalidEntry = errors.New("store: invalid log entry")
	// ErrInvalidAccess reports a room's Access that CheckAccess refuses.
	ErrInvalidAccess = errors.New("store: invalid room access")
	// ErrInvalidVersion reports a Version that CheckVersion refuses, or one that would overlap
	// another version of its room.
	ErrInvalidVersion = errors.New("store: invalid version")
	// ErrTrimmed reports a read of history that History.TrimHistory dropped.
	ErrTrimmed = errors.New("store: history trimmed")
)

// MaxSessionLen is the longest Entry.Session a store keeps, in bytes.
const MaxSessionLen = 64

// MaxAuthorLen is the longest Entry.Author, and the longest of a Version's Authors, a store
// keeps, in bytes.
const MaxAuthorLen = 64

// MaxVersionAuthors is the most Authors a Version has.
const MaxVersionAuthors = 32

// MaxLinkLen is the longest link (Access.EditID, Access.ViewID) a store keeps, in bytes.
const MaxLinkLen = 64

// Room is a room's metadata. A room's language is not here: it lives in the room's document
// (the "language" key of its "meta" map), which every client sees and edits.
type Room struct {
	ID        string
	CreatedAt time.Time // stored with at least millisecond precision, returned in UTC
	// OpenedAt is when the room was last opened (Rooms.MarkOpened): loaded into a server's
	// memory to be used. CreateRoom sets it to CreatedAt, whatever the Room it is given holds.
	// It has CreatedAt's precision and is returned in UTC.
	OpenedAt time.Time
	Access   Access
}

// Access is who may open a room, and how: its capability ids and its owner's token. A link
// (EditID or ViewID) belongs to one room in one role: no two rooms, and no two roles of a room,
// share one. A room's ID is its key in the store for as long as it exists, whatever its links;
// once SetAccess replaces an EditID equal to the ID, the ID is no longer a link.
type Access struct {
	// EditID opens the room to edit. CreateRoom sets it to the room's ID when empty.
	EditID string
	// ViewID opens the room read-only; "" when the room has none (rooms created before view links).
	ViewID string
	// OwnerHash is the SHA-256 of the owner's token; nil when the room has no owner.
	OwnerHash []byte
	// Locked makes everyone in the room a viewer.
	Locked bool
}

// Snapshot is a room's encoded document state (a Yjs update v1) covering the op log up to and
// including Seq. Seq 0 with a nil State means no snapshot.
type Snapshot struct {
	Seq   uint64
	State []byte
	// Checkpoint keeps the snapshot for history (History.Checkpoint) once a newer one replaces
	// it; a snapshot without it is dropped then. Log.Compact takes it from the caller; reads
	// return whether the stored snapshot is kept so. The initial state CreateRoom stores (seq
	// 0) is always a checkpoint, and so is a snapshot TrimHistory keeps as the oldest.
	Checkpoint bool
	// Epoch, when not 0, fences Log.Compact with a lease epoch (Leases): the snapshot is
	// written only while the room's lease has it, and ErrLeaseLost is returned otherwise. A
	// store without Leases ignores it; reads return 0.
	Epoch uint64
}

// Entry is one accepted update in a room's op log. Sequence numbers start at 1 and increase by
// one per entry within a room; they are never reused, even after compaction.
type Entry struct {
	Seq    uint64
	Update []byte
	// Time is when the server accepted the update. It is stored with at least millisecond
	// precision and returned in UTC; the zero Time (unknown: the entries a store kept before
	// it had times) is stored and returned as the zero Time.
	Time time.Time
	// Session is an opaque id of the connection that sent the update, "" for the server's own
	// edits (and for entries a store kept before it had sessions). CheckEntries says
	// what a store accepts.
	Session string
	// Author is who sent the update as people know them: the name the connection announced,
	// "legacy client" or "server"; "" for the entries a store kept before it had authors.
	// CheckEntries says what a store accepts.
	Author string
}

// CheckEntries returns nil if a store keeps every entry as it is, or an error wrapping
// ErrInvalidEntry that names the first one it would not: an entry's Session and Author must be
// valid UTF-8 without NUL bytes and at most MaxSessionLen and MaxAuthorLen bytes long, and its
// Time zero or within the years 1 to 9999. Append calls it before it stores anything.
func CheckEntries(entries []Entry) error {
	for i, e := range entries {
		if err := checkEntry(e); err != nil {
			return fmt.Errorf("%w: entry %d: %s", ErrInvalidEntry, i, err)
		}
	}
	return nil
}

func checkEntry(e Entry) error {
	if err := checkText("session", e.Session, MaxSessionLen); err != nil {
		return err
	}
	if err := checkText("author", e.Author, MaxAuthorLen); err != nil {
		return err
	}
	return checkTime("time", e.Time)
}

// checkTime returns an error naming what t is unless t is within the years 1 to 9999, which
// every store keeps (the zero time among them).
func checkTime(what string, t time.Time) error {
	if year := t.UTC().Year(); year < 1 || year > 9999 {
		return fmt.Errorf("%s %v is outside the years 1 to 9999", what, t)
	}
	return nil
}

// Version summarizes a burst of editing in a room: the entries from FromSeq to ToSeq. The
// server computes it; a store keeps it (History.PutVersion) so that a room's timeline is one
// read (History.Versions).
type Version struct {
	FromSeq, ToSeq uint64 // the entries it spans, inclusive
	// From and To are when its first and last entries were committed. They are stored with
	// at least millisecond precision and returned in UTC.
	From, To time.Time
	// Authors are who edited, each once, in the order of their first edit.
	Authors        []string
	Added, Removed int    // characters added and removed
	Restore        uint64 // if not 0: the version restored the text of this seq
}

// CheckVersion returns nil if a store keeps v as it is, or an error wrapping ErrInvalidVersion
// that says why not: 1 <= FromSeq <= ToSeq, From and To within the years 1 to 9999, at most
// MaxVersionAuthors Authors, each once, valid UTF-8 without NUL bytes and at most
// MaxAuthorLen bytes long, Added and Removed not negative, and Restore before FromSeq.
// PutVersion calls it before it stores anything.
func CheckVersion(v Version) error {
	if err := checkVersion(v); err != nil {
		return fmt.Errorf("%w: %s", ErrInvalidVersion, err)
	}
	return nil
}

func checkVersion(v Version) error {
	switch {
	case v.FromSeq == 0 || v.ToSeq < v.FromSeq:
		return fmt.Errorf("seqs %d to %d", v.FromSeq, v.ToSeq)
	case len(v.Authors) > MaxVersionAuthors:
		return fmt.Errorf("%d authors, more than %d", len(v.Authors), MaxVersionAuthors)
	case v.Added < 0 || v.Removed < 0:
		return fmt.Errorf("%d characters added and %d removed", v.Added, v.Removed)
	case v.Restore >= v.FromSeq:
		return fmt.Errorf("restores seq %d, not before its first seq %d", v.Restore, v.FromSeq)
	}
	if err := errors.Join(checkTime("from", v.From), checkTime("to", v.To)); err != nil {
		return err
	}
	for i, a := range v.Authors {
		if err := checkText("author", a, MaxAuthorLen); err != nil {
			return err
		}
		if slices.Contains(v.Authors[:i], a) {
			return fmt.Errorf("author %q is there twice", a)
		}
	}
	return nil
}

// CheckAccess returns nil if a store keeps a as it is, or an error wrapping ErrInvalidAccess
// that says why not: EditID must not be empty, EditID and ViewID must be valid UTF-8 without
// NUL bytes and at most MaxLinkLen bytes long, and OwnerHash nil or a SHA-256 sum (32 bytes).
// CreateRoom (after it sets an empty EditID to the room's ID) and SetAccess call it before
// they store anything. Whether a link is taken is the store's to say (ErrExists).
func CheckAccess(a Access) error {
	if err := checkAccess(a); err != nil {
		return fmt.Errorf("%w: %s", ErrInvalidAccess, err)
	}
	return nil
}

func checkAccess(a Access) error {
	if a.EditID == "" {
		return errors.New("empty edit link")
	}
	if err := checkText("edit link", a.EditID, MaxLinkLen); err != nil {
		return err
	}
	if err := checkText("view link", a.ViewID, MaxLinkLen); err != nil {
		return err
	}
	if a.OwnerHash != nil && len(a.OwnerHash) != sha256.Size {
		return fmt.Errorf("owner hash is %d bytes, not %d", len(a.OwnerHash), sha256.Size)
	}
	return nil
}

// checkText returns an error naming what s is unless s is valid UTF-8 without NUL bytes and at
// most limit bytes long.
func checkText(what, s string, limit int) error {
	switch {
	case len(s) > limit:
		return fmt.Errorf("%s is %d bytes, more than %d", what, len(s), limit)
	case !utf8.ValidString(s):
		return fmt.Errorf("%s %q is not valid UTF-8", what, s)
	case strings.IndexByte(s, 0) >= 0:
		return fmt.Errorf("%s %q holds a NUL byte", what, s)
	}
	return nil
}

// Batch is one room's entries in a group commit (Log.AppendBatches).
type Batch struct {
	Room    string
	Entries []Entry
	// Epoch, when not 0, fences the batch with a lease epoch (Leases): it is appended only
	// while the room's lease has it, and fails alone with ErrLeaseLost otherwise. A store
	// without Leases ignores it.
	Epoch uint64
}

// BatchResult is the outcome of one Batch: the seq of its last entry, or why it failed.
type BatchResult struct {
	LastSeq uint64
	Err     error
}

// Rooms keeps room metadata. Implementations are safe for concurrent use by multiple
// goroutines, and every method honours ctx's deadline and cancellation.
type Rooms interface {
	// CreateRoom stores a new room, its Access and its initial state as the snapshot at seq 0
	// of its op log, atomically: afterwards Room, RoomByLink and Load all find the room. An
	// empty room.Access.EditID is taken to be room.ID. It returns ErrExists if the id is taken
	// or if the room's EditID or ViewID is a link of any room (or EditID == ViewID), an error
	// wrapping ErrInvalidAccess for an Access CheckAccess refuses, and an error for an empty
	// id. Room ids are valid UTF-8 without NUL bytes; initial and room.Access.OwnerHash are not
	// kept after the call returns.
	CreateRoom(ctx context.Context, room Room, initial []byte) error
	// Room returns a room's metadata, or ErrNotFound.
	Room(ctx context.Context, id string) (Room, error)
	// RoomByLink returns the room whose EditID or ViewID is link, or ErrNotFound: also for a
	// string that cannot be a link ("", not UTF-8, a NUL byte). It is one indexed lookup, for
	// every request that names a room.
	RoomByLink(ctx context.Context, link string) (Room, error)
	// SetAccess replaces room id's Access, atomically, or returns ErrNotFound. A link it
	// replaces no longer finds the room when it returns; the room's ID, its log and its
	// snapshot stay. It returns ErrExists if a.EditID or a.ViewID is a link of another room,
	// or a.EditID == a.ViewID (a room may keep its links, or swap them), and an error wrapping
	// ErrInvalidAccess for an Access CheckAccess refuses (an empty EditID among them). It
	// changes nothing when it fails; a.OwnerHash is not kept after the call returns.
	SetAccess(ctx context.Context, id string, a Access) error
	// CountRooms returns how many rooms exist.
	CountRooms(ctx context.Context) (int, error)
	// MarkOpened sets room id's OpenedAt to t, or returns ErrNotFound.
	MarkOpened(ctx context.Context, id string, t time.Time) error
	// RoomsOpenedBefore returns the ids of at most limit rooms whose OpenedAt is before t,
	// in no particular order; limit must be positive.
	RoomsOpenedBefore(ctx context.Context, t time.Time, limit int) ([]string, error)
	// DeleteRoom removes room id with its links, its snapshot, its whole op log, its history
	// and its runs, atomically, or returns ErrNotFound. Afterwards Room, Load and RoomByLink of its links
	// return ErrNotFound, and CreateRoom may create the id again, and any room take its links:
	// a new room, whose log starts empty at seq 1.
	DeleteRoom(ctx context.Context, id string) error
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
	// Append adds entries to a room's log in one atomic, durable commit (all or none) and
	// returns the sequence number of the last one. It ignores the entries' Seq and numbers
	// them itself, consecutively after the highest seq the room ever gave out; it keeps their
	// Update, Time and Session. When it returns nil the entries survive a crash. An entry
	// CheckEntries refuses fails the whole call with an error wrapping ErrInvalidEntry. With no
	// entries it commits nothing and returns the room's current last seq.
	Append(ctx context.Context, id string, entries []Entry) (lastSeq uint64, err error)
	// AppendBatches appends every batch to its room's log in one durable commit and returns one
	// result per batch, in order. Each batch is atomic and its entries keep their order, numbered
	// as Append numbers them; a batch that is refused on its own (ErrNotFound, ErrInvalidEntry)
	// fails alone and the others are committed; if the commit itself fails, every batch fails with
	// that error. Batches for the same room are applied in order.
	AppendBatches(ctx context.Context, batches []Batch) []BatchResult
	// Compact stores snap as the room's newest snapshot, atomically: afterwards Load returns it
	// and only the entries after it. The entries it covers (Seq <= snap.Seq) stay in the
	// room's history (History.Entries). The snapshot it replaces stays too if it is a
	// checkpoint, and is dropped if not; at the same Seq, snap replaces its State and it stays
	// a checkpoint if either was one. It returns ErrStaleSnapshot if a snapshot with a higher
	// Seq is stored, and an error if snap.Seq is past the room's last seq.
	Compact(ctx context.Context, id string, snap Snapshot) error
}

// History keeps what a room's text was at every seq of its log: the entries Compact covered,
// the snapshots kept as checkpoints, and the server's summaries of bursts of editing
// (Versions). A room's history starts at its oldest checkpoint: the initial state at seq 0,
// until TrimHistory drops the older part. It follows Log's rules: safe for concurrent use,
// slices not kept and returned to the caller, ctx honoured, and ErrNotFound for a room
// CreateRoom did not create.
type History interface {
	// Checkpoint returns the newest snapshot the room keeps (a checkpoint, or the current
	// snapshot) with Seq <= seq: with the Entries after it up to seq, it rebuilds the text at
	// seq. It returns an error wrapping ErrTrimmed if seq is before the room's history starts.
	Checkpoint(ctx context.Context, id string, seq uint64) (Snapshot, error)
	// Entries returns, in seq order, the room's entries with after < Seq <= upto, at most limit
	// of them (limit must be positive): a shorter answer than limit means none is left in the
	// range. It returns an error wrapping ErrTrimmed if after is before the room's history
	// starts: TrimHistory dropped some of them.
	Entries(ctx context.Context, id string, after, upto uint64, limit int) ([]Entry, error)
	// PutVersion stores v, replacing the version with the same FromSeq if there is one. It
	// returns an error wrapping ErrInvalidVersion for a version CheckVersion refuses, one that
	// would overlap another version of the room, or one whose ToSeq is past the room's last
	// seq; then it changes nothing.
	PutVersion(ctx context.Context, id string, v Version) error
	// Versions returns the room's versions with ToSeq < before (before 0: all of them), newest
	// first, at most limit of them (limit must be positive): to page back, pass the FromSeq of
	// the last one returned as the next before. It is one indexed read however many versions
	// the room has.
	Versions(ctx context.Context, id string, before uint64, limit int) ([]Version, error)
	// TrimHistory drops the history older than seq before, atomically: afterwards the text at
	// every seq >= before can still be rebuilt, and nothing older is kept. It keeps the newest
	// snapshot with Seq <= before (as a checkpoint, if it is the current one) and the entries
	// after it, and drops the older checkpoints and entries and the versions with ToSeq <
	// before. Reads of what it dropped return ErrTrimmed. Before a room's history start, it
	// does nothing; Load's answer never changes.
	TrimHistory(ctx context.Context, id string, before uint64) error
	// HistoryBytes returns how many bytes the room's history holds: the updates of every entry
	// Entries can return, and the states of its checkpoints (the current snapshot's when it is
	// one).
	HistoryBytes(ctx context.Context, id string) (int64, error)
}

// Store keeps rooms durable: their metadata and their op logs, in one place, so that
// CreateRoom can store a room and its initial snapshot atomically.
type Store interface {
	Rooms
	Log
	History
	Runs
	// Ping reports whether the store can serve requests now.
	Ping(ctx context.Context) error
	// Close releases the store's resources. Afterwards every method returns an error; Close
	// may be called again.
	Close() error
}
