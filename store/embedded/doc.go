// Package embedded is pairpad's default store.Store, used when no DATABASE_URL is set: every
// room lives in one bbolt file, pairpad.db, under a data directory.
//
// Why bbolt (go.etcd.io/bbolt): it is pure Go (no cgo, so the binary stays static), keeps all
// data in one file, and is crash-safe by construction: a commit writes copy-on-write B+tree pages,
// fdatasyncs them, then switches a checksummed meta page, so after a crash the file holds exactly
// the last committed transaction. It is ACID with one writer at a time, which suits pairpad: the
// room layer batches each room's updates (group commit), so one fsync covers many updates. It
// is small, has no background goroutines, and is maintained by the etcd project, which runs
// its own storage on it. SQLite would need cgo or a large transpiled port; LSM stores (Pebble,
// Badger) bring compaction goroutines and tuning that one server's rooms do not need.
//
// Layout (version 2): a top-level bucket "meta" holds the layout version under "layout" (8
// big-endian bytes), and a top-level bucket "rooms" holds one bucket per room, keyed by the room
// id. A room's bucket holds its metadata and newest snapshot as plain keys (created_at,
// last_seq, snapshot_seq, snapshot) and a "log" bucket of entries keyed by their seq as 8
// big-endian bytes, so keys sort in seq order and compaction deletes a prefix. last_seq only
// grows, so seqs are never reused after the log entries that held them are compacted away. An
// entry's value is the time the update was accepted (Unix microseconds, 8 big-endian bytes),
// the session's length (one byte) and bytes, then the update.
//
// Layout 1, written before entries had a time and a session, had no meta bucket, bare updates
// as log values and a room's language under a "language" key (the room's document holds it
// now). Open upgrades such a file in one transaction: each entry gets the zero time and the
// empty session (unknown), and the language keys go. A file of a newer layout than this code
// knows is refused.
//
// One process at a time may open a data directory; bbolt holds a file lock while it is open.
package embedded
