package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrationLockKey is the pg_advisory_xact_lock key that makes migrations of one database
// take turns: "pairpad" in ASCII.
const migrationLockKey int64 = 0x70616972706164

// migration is one file of migrations/, named <version>_<description>.sql.
type migration struct {
	version int
	name    string
	sql     string
}

// Migrate applies the embedded migrations the database lacks, in version order, each in its own
// transaction together with its row in schema_migrations. It is safe to run from several
// processes at once: each transaction first takes an advisory lock, so a process that waited
// finds the migration recorded and skips it. Tables go to the first schema of search_path.
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	return migrateTo(ctx, pool, math.MaxInt)
}

// migrateTo is Migrate up to and including version last, which lets tests build the schema
// of an older pairpad.
func migrateTo(ctx context.Context, pool *pgxpool.Pool, last int) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	for _, m := range ms {
		if m.version > last {
			break
		}
		err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error { return apply(ctx, tx, m) })
		if err != nil {
			return fmt.Errorf("store/postgres: migration %s: %w", m.name, err)
		}
	}
	return nil
}

// apply runs m in tx unless schema_migrations says it ran.
func apply(ctx context.Context, tx pgx.Tx, m migration) error {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLockKey); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `
		CREATE TABLE IF NOT EXISTS schema_migrations (
			version    integer PRIMARY KEY,
			name       text NOT NULL,
			applied_at timestamptz NOT NULL DEFAULT now()
		)`)
	if err != nil {
		return err
	}
	var applied bool
	err = tx.QueryRow(ctx, `SELECT EXISTS (SELECT FROM schema_migrations WHERE version = $1)`, m.version).Scan(&applied)
	if err != nil || applied {
		return err
	}
	// Without arguments pgx sends the simple query protocol, which runs every statement of the file.
	if _, err := tx.Exec(ctx, m.sql); err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.version, m.name)
	return err
}

// migrations returns the embedded migrations sorted by version.
func migrations() ([]migration, error) {
	files, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, fmt.Errorf("store/postgres: %w", err)
	}
	var ms []migration
	for _, path := range files {
		name := strings.TrimPrefix(path, "migrations/")
		prefix, _, _ := strings.Cut(name, "_")
		version, err := strconv.Atoi(prefix)
		if err != nil || version <= 0 {
			return nil, fmt.Errorf("store/postgres: migration %s: name must start with a positive version number", name)
		}
		sql, err := migrationFiles.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("store/postgres: %w", err)
		}
		ms = append(ms, migration{version: version, name: name, sql: string(sql)})
	}
	slices.SortFunc(ms, func(a, b migration) int { return a.version - b.version })
	for i := 1; i < len(ms); i++ {
		if ms[i].version == ms[i-1].version {
			return nil, fmt.Errorf("store/postgres: migrations %s and %s share a version", ms[i-1].name, ms[i].name)
		}
	}
	return ms, nil
}
