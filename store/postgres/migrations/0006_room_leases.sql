-- Each room has at most one owner among the nodes that share the database (store.Leases): a
-- lease row says which node holds the room, until when, and at which epoch. Writes fenced with
-- an epoch (store.Batch.Epoch, store.Snapshot.Epoch) lock the row FOR SHARE and check it in
-- the statement that writes, so they serialize with AcquireLease, which updates it. Rooms
-- created before this migration have no row: nobody ever held them.

-- A room's lease. Releasing or losing a lease never deletes its row, so epoch only grows: a
-- node that acquires the room again gets a higher one than any node had. Deleting the room
-- deletes it. expires_at is on the database's clock, the only clock lease decisions read; the
-- lease is held while expires_at is later than clock_timestamp().
CREATE TABLE room_leases (
    room_id    text PRIMARY KEY REFERENCES rooms (id) ON DELETE CASCADE,
    node       text NOT NULL,
    -- Where other nodes reach the owner (its ADVERTISE_URL).
    addr       text NOT NULL,
    epoch      bigint NOT NULL CHECK (epoch > 0),
    expires_at timestamptz NOT NULL
);
