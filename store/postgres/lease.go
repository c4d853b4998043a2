package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pairpad/pairpad/store"
)

var _ store.Leases = (*Store)(nil)

// releasedChannel is the SQL expression of the channel ReleaseLease notifies and
// WatchReleases listens on: pairpad_lease_released_ and the oid of the room_leases table the
// connection's search_path finds. Channels belong to the whole database, so stores in
// different schemas of one database would hear each other's releases on a channel of one
// name; the table's oid scopes the channel to the stores that share the leases. A
// notification's payload is the released room's id, and nothing else.
const releasedChannel = `'pairpad_lease_released_' || 'room_leases'::regclass::oid`

// maxNotifiedRoomLen is the longest room id, in bytes, whose release ReleaseLease announces:
// Postgres refuses a NOTIFY payload of 8000 bytes or more. Room ids have no bound of their own
// (pairpad gives 22-byte ones, but the ids of rooms created before links could be of any
// length), so the release of a room whose id is longer is made but not announced, and other
// nodes find the lease free when they next look, as after an expiry.
const maxNotifiedRoomLen = 7999

// leaseColumns are the columns scanLease scans, of a room_leases row l at the store's clock
// c.now (storeClock): each is its zero value when l is NULL, a room whose lease nobody ever
// held. The remaining time is in whole microseconds.
const leaseColumns = `coalesce(l.node, ''), coalesce(l.addr, ''), coalesce(l.epoch, 0),
	coalesce(l.expires_at > c.now, false),
	coalesce(greatest(extract(epoch FROM l.expires_at - c.now), 0) * 1000000, 0)::bigint`

// storeClock reads the database's clock once, as c.now, so that a lease's Held and Remaining
// agree.
const storeClock = `(SELECT clock_timestamp() AS now) c`

// acquireLease takes room $1's lease for node $2 at addr $3 for $4 microseconds in one
// statement: it inserts the room's first lease row, or updates the row, under its lock, if the
// lease is free (expired or released) or $2's already, raising the epoch by one. It returns no
// row when another node holds the lease, and fails on the foreign key for an unknown room.
// Expiries are all on the database's clock, read when the row is locked.
const acquireLease = `
	WITH acquired AS (
		INSERT INTO room_leases AS l (room_id, node, addr, epoch, expires_at)
		VALUES ($1, $2, $3, 1, clock_timestamp() + $4::bigint * interval '1 microsecond')
		ON CONFLICT (room_id) DO UPDATE
		SET node = excluded.node, addr = excluded.addr, epoch = l.epoch + 1, expires_at = excluded.expires_at
		WHERE l.expires_at <= clock_timestamp() OR l.node = excluded.node
		RETURNING l.node, l.addr, l.epoch, l.expires_at
	)
	SELECT ` + leaseColumns + ` FROM acquired l, ` + storeClock

// AcquireLease takes the lease in one statement if it is free or node's. When another node
// holds it, a second statement reads the holder's lease: the first one's snapshot may predate
// the commit of the holder that beat it.
func (s *Store) AcquireLease(ctx context.Context, room, node, addr string, ttl time.Duration) (store.Lease, error) {
	if err := checkTTL(ttl); err != nil {
		return store.Lease{}, fmt.Errorf("store/postgres: acquire lease of room %q: %w", room, err)
	}
	if !isText(room) {
		return store.Lease{}, fmt.Errorf("store/postgres: acquire lease of room %q: %w", room, store.ErrNotFound)
	}
	lease, err := scanLease(s.pool.QueryRow(ctx, acquireLease, room, node, addr, ttl.Microseconds()), room)
	if errors.Is(err, pgx.ErrNoRows) {
		return s.LeaseOf(ctx, room)
	}
	if err != nil {
		return store.Lease{}, fmt.Errorf("store/postgres: acquire lease of room %q: %w", room, unknownRoom(err))
	}
	return lease, nil
}

// renewLeases extends by $4 microseconds the leases node $1 holds of rooms $2 at epochs $3 (in
// step), in one statement. It locks the rows first, in the byte order of their room ids, as
// AppendBatches locks them, so that a renewal and a group commit never wait for each other in
// a cycle. A lease that expired is not renewed, even if nobody took it since.
const renewLeases = `
	WITH held AS (
		SELECT l.room_id FROM room_leases l
		JOIN unnest($2::text[], $3::bigint[]) AS r (room_id, epoch) ON r.room_id = l.room_id AND r.epoch = l.epoch
		WHERE l.node = $1 AND l.expires_at > clock_timestamp()
		ORDER BY l.room_id COLLATE "C"
		FOR NO KEY UPDATE OF l
	)
	UPDATE room_leases l SET expires_at = clock_timestamp() + $4::bigint * interval '1 microsecond'
	FROM held WHERE l.room_id = held.room_id
	RETURNING l.room_id`

// RenewLeases renews every lease node still holds at the epoch given in one statement, and
// returns their rooms in no particular order. A lease that expired is lost, even if no other
// node took it since: the node must acquire it again, at a new epoch, as its fenced writes
// fail from the moment it expired. Rooms that do not exist are not renewed.
func (s *Store) RenewLeases(ctx context.Context, node string, epochs map[string]uint64, ttl time.Duration) ([]string, error) {
	if err := checkTTL(ttl); err != nil {
		return nil, fmt.Errorf("store/postgres: renew leases of node %q: %w", node, err)
	}
	rooms := make([]string, 0, len(epochs))
	held := make([]int64, 0, len(epochs))
	for room, epoch := range epochs {
		if isText(room) {
			rooms = append(rooms, room)
			held = append(held, bigint(epoch))
		}
	}
	rows, _ := s.pool.Query(ctx, renewLeases, node, rooms, held, ttl.Microseconds())
	renewed, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("store/postgres: renew leases of node %q: %w", node, err)
	}
	return renewed, nil
}

// releaseLease ends room $1's lease if node $2 holds it at epoch $3, and notifies
// releasedChannel in the same statement, so the notification goes out when the release
// commits, and only if it does. A room id too long for a payload is not announced.
const releaseLease = `
	WITH released AS (
		UPDATE room_leases SET expires_at = clock_timestamp()
		WHERE room_id = $1 AND node = $2 AND epoch = $3 AND expires_at > clock_timestamp()
		RETURNING room_id
	)
	SELECT pg_notify(` + releasedChannel + `, room_id) FROM released WHERE octet_length(room_id) <= $4`

// ReleaseLease sets the lease's expiry to the database's clock in one statement, keeping its
// epoch. A lease node does not hold at epoch (taken by another node, expired, released, or of
// an unknown room) is left as it is, and the call returns nil.
func (s *Store) ReleaseLease(ctx context.Context, room, node string, epoch uint64) error {
	if !isText(room) {
		return nil
	}
	if _, err := s.pool.Exec(ctx, releaseLease, room, node, bigint(epoch), maxNotifiedRoomLen); err != nil {
		return fmt.Errorf("store/postgres: release lease of room %q: %w", room, err)
	}
	return nil
}

// LeaseOf reads the room's lease with the room's row, so that a room nobody ever held (no
// lease row) returns a Lease with only its Room set, and an unknown room store.ErrNotFound.
func (s *Store) LeaseOf(ctx context.Context, room string) (store.Lease, error) {
	if !isText(room) {
		return store.Lease{}, fmt.Errorf("store/postgres: lease of room %q: %w", room, store.ErrNotFound)
	}
	lease, err := scanLease(s.pool.QueryRow(ctx, `
		SELECT `+leaseColumns+`
		FROM rooms r LEFT JOIN room_leases l ON l.room_id = r.id, `+storeClock+`
		WHERE r.id = $1`, room), room)
	if err != nil {
		return store.Lease{}, fmt.Errorf("store/postgres: lease of room %q: %w", room, notFound(err))
	}
	return lease, nil
}

// WatchReleases listens on releasedChannel on a connection of its own, taken from the pool
// (and not given back: it is closed when the call returns). It ends with ctx's error when
// ctx ends, with an error when the connection fails, and when the store is closed.
func (s *Store) WatchReleases(ctx context.Context, released func(room string)) error {
	watch, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(s.closed, cancel)()
	err := s.watchReleases(watch, released)
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case s.closed.Err() != nil:
		return errClosed
	}
	return fmt.Errorf("store/postgres: watch lease releases: %w", err)
}

// watchReleases calls released for each notification on releasedChannel until ctx ends or the
// connection fails.
func (s *Store) watchReleases(ctx context.Context, released func(room string)) error {
	pooled, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	conn := pooled.Hijack()
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		conn.Close(ctx)
	}()
	var channel string
	if err := conn.QueryRow(ctx, `SELECT `+releasedChannel).Scan(&channel); err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, `LISTEN `+pgx.Identifier{channel}.Sanitize()); err != nil {
		return err
	}
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		released(n.Payload)
	}
}

// scanLease scans the leaseColumns of room's lease.
func scanLease(row pgx.Row, room string) (store.Lease, error) {
	l := store.Lease{Room: room}
	var remaining int64
	if err := row.Scan(&l.Node, &l.Addr, &l.Epoch, &l.Held, &remaining); err != nil {
		return store.Lease{}, err
	}
	l.Remaining = time.Duration(remaining) * time.Microsecond
	return l, nil
}

// checkTTL refuses a lease time that is not positive, or not a whole microsecond or more.
func checkTTL(ttl time.Duration) error {
	if ttl < time.Microsecond {
		return fmt.Errorf("lease ttl %v is under a microsecond", ttl)
	}
	return nil
}

// isText reports whether s can be a room id: Postgres text holds no NUL byte and no invalid
// UTF-8, so no room has such an id, and a query naming one would fail.
func isText(s string) bool {
	return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0
}

// unknownRoom turns a violation of room_leases' foreign key, a lease of a room that does not
// exist, into store.ErrNotFound.
func unknownRoom(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23503" {
		return store.ErrNotFound
	}
	return err
}
