// Package postgres is the store.Store pairpad uses when DATABASE_URL is set: rooms, snapshots,
// the op log and its history in Postgres, through a pgxpool.Pool. It is also the store.Leases
// of the nodes that share the database.
//
// The schema lives only in the numbered SQL files of migrations/, embedded in the binary.
// Migrate applies the pending ones in order, each in its own transaction, and records them in
// schema_migrations; Open calls it, and so does `pairpad migrate`.
//
// A room's links are rows of room_links keyed by the link, so the database itself keeps a link
// to one room and one role, RoomByLink is one query through that primary key, and deleting the
// room's row deletes them. A room's id stays the key of its other rows when its links change.
//
// A room's history (store.History) is rows too: room_log keeps every entry until TrimHistory,
// room_snapshots one row per kept snapshot keyed by (room_id, seq), the newest being the
// current one, and room_versions one row per version keyed by (room_id, from_seq); each read
// is one index scan. rooms.history_bytes counts the history's bytes, kept up to date by every
// statement that changes it.
//
// Appends to one room serialize on its rooms row: rooms.last_seq holds the highest seq ever
// given out, and an Append raises it and inserts the entries it numbered in a single
// statement, so a batch of updates costs one round trip and one commit whatever its size, and
// seqs are never reused after compaction.
//
// A room's lease (store.Leases) is its row of room_leases: node, addr, epoch and expires_at.
// Every decision about expiry reads the database's clock (clock_timestamp(), once the row is
// locked), never a node's. AcquireLease is one INSERT ... ON CONFLICT DO UPDATE that takes the
// row when the lease expired or is the node's own, raising the epoch; ReleaseLease sets
// expires_at to the database's clock, so the row and its epoch stay until the room is deleted.
// A fenced write (store.Batch.Epoch, store.Snapshot.Epoch) locks the lease row FOR SHARE and
// checks its epoch and expiry in the statement that writes (an append) or in the first
// statement of its transaction (Compact), before it locks the room's row: an AcquireLease
// waits for that transaction to end, or the write, once it has waited for the lock, sees the
// new epoch and writes nothing. Every statement locks a room's lease row before its rooms row,
// and the rows of several rooms in the byte order of their ids, so that no two wait for each
// other in a cycle. ReleaseLease notifies, in the statement that releases, so on its commit,
// the channel pairpad_lease_released_<oid of room_leases> (scoped to the schema, as channels
// belong to the whole database) with the room's id; WatchReleases listens on a connection it
// takes out of the pool.
//
// When the database goes away, every method returns an error (after at most ctx's deadline)
// and the pool reconnects once it is back. pgxpool pings a connection that sat idle for over a
// second before handing it out, but one that broke within the last second fails the call that
// uses it. The store does not retry: it cannot always know whether a failed Append committed,
// so that is the caller's decision (reads are safe to retry).
package postgres
