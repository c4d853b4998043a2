-- A room's most recent runs of its code (store.Runs), the newest few of each room: SaveRun
-- deletes the older ones in the same transaction. saved orders them: a bigserial, so that a
-- run saved later (or saved again) is newer whatever its started_at.
CREATE TABLE room_runs (
    room_id    text NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    run_id     text NOT NULL,
    saved      bigserial NOT NULL,
    language   text NOT NULL,
    started_by text NOT NULL,
    started_at timestamptz NOT NULL,
    duration   bigint NOT NULL, -- nanoseconds
    exit_code  integer NOT NULL,
    -- What a program prints need not be text: bytea keeps NUL bytes and invalid UTF-8.
    stdout     bytea NOT NULL,
    stderr     bytea NOT NULL,
    timed_out  boolean NOT NULL,
    truncated  boolean NOT NULL,
    PRIMARY KEY (room_id, run_id)
);

CREATE INDEX room_runs_newest ON room_runs (room_id, saved DESC);
