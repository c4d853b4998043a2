-- Each room keeps who may open it, and how (store.Access): its links, its owner and whether it
-- is locked. A room created before this migration gets its id as its edit link, no view link,
-- no owner, and is unlocked, so the links it had still open it.

-- A room's links: one to edit it, and at most one to view it. The primary key makes a link
-- unique across rooms and roles, and is the index RoomByLink looks a link up in. A room's id
-- stays its key in the other tables when its edit link changes. The store bounds a link at 64
-- bytes (store.MaxLinkLen); the table does not, as the ids that rooms created before this
-- migration have as their edit links had no bound.
CREATE TABLE room_links (
    link    text PRIMARY KEY CHECK (link <> ''),
    room_id text NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    role    text NOT NULL CHECK (role IN ('edit', 'view')),
    UNIQUE (room_id, role)
);

INSERT INTO room_links (link, room_id, role) SELECT id, id, 'edit' FROM rooms;

-- The SHA-256 of the owner's token, NULL when the room has no owner.
ALTER TABLE rooms ADD COLUMN owner_hash bytea CHECK (octet_length(owner_hash) = 32);

-- A locked room makes everyone in it a viewer.
ALTER TABLE rooms ADD COLUMN locked boolean NOT NULL DEFAULT false;
