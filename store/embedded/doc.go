// Package embedded is pairpad's default store.Store, used when no DATABASE_URL is set: every
// room lives in one bbolt file, pairpad.db, under a data directory.
//
// Why bbolt (go.etcd.io/bbolt): it is pure Go (no cgo, so the binary stays static), keeps all
// data in one file, and is crash-safe by construction: a commit writes copy-on-write B+tree
// pages, fdatasyncs them, then switches a checksummed meta page, so after a crash the file
// holds exactly the last committed transaction. It is ACID with one writer at a time, which
// suits pairpad: updates are committed in groups (AppendBatches writes the pending entries of
// many rooms in one transaction), so one fsync covers many updates. It is small, has no
// background goroutines, and is maintained by the etcd project, which runs its own storage on
// it. SQLite would need cgo or a large transpiled port; LSM stores (Pebble, Badger) bring
// compaction goroutines and tuning that one server's rooms do not need.
//
// Layout (version 3): a top-level bucket "meta" holds the layout version under "layout" (8
// big-endian bytes). A top-level bucket "rooms" holds one bucket per room, keyed by the room
// id, with what appends touch: created_at, last_seq, and a "log" bucket of entries keyed by
// their seq as 8 big-endian bytes, so keys sort in seq order, appends go at the end and
// compaction deletes a prefix. last_seq only grows, so seqs are never reused after the log
// entries that held them are compacted away. An entry's value is the time the update was
// accepted (Unix microseconds, 8 big-endian bytes), the session's length (one byte) and bytes,
// then the update. A top-level bucket "snapshots" holds one bucket per room, keyed by the room
// id, with its newest snapshot: seq (8 big-endian bytes) and state. Only CreateRoom and
// Compact write there.
//
// Why snapshots live apart: bbolt is a copy-on-write B+tree, and a commit writes again, whole,
// every node it changed (a value larger than a page sits in overflow pages, but is written again
// with its node) and every node above it. An append changes the log's last leaf and last_seq, so
// it writes those nodes, the leaf of "rooms" that holds the room's bucket, the root and the meta
// page: a few pages, whatever the room's size. Layout 2 kept the snapshot beside last_seq, so
// every append wrote the room's whole snapshot again (make bench-store: 33.7 MB and 35 ms per
// append in a room of 32 MiB, against 18 KB and 0.4 ms now for snapshots of 1 KiB to 32 MiB). A
// room's snapshot has a bucket to itself: a snapshot over a quarter of a page lives in that
// bucket's own pages, which only the room's Compact writes; a smaller one is inlined in a leaf of
// "snapshots" with other small ones, so a Compact writes its own snapshot and at most a page of
// its neighbours'.
//
// bbolt runs without writing its freelist (NoFreelistSync): otherwise every commit writes the
// list of free pages, 8 bytes per page, and the pages a 32 MiB snapshot frees when it is
// replaced would add 64 KB to every append. Open rebuilds the list instead, by walking the
// branch and leaf pages (not the overflow pages that hold large snapshots): about 0.2 s for a
// 160 MB file of 2000 rooms, against 2 ms when the list is written. The price: bbolt walks
// the pages on a goroutine of its own and panics on a corrupt page, so a damaged file stops the
// process at start-up with a panic rather than an error (a panic on another goroutine cannot be
// recovered here). Nothing a client sends can damage the file.
//
// Layout 1, written before entries had a time and a session, had no meta bucket, bare updates
// as log values and a room's language under a "language" key (the room's document holds it
// now). Layouts 1 and 2 kept a room's snapshot in its bucket in "rooms", under snapshot_seq
// and snapshot. Open upgrades an older file in one transaction: a layout 1 file's entries get
// the zero time and the empty session (unknown) and its language keys go, and the snapshots
// move to "snapshots". A file of a newer layout than this code knows is refused.
//
// One process at a time may open a data directory; bbolt holds a file lock while it is open.
package embedded
