package harness

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Databases creates and drops the databases of a benchmark's runs on one Postgres server.
// Its methods are not safe for concurrent use.
type Databases struct {
	url   string
	admin *pgx.Conn
}

// OpenDatabases connects to the Postgres server of connString, whose user may create
// databases.
func OpenDatabases(ctx context.Context, connString string) (*Databases, error) {
	admin, err := pgx.Connect(ctx, connString)
	if err != nil {
		return nil, err
	}
	return &Databases{url: connString, admin: admin}, nil
}

// Close closes the connection; it drops nothing.
func (d *Databases) Close(ctx context.Context) error { return d.admin.Close(ctx) }

// New creates a database of its own, named pairpad_bench_<random>, and returns the connection
// string that names it, and the function that drops it (once every process using it has
// exited: the drop forces their connections closed).
func (d *Databases) New(ctx context.Context) (string, func(), error) {
	name := "pairpad_bench_" + strings.ToLower(rand.Text())
	db := pgx.Identifier{name}.Sanitize()
	if _, err := d.admin.Exec(ctx, "CREATE DATABASE "+db); err != nil {
		return "", nil, fmt.Errorf("create a database: %w", err)
	}
	drop := func() {
		if _, err := d.admin.Exec(ctx, "DROP DATABASE "+db+" WITH (FORCE)"); err != nil {
			fmt.Fprintf(os.Stderr, "drop database %s: %v\n", name, err)
		}
	}
	if !strings.Contains(d.url, "://") {
		return d.url + " dbname=" + name, drop, nil // a key=value connection string: the last wins
	}
	u, err := url.Parse(d.url)
	if err != nil {
		drop()
		return "", nil, err
	}
	u.Path = "/" + name
	return u.String(), drop, nil
}
