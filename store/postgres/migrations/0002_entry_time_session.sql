-- Each op log entry keeps when the server accepted it and which connection sent it; a room's
-- language leaves the rooms table.

-- When the server accepted the update. NULL means unknown: the entries logged before this
-- migration have no time (the store returns them with Go's zero time.Time).
ALTER TABLE room_log ADD COLUMN accepted_at timestamptz;

-- The opaque id of the connection that sent the update (at most store.MaxSessionLen bytes),
-- '' for the server's own edits and for the entries logged before this migration.
ALTER TABLE room_log ADD COLUMN session text NOT NULL DEFAULT ''
    CHECK (octet_length(session) <= 64);

-- The room's document is the one home of its language (the "language" key of its "meta" map,
-- which every client sees and edits, and which pairpad has written since it first created a
-- room). This column was a copy written apart from the document, so the two could disagree.
ALTER TABLE rooms DROP COLUMN language;
