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
// Layout (version 8): a top-level bucket "meta" holds the layout version under "layout" (8
// big-endian bytes). A top-level bucket "rooms" holds one bucket per room, keyed by the room
// id, with created_at, opened_at (times as time.Time.MarshalBinary writes them), last_seq, the
// room's access (store.Access: edit_id; view_id, owner_hash (32 bytes) and locked (one byte, 1)
// only when the room has a view link, has an owner, is locked), and a "log" bucket of folded
// entries (below) keyed by their seq as 8 big-endian bytes, so keys sort in seq order and
// compaction moves a prefix; and, once it has been run, a "runs" bucket of its recent runs
// (store.Runs: JSON, keyed by the bucket's sequence as 8 big-endian bytes, so keys sort in save
// order). An entry's value there is the time the update was accepted (Unix
// microseconds, 8 big-endian bytes), the session's length (one byte) and bytes, the author's
// length (one byte) and bytes, then the update. A top-level bucket "snapshots" holds one
// bucket per room, keyed by the room id, with its newest snapshot: seq (8 big-endian bytes),
// checkpoint (one byte, 1) only when it is a checkpoint, and state, or for a snapshot over 256 KiB,
// chunks (a generation, 8 big-endian bytes, and a count, 4) and the snapshot in that many
// chunks of 256 KiB, each keyed by 0xff, the generation and its index (4 big-endian bytes).
// Only CreateRoom, Compact and DeleteRoom write there. Compact writes each chunk in a
// transaction of its own, so that other rooms' commits go on between them (bbolt has one writer
// at a time: a 32 MiB snapshot written at once held every commit up to 78 ms, in chunks 7 ms),
// then sets seq and chunks and deletes the chunks of every other generation (the snapshot
// replaced, and those of a Compact that did not finish) but the checkpoints' in its last
// transaction.
//
// History: a room's snapshot bucket also holds its checkpoints, the snapshots kept for history
// after newer ones replaced them, each keyed by 0xfe and its seq (8 big-endian bytes): 0 and
// the state, or 1 and the generation and count of the chunks that hold it, which stay where
// the snapshot had them. Compact puts the current snapshot there when it is a checkpoint and a
// newer one replaces it. A top-level bucket "history" holds one bucket per room, keyed by the
// room id, with "bytes" (8 big-endian bytes: the updates of its entries' chunks and the states
// of its checkpoints, the current snapshot's when it is one), a bucket "entries" of chunks of
// the entries Compact covered, keyed by the seq of their first entry (8 big-endian bytes),
// each uvarint(count) and a body as a journal group has (below), of about 32 KiB, and a bucket
// "versions" keyed by FromSeq (8 big-endian bytes), each uvarints of ToSeq, Added, Removed and
// Restore, varints of From and To (Unix microseconds), the number of authors and each one's
// uvarint length and bytes. Versions do not overlap, so a page of them is one cursor walk back
// from the key before. A room's history starts at its oldest checkpoint (the lowest 0xfe key,
// or the current snapshot when there is none): every entry after it is in the history's
// chunks (those up to the current snapshot) or live (below), and nothing before it is kept.
// TrimHistory deletes the checkpoints, chunks and versions before the snapshot it keeps, and
// writes the chunk that spans it again, in one transaction.
//
// A top-level bucket "links" maps every room's links to the room: keyed by the link (its
// edit_id or view_id), the room's id. RoomByLink reads it, then the room's bucket, in one read
// transaction; CreateRoom, SetAccess and DeleteRoom change it and the room's bucket in one
// write transaction, so a link is a key once, of one room, and a link replaced or deleted stops
// resolving when that transaction commits. A room's id is its key in "rooms", "snapshots" and
// the journal for as long as it exists, whether or not it is still a link.
//
// A top-level bucket "journal" holds what appends write: one record per commit (an
// AppendBatches call, or an Append), keyed by a record number (8 big-endian bytes) that grows
// by one per record. A record holds every entry of every batch the commit accepted, in one
// group per room, the rooms in the order they first appear in the call:
//
//	group   = uvarint(len(room)) room uvarint(first seq) uvarint(count) uvarint(len(body)) body
//	body    = count times: varint(time - previous time) session author uvarint(len(update)) update
//	session = uvarint(0), the previous entry's session | uvarint(n+1) and the n bytes of a session
//	author  = uvarint(0), the previous entry's author | uvarint(n+1) and the n bytes of an author
//
// (varints as encoding/binary writes them; times in Unix microseconds; a group's first entry
// counts its time from 0 and its session and author from the empty one, and the entries' seqs
// run from first). A keystroke of one session takes its update's bytes and three more; a group's header
// and first entry's time and session cost about 45 bytes beside the room id.
//
// Which entries are where: an entry with a seq after its room's snapshot is live. It sits in
// the journal until the journal is too big (Store.journalLimit, DefaultJournalLimit bytes of
// records by default), when the commits that follow fold its oldest records: a fold writes
// the live entries of a record into their rooms' log buckets and their last seq as last_seq,
// and deletes the record, in the commit's transaction. A commit folds only while the journal,
// its own record included, is over the limit, and no more than twice its own record's bytes
// once it has folded one record, so folding keeps pace with appends without piling onto one
// commit. Compact writes the snapshot, moves the entries it covers, from the room's log and
// from its groups in the journal (a group it covers in part stays live for the rest), into
// chunks of the room's history, and deletes every record it leaves without a live entry, in
// one transaction: the journal frees what a compaction covered as before, and the room's
// history gets it in one write per compaction, not one per commit. A room's last seq
// is the highest of its last_seq, its snapshot's seq and the last seq of its groups in the
// journal (not those of a deleted room of the same id, below), so seqs are never reused after
// the entries that held them are compacted away.
//
// Deleting a room (DeleteRoom) deletes its buckets in "rooms", "snapshots" and "history" and, as Compact
// does, the records it leaves without a live entry. A record other rooms keep may still hold
// the deleted room's groups, live ones and ones its snapshot covered, and a room of the same id
// may be created again, whose snapshot is at seq 0. A top-level bucket "deleted" holds the
// tombstones of deleted rooms whose groups the journal may hold: keyed by the room id, the
// number the next record had when the room was deleted (8 big-endian bytes). A group of a room
// in a record numbered below the room's tombstone is dead, whether a room of that id exists
// again or not, and nothing reads, counts or folds it; a group of a room that does not exist,
// in a record no tombstone covers, is corruption. DeleteRoom writes a tombstone only if the
// journal holds a record, and drops those no record needs any more (the oldest record is
// numbered at or after them). Open numbers records after every tombstone, even when the
// journal is empty, so that a new room's groups are never taken for a deleted one's.
//
// Open reads every room's last_seq and snapshot seq, the tombstones, and every record's group
// headers (not the entries: a group's length skips them) to build an index in memory: for each
// room, its last seq, its snapshot's seq and where its live groups sit (record and offset); for
// each record, its size and how many rooms still have live entries in it; the tombstones.
// Appends take their seqs from the index, Compact and DeleteRoom find there the records they
// kill, a commit finds the journal's size, and Load reads a room's live groups in place: its
// snapshot, the log entries after it, then the room's journal entries after both, in seq
// order. Every change is one bbolt transaction, and the index is changed only after that
// transaction commits, by its writer, which holds a mutex across the commit and the change;
// Load begins its read transaction under the same mutex.
//
// Why a journal: a commit in layout 3 wrote each of its rooms' entries into the room's own log
// bucket and rewrote its last_seq, dirtying about three B+tree pages per room, each written
// whole, then spilled and fsynced: a commit of 2 entries of 30 bytes for each of 400 rooms
// took about 20 ms (3.3 ms of pwrite, 2.7 ms of fdatasync, the rest in bbolt's spill, Put and
// search), and under 1000 rooms of 4 clients typing 5 keystrokes a second commits took a
// core. The journal's keys only grow, so a commit writes its record (its last leaf, or
// overflow pages of its own, contiguous) and the branch pages above it: pages in proportion
// to its bytes, not its rooms. make bench-store (BenchmarkAppendBatchByRooms, the best of
// three runs on a 2-core machine): 0.5 ms per commit of 20 rooms (layout 3: 1.8 ms), 0.7 ms
// of 100 (7.3 ms), 1.0 ms of 400 (25 ms), 2.1 ms of 1000 (57 ms).
//
// Why the limit is 64 MiB: a busy room compacts every 500 entries (the server's default), and
// its compaction kills its groups. At the load above (20,000 entries a second; a keystroke
// alone in its group, with a room id and a session of 22 bytes, takes about 85 bytes) a room
// compacts every 25 s, so about 25 s of records, some 40 MB, are live: at 64 MiB busy rooms
// compact before their records reach the head, and what is folded is mostly slow rooms' few
// entries. The limit bounds what Open reads and what the index holds (about 25 bytes per live
// group): Open of a journal at its limit, 790,000 groups in records of 100 rooms (a file of
// 100 MB), takes about 0.3 s, the freelist's rebuild (below) included, and keeps an index of
// 20 MB (make bench-store, BenchmarkOpenFullJournal). A journal is over its limit by at most
// one record, and while it is, each commit folds at least one.
//
// Why snapshots live apart: bbolt is a copy-on-write B+tree, and a commit writes again, whole,
// every node it changed (a value larger than a page sits in overflow pages, but is written again
// with its node) and every node above it. Layout 2 kept the snapshot beside last_seq, so
// every append wrote the room's whole snapshot again (make bench-store: 33.7 MB and 35 ms per
// append in a room of 32 MiB, against 18 KB and 0.4 ms in layout 3 for snapshots of 1 KiB to
// 32 MiB). A room's snapshot has a bucket to itself: a snapshot over a quarter of a page lives
// in that bucket's own pages, which only the room's Compact writes; a smaller one is inlined in
// a leaf of "snapshots" with other small ones, so a Compact writes its own snapshot and at
// most a page of its neighbours'.
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
// and snapshot. Layouts 1 to 3 had no journal: every entry was in its room's log, and its
// last_seq was the room's last seq. Layouts 1 to 4 could not delete rooms, and had no
// "deleted" bucket and no opened_at: a room without opened_at was last opened when it was
// created. Layouts 1 to 5 wrote every snapshot whole, under state. Layouts 1 to 6 had no
// links: no "links" bucket and no access in the rooms' buckets. Layouts 1 to 7 kept no history:
// Compact deleted the entries it covered and the snapshot it replaced; entries had no author. Open upgrades an older file in
// one transaction: a layout 1 file's entries get the zero time and the empty session (unknown)
// and its language keys go, the snapshots move to "snapshots", the file gains an empty journal
// and an empty "deleted" bucket, and every room gets its id as its edit link (edit_id, and its
// key in "links"), with no view link and no owner, unlocked, so that the links it had still
// open it; every entry, in the journal and in the logs, gets the empty author, every room a
// history bucket, and every room's snapshot becomes a checkpoint: the oldest of its history,
// as compaction deleted the entries before it. A file of a newer layout than this code knows is refused.
//
// One process at a time may open a data directory; bbolt holds a file lock while it is open.
// So the store serves one node: it does not implement store.Leases, and it ignores the lease
// epochs that fence writes (store.Batch.Epoch, store.Snapshot.Epoch), which it never stores.
package embedded
