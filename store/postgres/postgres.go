package postgres

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pairpad/pairpad/store"
)

var (
	errEmptyID = errors.New("store/postgres: empty room id")
	errClosed  = errors.New("store/postgres: store closed")
)

// Store is a store.Store in a Postgres database, and its store.Leases. It owns its pool and is
// safe for concurrent use. Every method runs in one transaction, so it commits (durably:
// Postgres flushes the write-ahead log at commit) or has no effect.
type Store struct {
	pool *pgxpool.Pool
	// closed is cancelled by Close, which ends every WatchReleases.
	closed context.Context
	close  context.CancelFunc
}

var _ store.Store = (*Store)(nil)

// IdleTransactionTimeout is how long Postgres lets a session of the store sit idle inside a
// transaction before it ends the session, rolling the transaction back and releasing its locks
// (idle_in_transaction_session_timeout; a connection string may set another).
const IdleTransactionTimeout = "5s"

// Open connects to databaseURL (a URL or key=value string, as pgxpool.ParseConfig reads it)
// and applies pending migrations. It fails if the database cannot be reached.
func Open(ctx context.Context, databaseURL string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("store/postgres: %w", err)
	}
	return OpenConfig(ctx, cfg)
}

// OpenConfig is Open with a parsed configuration, for settings a URL does not carry (pool
// sizes, hooks, runtime parameters such as search_path). cfg must come from
// pgxpool.ParseConfig.
func OpenConfig(ctx context.Context, cfg *pgxpool.Config) (*Store, error) {
	if cfg.ConnConfig.RuntimeParams["idle_in_transaction_session_timeout"] == "" {
		// Every transaction of the store sends its statements without waiting on anything
		// but the database. One left idle is a process that stopped in its middle (paused,
		// partitioned): its row locks would keep another node from taking its rooms' leases
		// until it woke up. Postgres ends such a session instead.
		cfg.ConnConfig.RuntimeParams["idle_in_transaction_session_timeout"] = IdleTransactionTimeout
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("store/postgres: %w", err)
	}
	if err := Migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	closed, close := context.WithCancel(context.Background())
	return &Store{pool: pool, closed: closed, close: close}, nil
}

// linkRows is the rows (link, role) of room_links that hold a room's links, the edit link $2
// and the view link $3: no row for an empty view link.
const linkRows = `(VALUES ($2::text, 'edit'), ($3::text, 'view')) AS l (link, role) WHERE l.link <> ''`

// createRoom inserts the room ($1), opened when it is created ($4), its owner ($6) and lock
// ($7), its seq-0 snapshot ($5), a checkpoint, and its links in one statement. When the id is taken, ON
// CONFLICT inserts none of them and the statement reports no rows; when a link is taken,
// room_links' primary key fails the whole statement.
const createRoom = `
	WITH room AS (
		INSERT INTO rooms (id, created_at, opened_at, owner_hash, locked, history_bytes)
		VALUES ($1, $4, $4, $6, $7, coalesce(octet_length($5::bytea), 0))
		ON CONFLICT (id) DO NOTHING
		RETURNING id
	), snapshot AS (
		INSERT INTO room_snapshots (room_id, seq, state, checkpoint) SELECT id, 0, $5, true FROM room
	)
	INSERT INTO room_links (link, room_id, role) SELECT l.link, room.id, l.role FROM room, ` + linkRows

// CreateRoom stores a new room, its links and its initial snapshot in one statement.
func (s *Store) CreateRoom(ctx context.Context, room store.Room, initial []byte) error {
	if room.ID == "" {
		return errEmptyID
	}
	a := room.Access
	if a.EditID == "" {
		a.EditID = room.ID
	}
	if err := store.CheckAccess(a); err != nil {
		return fmt.Errorf("store/postgres: create room %q: %w", room.ID, err)
	}
	tag, err := s.pool.Exec(ctx, createRoom, room.ID, a.EditID, a.ViewID, room.CreatedAt, initial, a.OwnerHash, a.Locked)
	if err == nil && tag.RowsAffected() == 0 {
		err = store.ErrExists
	}
	if err != nil {
		return fmt.Errorf("store/postgres: create room %q: %w", room.ID, linkTaken(err))
	}
	return nil
}

// CountRooms returns how many rows the rooms table has.
func (s *Store) CountRooms(ctx context.Context) (int, error) {
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM rooms`).Scan(&n); err != nil {
		return 0, fmt.Errorf("store/postgres: count rooms: %w", err)
	}
	return n, nil
}

// selectRoom reads rooms with their links, the columns scanRoom scans; a WHERE clause follows.
const selectRoom = `
	SELECT r.id, r.created_at, r.opened_at, e.link, coalesce(v.link, ''), r.owner_hash, r.locked
	FROM rooms r
	JOIN room_links e ON e.room_id = r.id AND e.role = 'edit'
	LEFT JOIN room_links v ON v.room_id = r.id AND v.role = 'view'`

// Room returns a room's metadata, or store.ErrNotFound.
func (s *Store) Room(ctx context.Context, id string) (store.Room, error) {
	room, err := scanRoom(s.pool.QueryRow(ctx, selectRoom+` WHERE r.id = $1`, id))
	if err != nil {
		return store.Room{}, fmt.Errorf("store/postgres: room %q: %w", id, notFound(err))
	}
	return room, nil
}

// RoomByLink finds the room in one query, through room_links' primary key, then rooms'.
func (s *Store) RoomByLink(ctx context.Context, link string) (store.Room, error) {
	// Postgres text holds no such string, so no room has it as a link, and a query would fail.
	if !utf8.ValidString(link) || strings.IndexByte(link, 0) >= 0 {
		return store.Room{}, fmt.Errorf("store/postgres: room of link %q: %w", link, store.ErrNotFound)
	}
	room, err := scanRoom(s.pool.QueryRow(ctx, selectRoom+` WHERE r.id = (SELECT room_id FROM room_links WHERE link = $1)`, link))
	if err != nil {
		return store.Room{}, fmt.Errorf("store/postgres: room of link %q: %w", link, notFound(err))
	}
	return room, nil
}

// scanRoom scans the row of a selectRoom query.
func scanRoom(row pgx.Row) (store.Room, error) {
	var r store.Room
	a := &r.Access
	if err := row.Scan(&r.ID, &r.CreatedAt, &r.OpenedAt, &a.EditID, &a.ViewID, &a.OwnerHash, &a.Locked); err != nil {
		return store.Room{}, err
	}
	r.CreatedAt, r.OpenedAt = r.CreatedAt.UTC(), r.OpenedAt.UTC()
	return r, nil
}

// SetAccess updates a room's row, which locks it, and replaces its links, in one transaction.
func (s *Store) SetAccess(ctx context.Context, id string, a store.Access) error {
	if err := store.CheckAccess(a); err != nil {
		return fmt.Errorf("store/postgres: set access of room %q: %w", id, err)
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE rooms SET owner_hash = $2, locked = $3 WHERE id = $1`, id, a.OwnerHash, a.Locked)
		if err == nil && tag.RowsAffected() == 0 {
			err = store.ErrNotFound
		}
		if err != nil {
			return err
		}
		var b pgx.Batch
		b.Queue(`DELETE FROM room_links WHERE room_id = $1`, id)
		b.Queue(`INSERT INTO room_links (link, room_id, role) SELECT l.link, $1::text, l.role FROM `+linkRows, id, a.EditID, a.ViewID)
		return tx.SendBatch(ctx, &b).Close()
	})
	if err != nil {
		return fmt.Errorf("store/postgres: set access of room %q: %w", id, linkTaken(err))
	}
	return nil
}

// MarkOpened sets a room's opened_at.
func (s *Store) MarkOpened(ctx context.Context, id string, t time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE rooms SET opened_at = $2 WHERE id = $1`, id, t)
	if err == nil && tag.RowsAffected() == 0 {
		err = store.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("store/postgres: mark room %q opened: %w", id, err)
	}
	return nil
}

// RoomsOpenedBefore returns the rooms opened longest ago first, through the index on
// opened_at.
func (s *Store) RoomsOpenedBefore(ctx context.Context, t time.Time, limit int) ([]string, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("store/postgres: rooms opened before %v: limit %d is not positive", t, limit)
	}
	rows, _ := s.pool.Query(ctx, `SELECT id FROM rooms WHERE opened_at < $1 ORDER BY opened_at LIMIT $2`, t, limit)
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("store/postgres: rooms opened before %v: %w", t, err)
	}
	return ids, nil
}

// DeleteRoom deletes a room's lease, then its row, in one pipeline, so in one round trip and
// one implicit transaction: its links, its snapshots, its log and its versions go with the row
// (ON DELETE CASCADE). An Append to the room holds the row's lock, so the two take turns. The
// lease goes first because a fenced write locks the lease row before the room's, and deleting
// the room's row alone would lock them the other way round (the cascade comes after the row):
// a fenced Append and a DeleteRoom could each wait for the other, until Postgres broke the
// deadlock by failing one.
func (s *Store) DeleteRoom(ctx context.Context, id string) error {
	var b pgx.Batch
	b.Queue(`DELETE FROM room_leases WHERE room_id = $1`, id)
	b.Queue(`DELETE FROM rooms WHERE id = $1`, id).Exec(func(tag pgconn.CommandTag) error {
		if tag.RowsAffected() == 0 {
			return store.ErrNotFound
		}
		return nil
	})
	if err := s.pool.SendBatch(ctx, &b).Close(); err != nil {
		return fmt.Errorf("store/postgres: delete room %q: %w", id, err)
	}
	return nil
}

// Load reads a room's snapshot and the entries after it in one repeatable-read transaction, so
// a Compact committing in between cannot make it miss entries.
func (s *Store) Load(ctx context.Context, id string) (store.Snapshot, []store.Entry, error) {
	var snap store.Snapshot
	var log []store.Entry
	opts := pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}
	err := pgx.BeginTxFunc(ctx, s.pool, opts, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `
			SELECT seq, state, checkpoint FROM room_snapshots
			WHERE room_id = $1 ORDER BY seq DESC LIMIT 1`, id).Scan(&snap.Seq, &snap.State, &snap.Checkpoint)
		if err != nil {
			return notFound(err)
		}
		rows, _ := tx.Query(ctx, selectEntries+` WHERE room_id = $1 AND seq > $2 ORDER BY seq`, id, snap.Seq)
		log, err = pgx.CollectRows(rows, scanEntry)
		return err
	})
	if err != nil {
		return store.Snapshot{}, nil, fmt.Errorf("store/postgres: load room %q: %w", id, err)
	}
	return snap, log, nil
}

// selectEntries reads the rows of room_log that scanEntry scans; a WHERE clause follows.
const selectEntries = `SELECT seq, update, accepted_at, session, author FROM room_log`

// scanEntry reads a row of selectEntries. A NULL accepted_at (unknown) is the zero time.
func scanEntry(row pgx.CollectableRow) (store.Entry, error) {
	var e store.Entry
	var at *time.Time
	if err := row.Scan(&e.Seq, &e.Update, &at, &e.Session, &e.Author); err != nil {
		return store.Entry{}, err
	}
	if at != nil {
		e.Time = at.UTC()
	}
	return e, nil
}

// appendRoom allocates the seqs of a batch (updates $2) in room $1's row and counts its bytes
// into the room's history; a condition may follow its WHERE.
const appendRoom = `
		UPDATE rooms SET last_seq = last_seq + cardinality($2::bytea[]),
			history_bytes = history_bytes + (SELECT coalesce(sum(octet_length(u)), 0) FROM unnest($2::bytea[]) u)
		WHERE id = $1`

// appendEntries inserts a batch (one array per column: updates $2, times $3, sessions $4,
// authors $5) into room $1's log, giving out in array order the seqs appendRoom allocated.
const appendEntries = `
	logged AS (
		INSERT INTO room_log (room_id, seq, update, accepted_at, session, author)
		SELECT $1, room.last_seq - cardinality($2::bytea[]) + u.ord, u.data, u.accepted_at, u.session, u.author
		FROM room, unnest($2::bytea[], $3::timestamptz[], $4::text[], $5::text[]) WITH ORDINALITY
			AS u(data, accepted_at, session, author, ord)
	)`

// appendLog numbers and inserts a batch in one statement, so in one implicit transaction: the
// UPDATE locks the room's row until commit, and the INSERT gives the seqs out. It returns no
// row for an unknown room.
const appendLog = `
	WITH room AS (` + appendRoom + `
		RETURNING last_seq
	), ` + appendEntries + `
	SELECT last_seq FROM room`

// appendFenced is appendLog fenced by the lease epoch $6. It first locks room $1's lease row
// FOR SHARE if the lease is held at $6, on the database's clock when the row is locked, and
// updates the room's row only then: an AcquireLease, which updates the lease row, either
// waits until the batch commits, or commits first, and then the lock, taken on the new
// version of the row, finds another epoch and the batch writes nothing. It returns no row for
// an unknown room, and a NULL last seq when the lease fenced the batch out.
const appendFenced = `
	WITH lease AS (
		SELECT FROM room_leases WHERE room_id = $1 AND epoch = $6 AND expires_at > clock_timestamp()
		FOR SHARE
	), room AS (` + appendRoom + ` AND EXISTS (SELECT FROM lease)
		RETURNING last_seq
	), ` + appendEntries + `
	SELECT (SELECT last_seq FROM room) FROM rooms WHERE id = $1`

// heldLease is the condition that room $1's lease is held at epoch $2, on the database's
// clock.
const heldLease = `room_id = $1 AND epoch = $2 AND expires_at > clock_timestamp()`

// Append adds entries to a room's log in one statement, committed before it returns. The
// batch travels as one array parameter per column: one round trip and one commit whatever
// its size. With no entries it only reads the room's last seq.
func (s *Store) Append(ctx context.Context, id string, entries []store.Entry) (uint64, error) {
	if err := store.CheckEntries(entries); err != nil {
		return 0, fmt.Errorf("store/postgres: append to room %q: %w", id, err)
	}
	var last uint64
	sql, args := appendStatement(store.Batch{Room: id, Entries: entries})
	if err := s.pool.QueryRow(ctx, sql, args...).Scan(&last); err != nil {
		return 0, fmt.Errorf("store/postgres: append to room %q: %w", id, notFound(err))
	}
	return last, nil
}

// appendStatement returns the statement that appends a batch and returns its room's last seq:
// no row for an unknown room, and NULL when the batch is fenced (b.Epoch) by a lease no longer
// held at its epoch. With no entries it only reads the last seq, and the lease when fenced.
func appendStatement(b store.Batch) (sql string, args []any) {
	switch {
	case len(b.Entries) == 0 && b.Epoch == 0:
		return `SELECT last_seq FROM rooms WHERE id = $1`, []any{b.Room}
	case len(b.Entries) == 0:
		return `SELECT CASE WHEN EXISTS (SELECT FROM room_leases WHERE ` + heldLease + `) THEN last_seq END
			FROM rooms WHERE id = $1`, []any{b.Room, bigint(b.Epoch)}
	}
	updates, times, sessions, authors := columns(b.Entries)
	if b.Epoch == 0 {
		return appendLog, []any{b.Room, updates, times, sessions, authors}
	}
	return appendFenced, []any{b.Room, updates, times, sessions, authors, bigint(b.Epoch)}
}

// AppendBatches appends every batch in one transaction whose statements travel in one
// pipeline: one round trip and one commit for all the rooms. Batches are applied in the order
// of their rooms' ids (a stable sort keeps one room's batches in order), so that two calls lock
// rooms, and the leases of fenced batches, in the same order. A batch for an unknown room finds
// no row and fails alone, and so does a fenced batch whose lease moved on (ErrLeaseLost);
// entries CheckEntries refuses fail their batch before anything is sent.
func (s *Store) AppendBatches(ctx context.Context, batches []store.Batch) []store.BatchResult {
	results := make([]store.BatchResult, len(batches))
	order := make([]int, 0, len(batches))
	for i, b := range batches {
		if err := store.CheckEntries(b.Entries); err != nil {
			results[i].Err = fmt.Errorf("store/postgres: append to room %q: %w", b.Room, err)
			continue
		}
		order = append(order, i)
	}
	slices.SortStableFunc(order, func(a, b int) int { return strings.Compare(batches[a].Room, batches[b].Room) })
	// One round trip: the statements of a batch sent at once run in one implicit transaction,
	// which needs no BEGIN and no COMMIT of its own (each a round trip more).
	err := func() error {
		var pipeline pgx.Batch
		for _, i := range order {
			sql, args := appendStatement(batches[i])
			pipeline.Queue(sql, args...)
		}
		replies := s.pool.SendBatch(ctx, &pipeline)
		for _, i := range order {
			var last *uint64
			err := replies.QueryRow().Scan(&last)
			switch {
			case errors.Is(err, pgx.ErrNoRows):
				results[i].Err = fmt.Errorf("store/postgres: append to room %q: %w", batches[i].Room, store.ErrNotFound)
			case err != nil:
				replies.Close()
				return err
			case last == nil:
				results[i].Err = fmt.Errorf("store/postgres: append to room %q at epoch %d: %w", batches[i].Room, batches[i].Epoch, store.ErrLeaseLost)
			default:
				results[i].LastSeq = *last
			}
		}
		return replies.Close()
	}()
	if err != nil {
		for _, i := range order {
			results[i] = store.BatchResult{Err: fmt.Errorf("store/postgres: append batches: %w", err)}
		}
	}
	return results
}

// Compact stores a room's new snapshot in one transaction, holding the room's row lock so no
// Append interleaves: it inserts the snapshot's row and deletes the current one's unless that
// is a checkpoint (or, at the same seq, updates the current row). A snapshot past the room's
// last seq is an error. The entries stay. A fenced snapshot (snap.Epoch) first locks the
// room's lease, as appendFenced does, in a statement of its own.
func (s *Store) Compact(ctx context.Context, id string, snap store.Snapshot) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if snap.Epoch != 0 {
			if err := holdLease(ctx, tx, id, snap.Epoch); err != nil {
				return err
			}
		}
		var stored, last uint64
		var checkpoint bool
		var size int64
		err := tx.QueryRow(ctx, `
			SELECT s.seq, s.checkpoint, coalesce(octet_length(s.state), 0), r.last_seq
			FROM rooms r, LATERAL (
				SELECT seq, checkpoint, state FROM room_snapshots
				WHERE room_id = r.id ORDER BY seq DESC LIMIT 1
			) s
			WHERE r.id = $1
			FOR UPDATE OF r`, id).Scan(&stored, &checkpoint, &size, &last)
		switch {
		case err != nil:
			return notFound(err)
		case snap.Seq < stored:
			return fmt.Errorf("%w: seq %d, stored %d", store.ErrStaleSnapshot, snap.Seq, stored)
		case snap.Seq > last:
			return fmt.Errorf("snapshot at seq %d is past the last seq %d", snap.Seq, last)
		}
		var added int64 // to the room's history bytes
		var b pgx.Batch
		if snap.Seq == stored {
			if checkpoint {
				added -= size
			}
			checkpoint = checkpoint || snap.Checkpoint
			b.Queue(`UPDATE room_snapshots SET state = $3, checkpoint = $4 WHERE room_id = $1 AND seq = $2`,
				id, snap.Seq, snap.State, checkpoint)
		} else {
			if !checkpoint {
				b.Queue(`DELETE FROM room_snapshots WHERE room_id = $1 AND seq = $2`, id, stored)
			}
			checkpoint = snap.Checkpoint
			b.Queue(`INSERT INTO room_snapshots (room_id, seq, state, checkpoint) VALUES ($1, $2, $3, $4)`,
				id, snap.Seq, snap.State, checkpoint)
		}
		if checkpoint {
			added += int64(len(snap.State))
		}
		b.Queue(`UPDATE rooms SET history_bytes = history_bytes + $2 WHERE id = $1`, id, added)
		return tx.SendBatch(ctx, &b).Close()
	})
	if err != nil {
		return fmt.Errorf("store/postgres: compact room %q: %w", id, err)
	}
	return nil
}

// holdLease locks room id's lease row FOR SHARE until tx ends if the lease is held at epoch,
// so that no AcquireLease commits a new epoch meanwhile, or returns store.ErrLeaseLost, or
// store.ErrNotFound for an unknown room. It locks the lease before the room's row, the order
// every fenced write and DeleteRoom take them in.
func holdLease(ctx context.Context, tx pgx.Tx, id string, epoch uint64) error {
	var held bool
	err := tx.QueryRow(ctx, `
		SELECT EXISTS (SELECT FROM room_leases WHERE `+heldLease+` FOR SHARE)
		FROM rooms WHERE id = $1`, id, bigint(epoch)).Scan(&held)
	if err == nil && !held {
		err = fmt.Errorf("epoch %d: %w", epoch, store.ErrLeaseLost)
	}
	return notFound(err)
}

// Checkpoint reads the newest of the room's snapshots at or before seq through room_snapshots'
// primary key; the room's row tells an unknown room from a trimmed seq.
func (s *Store) Checkpoint(ctx context.Context, id string, seq uint64) (store.Snapshot, error) {
	var snapSeq *uint64
	var snap store.Snapshot
	err := s.pool.QueryRow(ctx, `
		SELECT s.seq, s.state, coalesce(s.checkpoint, false)
		FROM rooms r LEFT JOIN LATERAL (
			SELECT seq, state, checkpoint FROM room_snapshots
			WHERE room_id = r.id AND seq <= $2 ORDER BY seq DESC LIMIT 1
		) s ON true
		WHERE r.id = $1`, id, bigint(seq)).Scan(&snapSeq, &snap.State, &snap.Checkpoint)
	if err == nil && snapSeq == nil {
		err = fmt.Errorf("%w: no snapshot at or before seq %d", store.ErrTrimmed, seq)
	}
	if err != nil {
		return store.Snapshot{}, fmt.Errorf("store/postgres: checkpoint of room %q at %d: %w", id, seq, notFound(err))
	}
	snap.Seq = *snapSeq
	return snap, nil
}

// Entries reads where the room's history starts (its oldest snapshot) and the entries in one
// repeatable-read transaction, so that a TrimHistory committing in between cannot make it miss
// entries without saying so.
func (s *Store) Entries(ctx context.Context, id string, after, upto uint64, limit int) ([]store.Entry, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("store/postgres: entries of room %q: limit %d is not positive", id, limit)
	}
	var log []store.Entry
	opts := pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}
	err := pgx.BeginTxFunc(ctx, s.pool, opts, func(tx pgx.Tx) error {
		var start *uint64
		if err := tx.QueryRow(ctx, `SELECT min(seq) FROM room_snapshots WHERE room_id = $1`, id).Scan(&start); err != nil {
			return err
		}
		switch {
		case start == nil:
			return store.ErrNotFound
		case after < *start:
			return fmt.Errorf("%w: history starts at seq %d", store.ErrTrimmed, *start)
		}
		rows, _ := tx.Query(ctx, selectEntries+` WHERE room_id = $1 AND seq > $2 AND seq <= $3 ORDER BY seq LIMIT $4`,
			id, bigint(after), bigint(upto), limit)
		var err error
		log, err = pgx.CollectRows(rows, scanEntry)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store/postgres: entries of room %q after %d: %w", id, after, err)
	}
	return log, nil
}

// PutVersion checks v against its neighbours and upserts it in one transaction holding the
// room's row lock, so that two PutVersion calls cannot both pass the check.
func (s *Store) PutVersion(ctx context.Context, id string, v store.Version) error {
	if err := store.CheckVersion(v); err != nil {
		return fmt.Errorf("store/postgres: put version of room %q: %w", id, err)
	}
	authors := v.Authors
	if authors == nil {
		authors = []string{} // room_versions.authors is NOT NULL
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var last uint64
		if err := tx.QueryRow(ctx, `SELECT last_seq FROM rooms WHERE id = $1 FOR UPDATE`, id).Scan(&last); err != nil {
			return notFound(err)
		}
		if v.ToSeq > last {
			return fmt.Errorf("%w: it ends at seq %d, past the last seq %d", store.ErrInvalidVersion, v.ToSeq, last)
		}
		// Versions do not overlap, so only the nearest one on each side can overlap v.
		var from, to uint64
		err := tx.QueryRow(ctx, `
			SELECT from_seq, to_seq FROM (
				(SELECT from_seq, to_seq FROM room_versions
				 WHERE room_id = $1 AND from_seq < $2 ORDER BY from_seq DESC LIMIT 1)
				UNION ALL
				(SELECT from_seq, to_seq FROM room_versions
				 WHERE room_id = $1 AND from_seq > $2 ORDER BY from_seq LIMIT 1)
			) n
			WHERE n.to_seq >= $2 AND n.from_seq <= $3`, id, v.FromSeq, v.ToSeq).Scan(&from, &to)
		switch {
		case err == nil:
			return fmt.Errorf("%w: it overlaps the version from seq %d to %d", store.ErrInvalidVersion, from, to)
		case !errors.Is(err, pgx.ErrNoRows):
			return err
		}
		_, err = tx.Exec(ctx, `
			INSERT INTO room_versions (room_id, from_seq, to_seq, from_at, to_at, authors, added, removed, restore)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
			ON CONFLICT (room_id, from_seq) DO UPDATE SET to_seq = excluded.to_seq, from_at = excluded.from_at,
				to_at = excluded.to_at, authors = excluded.authors, added = excluded.added,
				removed = excluded.removed, restore = excluded.restore`,
			id, v.FromSeq, v.ToSeq, v.From, v.To, authors, v.Added, v.Removed, v.Restore)
		return err
	})
	if err != nil {
		return fmt.Errorf("store/postgres: put version of room %q from seq %d: %w", id, v.FromSeq, err)
	}
	return nil
}

// Versions reads a page of versions backwards through room_versions' primary key: a version
// with to_seq < before has from_seq < before too, which bounds the index scan, and the filter
// on to_seq drops at most the one version that spans before. Only when it finds none does it
// look for the room, to tell an unknown room from one without versions.
func (s *Store) Versions(ctx context.Context, id string, before uint64, limit int) ([]store.Version, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("store/postgres: versions of room %q: limit %d is not positive", id, limit)
	}
	bound := bigint(before)
	if before == 0 {
		bound = math.MaxInt64
	}
	rows, _ := s.pool.Query(ctx, `
		SELECT from_seq, to_seq, from_at, to_at, authors, added, removed, restore FROM room_versions
		WHERE room_id = $1 AND from_seq < $2 AND to_seq < $2
		ORDER BY from_seq DESC LIMIT $3`, id, bound, limit)
	vs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Version, error) {
		var v store.Version
		err := row.Scan(&v.FromSeq, &v.ToSeq, &v.From, &v.To, &v.Authors, &v.Added, &v.Removed, &v.Restore)
		v.From, v.To = v.From.UTC(), v.To.UTC()
		return v, err
	})
	if err == nil && len(vs) == 0 {
		err = s.pool.QueryRow(ctx, `SELECT FROM rooms WHERE id = $1`, id).Scan()
	}
	if err != nil {
		return nil, fmt.Errorf("store/postgres: versions of room %q before %d: %w", id, before, notFound(err))
	}
	return vs, nil
}

// trimHistory deletes, for a room ($1), the snapshots before the one it keeps ($2), the entries
// up to it and the versions that end before $3, marks the kept one a checkpoint, and takes what
// it deleted from the room's history bytes, in one statement. Every snapshot before the current
// one is a checkpoint, so each counts in the history bytes.
const trimHistory = `
	WITH snapshots AS (
		DELETE FROM room_snapshots WHERE room_id = $1 AND seq < $2
		RETURNING coalesce(octet_length(state), 0) AS n
	), logged AS (
		DELETE FROM room_log WHERE room_id = $1 AND seq <= $2
		RETURNING octet_length(update) AS n
	), versions AS (
		DELETE FROM room_versions WHERE room_id = $1 AND from_seq < $3 AND to_seq < $3
	), kept AS (
		UPDATE room_snapshots SET checkpoint = true
		WHERE room_id = $1 AND seq = $2 AND NOT checkpoint
		RETURNING coalesce(octet_length(state), 0) AS n
	)
	UPDATE rooms SET history_bytes = history_bytes
		+ (SELECT coalesce(sum(n), 0) FROM kept)
		- (SELECT coalesce(sum(n), 0) FROM snapshots)
		- (SELECT coalesce(sum(n), 0) FROM logged)
	WHERE id = $1`

// TrimHistory finds the snapshot it keeps and deletes what is older in one transaction, holding
// the room's row lock so that no Compact interleaves.
func (s *Store) TrimHistory(ctx context.Context, id string, before uint64) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT FROM rooms WHERE id = $1 FOR UPDATE`, id).Scan(); err != nil {
			return notFound(err)
		}
		var kept uint64
		err := tx.QueryRow(ctx, `
			SELECT seq FROM room_snapshots WHERE room_id = $1 AND seq <= $2
			ORDER BY seq DESC LIMIT 1`, id, bigint(before)).Scan(&kept)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil // before is before the room's history starts: nothing to drop
		}
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, trimHistory, id, kept, bigint(before))
		return err
	})
	if err != nil {
		return fmt.Errorf("store/postgres: trim history of room %q before %d: %w", id, before, err)
	}
	return nil
}

// HistoryBytes reads the room's count, which every change to its history keeps up to date.
func (s *Store) HistoryBytes(ctx context.Context, id string) (int64, error) {
	var n int64
	if err := s.pool.QueryRow(ctx, `SELECT history_bytes FROM rooms WHERE id = $1`, id).Scan(&n); err != nil {
		return 0, fmt.Errorf("store/postgres: history bytes of room %q: %w", id, notFound(err))
	}
	return n, nil
}

// bigint returns seq as a Postgres bigint can hold it: seqs never reach math.MaxInt64, so a
// larger bound means the same as that one.
func bigint(seq uint64) int64 {
	return int64(min(seq, math.MaxInt64))
}

// Ping checks that a connection to the database works, within ctx's deadline.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("store/postgres: ping: %w", err)
	}
	return nil
}

// Close ends every WatchReleases and closes the pool, waiting for connections in use to be
// released. Later calls do nothing.
func (s *Store) Close() error {
	s.close()
	s.pool.Close()
	return nil
}

// notFound turns "no row" into store.ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return store.ErrNotFound
	}
	return err
}

// linkTaken turns a violation of room_links' primary key (a link another room has, or a room's
// two links being one) into store.ErrExists. The message does not repeat the link, a secret.
func linkTaken(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.ConstraintName == "room_links_pkey" {
		return fmt.Errorf("%w: a link is taken", store.ErrExists)
	}
	return err
}

// columns splits entries into the arrays appendLog inserts. pgx sends a nil []byte or
// *time.Time as SQL NULL: a nil update becomes an empty one (room_log.update is NOT NULL),
// and the zero time NULL (unknown).
func columns(entries []store.Entry) (updates [][]byte, times []*time.Time, sessions, authors []string) {
	updates = make([][]byte, len(entries))
	times = make([]*time.Time, len(entries))
	sessions = make([]string, len(entries))
	authors = make([]string, len(entries))
	for i, e := range entries {
		updates[i] = e.Update
		if updates[i] == nil {
			updates[i] = []byte{}
		}
		if !e.Time.IsZero() {
			times[i] = &e.Time
		}
		sessions[i] = e.Session
		authors[i] = e.Author
	}
	return updates, times, sessions, authors
}
