// Command createdb creates the Postgres database a connection string names, unless it exists,
// by connecting as the same user to the server's postgres database. make cluster runs it
// before its nodes start, which need their database to exist.
//
//	go run ./scripts/createdb postgres://postgres@127.0.0.1:5432/pairpad_cluster
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: createdb <postgres connection string>")
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := createDatabase(ctx, os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "createdb:", err)
		os.Exit(1)
	}
}

// duplicateDatabase is Postgres's error code for CREATE DATABASE of a name that exists.
const duplicateDatabase = "42P04"

func createDatabase(ctx context.Context, connString string) error {
	cfg, err := pgx.ParseConfig(connString)
	if err != nil {
		return err
	}
	name := cfg.Database
	if name == "" {
		return errors.New("the connection string names no database")
	}
	cfg.Database = "postgres"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return err
	}
	if exists {
		return nil
	}
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	if pgErr, ok := errors.AsType[*pgconn.PgError](err); ok && pgErr.Code == duplicateDatabase {
		return nil // created meanwhile
	}
	if err != nil {
		return err
	}
	fmt.Printf("created database %s\n", name)
	return nil
}
