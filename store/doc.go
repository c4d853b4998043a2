// Package store defines how pairpad keeps rooms durable: room metadata (Rooms), among it who
// may open a room and how (Access, whose links RoomByLink resolves), and each room's op log of
// accepted updates with snapshots of encoded state (Log), and what the log was (History): the
// entries compaction covered, the snapshots kept as checkpoints and the server's versions. A
// Store is all three.
// Each backend lives in a sub-package (postgres, embedded) and passes the same conformance
// suite, storetest.Run.
package store
