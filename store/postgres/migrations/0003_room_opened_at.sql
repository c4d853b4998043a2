-- Each room keeps when it was last opened (loaded into a server's memory), so that a server with
-- ROOM_TTL can delete the rooms nobody opened for that long. A room created before this
-- migration counts as opened when it was created.

ALTER TABLE rooms ADD COLUMN opened_at timestamptz;
UPDATE rooms SET opened_at = created_at;
ALTER TABLE rooms ALTER COLUMN opened_at SET NOT NULL;

-- The expiry sweep asks for the rooms opened before a time, a few at a time.
CREATE INDEX rooms_opened_at ON rooms (opened_at);
