-- Each room keeps its history (store.History): the entries compaction covers stay in room_log,
-- room_snapshots keeps the snapshots marked as checkpoints beside the current one, and
-- room_versions holds the server's summaries of bursts of editing.

-- Who sent the update as people know them (at most store.MaxAuthorLen bytes), '' for the
-- entries logged before this migration.
ALTER TABLE room_log ADD COLUMN author text NOT NULL DEFAULT ''
    CHECK (octet_length(author) <= 64);

-- A room's snapshots, keyed by seq: the newest is the current one (what Load returns), the
-- others are checkpoints. A snapshot that is not a checkpoint is deleted when Compact stores
-- the next. The oldest row is where the room's history starts: TrimHistory deletes the rows,
-- entries and versions before it. Every snapshot stored before this migration is the oldest
-- point of its room's history (compaction deleted the entries before it), so it is a checkpoint.
ALTER TABLE room_snapshots ADD COLUMN checkpoint boolean NOT NULL DEFAULT false;
UPDATE room_snapshots SET checkpoint = true;
ALTER TABLE room_snapshots DROP CONSTRAINT room_snapshots_pkey;
ALTER TABLE room_snapshots ADD PRIMARY KEY (room_id, seq);

-- The bytes of the room's history (store.History.HistoryBytes): the updates of its entries and
-- the states of its checkpoints, kept up to date by every statement that changes them, so that
-- reading it is one row.
ALTER TABLE rooms ADD COLUMN history_bytes bigint NOT NULL DEFAULT 0;
UPDATE rooms r SET history_bytes =
    coalesce((SELECT sum(octet_length(update)) FROM room_log l WHERE l.room_id = r.id), 0) +
    coalesce((SELECT sum(octet_length(state)) FROM room_snapshots s WHERE s.room_id = r.id), 0);

-- A version spans the entries from from_seq to to_seq; a room's versions never overlap, so
-- the primary key orders them by to_seq too, and a page of the timeline is one index scan.
CREATE TABLE room_versions (
    room_id   text NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    from_seq  bigint NOT NULL CHECK (from_seq > 0),
    to_seq    bigint NOT NULL CHECK (to_seq >= from_seq),
    from_at   timestamptz NOT NULL,
    to_at     timestamptz NOT NULL,
    authors   text[] NOT NULL,
    added     bigint NOT NULL CHECK (added >= 0),
    removed   bigint NOT NULL CHECK (removed >= 0),
    restore   bigint NOT NULL CHECK (restore >= 0),
    PRIMARY KEY (room_id, from_seq)
);
