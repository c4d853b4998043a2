package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pairpad/pairpad/store"
)

// SaveRun replaces the run with the same id, if any, then drops the room's runs past the
// newest keep, in one transaction. The room's row, locked FOR NO KEY UPDATE first, orders concurrent
// saves of one room and refuses a room that does not exist.
func (s *Store) SaveRun(ctx context.Context, id string, run store.Run, keep int) error {
	if err := store.CheckRun(run); err != nil {
		return err
	}
	if keep < 1 {
		return fmt.Errorf("store/postgres: save run: keep %d is not positive", keep)
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var found string
		if err := tx.QueryRow(ctx, `SELECT id FROM rooms WHERE id = $1 FOR NO KEY UPDATE`, id).Scan(&found); err != nil {
			return notFound(err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM room_runs WHERE room_id = $1 AND run_id = $2`, id, run.ID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `
			INSERT INTO room_runs (room_id, run_id, language, started_by, started_at, duration, exit_code, stdout, stderr, timed_out, truncated)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			id, run.ID, run.Language, run.StartedBy, run.StartedAt, int64(run.Duration), run.ExitCode,
			[]byte(run.Stdout), []byte(run.Stderr), run.TimedOut, run.Truncated); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `
			DELETE FROM room_runs WHERE room_id = $1 AND saved < (
				SELECT min(saved) FROM (SELECT saved FROM room_runs WHERE room_id = $1 ORDER BY saved DESC LIMIT $2) newest)`,
			id, keep)
		return err
	})
	if err != nil {
		return fmt.Errorf("store/postgres: save run of room %q: %w", id, err)
	}
	return nil
}

// Runs reads the newest runs through room_runs_newest.
func (s *Store) Runs(ctx context.Context, id string, limit int) ([]store.Run, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("store/postgres: runs of room %q: limit %d is not positive", id, limit)
	}
	var runs []store.Run
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var found string
		if err := tx.QueryRow(ctx, `SELECT id FROM rooms WHERE id = $1`, id).Scan(&found); err != nil {
			return notFound(err)
		}
		rows, _ := tx.Query(ctx, `
			SELECT run_id, language, started_by, started_at, duration, exit_code, stdout, stderr, timed_out, truncated
			FROM room_runs WHERE room_id = $1 ORDER BY saved DESC LIMIT $2`, id, limit)
		var err error
		runs, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Run, error) {
			var r store.Run
			var d int64
			var stdout, stderr []byte
			err := row.Scan(&r.ID, &r.Language, &r.StartedBy, &r.StartedAt, &d, &r.ExitCode, &stdout, &stderr, &r.TimedOut, &r.Truncated)
			r.Duration, r.StartedAt, r.Stdout, r.Stderr = time.Duration(d), r.StartedAt.UTC(), string(stdout), string(stderr)
			return r, err
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store/postgres: runs of room %q: %w", id, err)
	}
	return runs, nil
}
