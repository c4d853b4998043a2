package postgres

import "github.com/jackc/pgx/v5/pgxpool"

// MigrateTo is migrateTo, for the tests that migrate the schema of an older pairpad.
var MigrateTo = migrateTo

// PoolOf returns the store's pool, for a test that holds one of its connections in a
// transaction as a stopped process would.
func PoolOf(s *Store) *pgxpool.Pool { return s.pool }
