-- Rooms, their newest snapshot, and the op log of updates after it.

CREATE TABLE rooms (
    id         text PRIMARY KEY CHECK (id <> ''),
    language   text NOT NULL,
    created_at timestamptz NOT NULL,
    -- The highest seq ever given to an entry of the room's log. It only grows, so seqs are
    -- never reused after compaction deletes the entries that held them, and appends to one
    -- room serialize on this row's lock.
    last_seq   bigint NOT NULL DEFAULT 0 CHECK (last_seq >= 0)
);

-- Exactly one row per room, created with it (the initial state at seq 0), replaced by Compact.
CREATE TABLE room_snapshots (
    room_id text PRIMARY KEY REFERENCES rooms (id) ON DELETE CASCADE,
    seq     bigint NOT NULL CHECK (seq >= 0),
    state   bytea
);

CREATE TABLE room_log (
    room_id text NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    seq     bigint NOT NULL CHECK (seq > 0),
    update  bytea NOT NULL,
    PRIMARY KEY (room_id, seq)
);
