package postgres_test

import (
	"context"
	"crypto/rand"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/goleak"

	"github.com/pairpad/pairpad/store"
	"github.com/pairpad/pairpad/store/postgres"
	"github.com/pairpad/pairpad/store/storetest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestStore(t *testing.T) {
	requireDB(t)
	storetest.Run(t, func(t *testing.T) store.Store { return open(t, newSchema(t)) })
}

func TestDurable(t *testing.T) {
	requireDB(t)
	cfg := newSchema(t)
	storetest.RunDurable(t, func(t *testing.T) store.Store { return open(t, cfg) })
}

// TestLeases runs the leases suite on two stores sharing one schema, as two nodes sharing a
// database do.
func TestLeases(t *testing.T) {
	requireDB(t)
	storetest.RunLeases(t, func(t *testing.T) (store.Store, store.Store) {
		cfg := newSchema(t)
		return open(t, cfg), open(t, cfg)
	})
}

// TestStoppedTransactionEnds: a node that stops in the middle of a fenced write (SIGSTOP)
// holds its room's lease row; Postgres ends its idle transaction after
// IdleTransactionTimeout, so another node takes the lease then, not when the first wakes up.
func TestStoppedTransactionEnds(t *testing.T) {
	requireDB(t)
	cfg := newSchema(t)
	a, b := open(t, cfg), open(t, cfg)
	ctx := t.Context()
	if err := b.CreateRoom(ctx, store.Room{ID: "r", CreatedAt: time.Now()}, []byte("init")); err != nil {
		t.Fatal(err)
	}
	if _, err := a.AcquireLease(ctx, "r", "a", "http://a", 100*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	tx, err := postgres.PoolOf(a).Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.Background())
	if _, err := tx.Exec(ctx, `SELECT FROM room_leases WHERE room_id = 'r' FOR SHARE`); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	acquireCtx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	l, err := b.AcquireLease(acquireCtx, "r", "b", "http://b", time.Second)
	if err != nil {
		t.Fatalf("b could not take the lease while a's transaction sat idle: %v", err)
	}
	if l.Node != "b" {
		t.Fatalf("the lease is %+v, not b's", l)
	}
	if err := tx.Commit(ctx); err == nil {
		t.Error("a's idle transaction committed after b took the lease")
	}
	t.Logf("b took the lease %v after a's transaction went idle", time.Since(start).Round(time.Millisecond))
}

func BenchmarkAppend(b *testing.B) {
	requireDB(b)
	storetest.BenchmarkAppend(b, func(b *testing.B) store.Store { return open(b, newSchema(b)) })
}

func TestMigrateIdempotent(t *testing.T) {
	t.Parallel()
	pool := newPool(t, newSchema(t))
	for range 3 {
		if err := postgres.Migrate(t.Context(), pool); err != nil {
			t.Fatalf("Migrate: %v", err)
		}
	}
	checkMigrated(t, pool)
}

// TestMigrateFrom1 fills the schema of migration 0001 alone as the store of that time did,
// then opens the store, which applies the later migrations.
func TestMigrateFrom1(t *testing.T) {
	t.Parallel()
	cfg := newSchema(t)
	pool := newPool(t, cfg)
	if err := postgres.MigrateTo(t.Context(), pool, 1); err != nil {
		t.Fatal(err)
	}
	var b pgx.Batch
	for _, r := range storetest.OldRooms() {
		b.Queue(`INSERT INTO rooms (id, language, created_at, last_seq) VALUES ($1, $2, $3, $4)`,
			r.ID, r.Language, r.CreatedAt, r.LastSeq)
		b.Queue(`INSERT INTO room_snapshots (room_id, seq, state) VALUES ($1, $2, $3)`, r.ID, r.Snapshot.Seq, r.Snapshot.State)
		for _, e := range r.Log {
			b.Queue(`INSERT INTO room_log (room_id, seq, update) VALUES ($1, $2, $3)`, r.ID, e.Seq, e.Update)
		}
	}
	if err := pool.SendBatch(t.Context(), &b).Close(); err != nil {
		t.Fatal(err)
	}
	storetest.RunUpgrade(t, func(t *testing.T) store.Store { return open(t, cfg) })
}

// TestMigrateConcurrent migrates one schema from several pools at once, as processes starting
// together do: each must succeed, and each migration must run once.
func TestMigrateConcurrent(t *testing.T) {
	t.Parallel()
	cfg := newSchema(t)
	const migrators = 6
	pools := make([]*pgxpool.Pool, migrators)
	for i := range pools {
		pools[i] = newPool(t, cfg)
		if err := pools[i].Ping(t.Context()); err != nil { // connect before the race starts
			t.Fatal(err)
		}
	}
	start := make(chan struct{})
	errs := make([]error, migrators)
	var wg sync.WaitGroup
	for i, pool := range pools {
		wg.Go(func() {
			<-start
			errs[i] = postgres.Migrate(t.Context(), pool)
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("migrator %d: %v", i, err)
		}
	}
	checkMigrated(t, pools[0])
}

// checkMigrated checks that schema_migrations lists every file of migrations/ once, and that
// the schema works.
func checkMigrated(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	files, err := os.ReadDir("migrations")
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, f := range files {
		want = append(want, f.Name())
	}
	rows, _ := pool.Query(t.Context(), `SELECT name FROM schema_migrations ORDER BY version`)
	got, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("schema_migrations mismatch (-want +got):\n%s", diff)
	}
	for _, table := range []string{"rooms", "room_snapshots", "room_log", "room_links", "room_versions", "room_leases"} {
		if _, err := pool.Exec(t.Context(), "SELECT count(*) FROM "+table); err != nil {
			t.Errorf("table %s: %v", table, err)
		}
	}
}

// TestDatabaseGone cuts the network between the store and Postgres: Ping and every method
// must fail within their ctx deadline, without a panic and without effect; once the network
// is back the store must work again, with everything committed before still there.
func TestDatabaseGone(t *testing.T) {
	t.Parallel()
	cfg := newSchema(t)
	p := startProxy(t, cfg.ConnConfig.Host, cfg.ConnConfig.Port)
	cfg.ConnConfig.Host, cfg.ConnConfig.Port = p.host, p.port
	cfg.ConnConfig.Fallbacks = nil
	s := open(t, cfg)

	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	room := store.Room{ID: "r", CreatedAt: at, OpenedAt: at, Access: store.Access{EditID: "r"}}
	if err := s.CreateRoom(t.Context(), room, []byte("init")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(t.Context(), "r", []store.Entry{{Update: []byte("a")}, {Update: []byte("b")}}); err != nil {
		t.Fatal(err)
	}

	p.setCut(true)
	const deadline = 300 * time.Millisecond
	ops := storeOps(s)
	for _, op := range ops {
		ctx, cancel := context.WithTimeout(t.Context(), deadline)
		start := time.Now()
		err := op.call(ctx)
		cancel()
		if err == nil {
			t.Errorf("%s with the database unreachable: err = nil, want an error", op.name)
		}
		if elapsed := time.Since(start); elapsed > deadline+time.Second {
			t.Errorf("%s with the database unreachable took %v, past its %v deadline", op.name, elapsed, deadline)
		}
	}

	p.setCut(false)
	waitPing(t, s)
	checkRoom(t, s, room)
	if _, err := s.Room(t.Context(), "new"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Room(new) after a failed CreateRoom: err = %v, want ErrNotFound", err)
	}
	checkLog(t, s, "r", store.Snapshot{State: []byte("init")}, "a", "b")
	if got, err := s.Append(t.Context(), "r", []store.Entry{{Update: []byte("c")}}); err != nil || got != 3 {
		t.Fatalf("Append after the database came back = %d, %v; want 3, nil", got, err)
	}
}

// TestWatchReleasesDatabaseGone cuts the network under a WatchReleases: it must return an
// error soon, not ctx's, and a new call must work once the network is back.
func TestWatchReleasesDatabaseGone(t *testing.T) {
	t.Parallel()
	cfg := newSchema(t)
	p := startProxy(t, cfg.ConnConfig.Host, cfg.ConnConfig.Port)
	cfg.ConnConfig.Host, cfg.ConnConfig.Port = p.host, p.port
	cfg.ConnConfig.Fallbacks = nil
	s := open(t, cfg)
	if err := s.CreateRoom(t.Context(), store.Room{ID: "r", CreatedAt: time.Now()}, nil); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		released := make(chan string, 100)
		done := make(chan error, 1)
		go func() { done <- s.WatchReleases(t.Context(), func(room string) { released <- room }) }()
		for deadline := time.Now().Add(10 * time.Second); len(released) == 0; time.Sleep(50 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("WatchReleases reported nothing after 10s")
			}
			l, err := s.AcquireLease(t.Context(), "r", "n", "https://n.example", time.Minute)
			if err == nil {
				err = s.ReleaseLease(t.Context(), "r", "n", l.Epoch)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		p.setCut(true)
		select {
		case err := <-done:
			if err == nil || t.Context().Err() != nil {
				t.Errorf("WatchReleases when the database went away: %v, want an error", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("WatchReleases still running 10s after the database went away")
		}
		p.setCut(false)
		waitPing(t, s)
	}
}

// TestTerminatedConnections kills the pool's server processes (as a database restart or an
// administrator does). Calls after it either fail with an error or succeed on a new connection;
// retried, they succeed; nothing committed is lost.
func TestTerminatedConnections(t *testing.T) {
	t.Parallel()
	cfg := newSchema(t)
	admin := connect(t, cfg.ConnConfig) // before the store's connections get their name
	app := cfg.ConnConfig.RuntimeParams["search_path"]
	cfg.ConnConfig.RuntimeParams["application_name"] = app
	s := open(t, cfg)

	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	room := store.Room{ID: "r", CreatedAt: at, OpenedAt: at, Access: store.Access{EditID: "r"}}
	if err := s.CreateRoom(t.Context(), room, []byte("init")); err != nil {
		t.Fatal(err)
	}
	// Several connections in the pool, all idle, to be killed.
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() { s.Append(t.Context(), "r", []store.Entry{{Update: []byte("x")}}) })
	}
	wg.Wait()
	want := []string{"x", "x", "x", "x"}

	var killed int
	err := admin.QueryRow(t.Context(), `
		SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1`, app).Scan(&killed)
	if err != nil || killed == 0 {
		t.Fatalf("terminated %d backends: %v", killed, err)
	}
	// Wait until they are gone, so that no call below can commit on a dying backend.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		var n int
		err := admin.QueryRow(t.Context(), `SELECT count(*) FROM pg_stat_activity WHERE application_name = $1`, app).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d terminated backends still there", n)
		}
	}

	for _, op := range storeOps(s) {
		if op.name == "CreateRoom" {
			continue // its success would change the room set the checks below expect
		}
		var failures int
		for {
			err := op.call(t.Context())
			if err == nil {
				break
			}
			if failures++; failures > 6 {
				t.Fatalf("%s still failing after %d tries: %v", op.name, failures, err)
			}
			t.Logf("%s after the backends were terminated: %v", op.name, err)
		}
		if op.name == "Append" {
			want = append(want, "c")
		}
	}
	checkRoom(t, s, room)
	checkLog(t, s, "r", store.Snapshot{State: []byte("init")}, want...)
}

// storeOps calls every method of s once, each with an effect the checks above can see.
func storeOps(s *postgres.Store) []struct {
	name string
	call func(context.Context) error
} {
	return []struct {
		name string
		call func(context.Context) error
	}{
		{"Ping", s.Ping},
		{"CreateRoom", func(ctx context.Context) error {
			return s.CreateRoom(ctx, store.Room{ID: "new", CreatedAt: time.Now()}, nil)
		}},
		{"Room", func(ctx context.Context) error { _, err := s.Room(ctx, "r"); return err }},
		{"RoomByLink", func(ctx context.Context) error { _, err := s.RoomByLink(ctx, "r"); return err }},
		{"SetAccess", func(ctx context.Context) error { return s.SetAccess(ctx, "r", store.Access{EditID: "r"}) }},
		{"Load", func(ctx context.Context) error { _, _, err := s.Load(ctx, "r"); return err }},
		{"Append", func(ctx context.Context) error {
			_, err := s.Append(ctx, "r", []store.Entry{{Update: []byte("c")}})
			return err
		}},
		{"Append empty", func(ctx context.Context) error { _, err := s.Append(ctx, "r", nil); return err }},
		{"Compact at 0", func(ctx context.Context) error {
			return s.Compact(ctx, "r", store.Snapshot{Seq: 0, State: []byte("init")})
		}},
		{"AcquireLease", func(ctx context.Context) error {
			_, err := s.AcquireLease(ctx, "r", "n", "https://n.example", time.Minute)
			return err
		}},
		{"RenewLeases", func(ctx context.Context) error {
			_, err := s.RenewLeases(ctx, "n", map[string]uint64{"r": 1}, time.Minute)
			return err
		}},
		{"ReleaseLease", func(ctx context.Context) error { return s.ReleaseLease(ctx, "r", "n", 1) }},
		{"LeaseOf", func(ctx context.Context) error { _, err := s.LeaseOf(ctx, "r"); return err }},
	}
}

func waitPing(t *testing.T, s store.Store) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		err := s.Ping(ctx)
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("Ping still failing: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func checkRoom(t *testing.T, s store.Store, want store.Room) {
	t.Helper()
	got, err := s.Room(t.Context(), want.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Room mismatch (-want +got):\n%s", diff)
	}
}

// checkLog checks a room's snapshot and that its log holds updates with seqs from 1.
func checkLog(t *testing.T, s store.Store, id string, wantSnap store.Snapshot, updates ...string) {
	t.Helper()
	snap, log, err := s.Load(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	var want []store.Entry
	for i, u := range updates {
		want = append(want, store.Entry{Seq: uint64(i + 1), Update: []byte(u)})
	}
	wantSnap.Checkpoint = wantSnap.Checkpoint || wantSnap.Seq == 0 // the initial state is one
	if diff := cmp.Diff(wantSnap, snap); diff != "" {
		t.Errorf("snapshot mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, log); diff != "" {
		t.Errorf("log mismatch (-want +got):\n%s", diff)
	}
}

// requireDB skips tb when TEST_DATABASE_URL is unset, or fails it when REQUIRE_DB=1.
func requireDB(tb testing.TB) string {
	tb.Helper()
	url := os.Getenv("TEST_DATABASE_URL")
	if url == "" {
		if os.Getenv("REQUIRE_DB") == "1" {
			tb.Fatal("REQUIRE_DB=1 but TEST_DATABASE_URL is unset")
		}
		tb.Skip("TEST_DATABASE_URL is unset; README.md (Quick start) says how to run the Postgres tests")
	}
	return url
}

// newSchema creates a schema of its own for tb, dropped when tb ends, and returns a pool
// configuration whose connections use it (search_path), so tests run in parallel on one
// database without seeing each other or other data.
func newSchema(tb testing.TB) *pgxpool.Config {
	tb.Helper()
	base, err := pgxpool.ParseConfig(requireDB(tb))
	if err != nil {
		tb.Fatal(err)
	}
	adminCfg := base.ConnConfig
	name := "pairpad_test_" + strings.ToLower(rand.Text())
	schema := pgx.Identifier{name}.Sanitize()
	admin, err := pgx.ConnectConfig(tb.Context(), adminCfg.Copy())
	if err != nil {
		tb.Fatal(err)
	}
	_, err = admin.Exec(tb.Context(), "CREATE SCHEMA "+schema)
	admin.Close(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		conn, err := pgx.ConnectConfig(ctx, adminCfg.Copy())
		if err != nil {
			tb.Errorf("drop schema %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			tb.Errorf("drop schema %s: %v", name, err)
		}
	})
	cfg := base.Copy()
	cfg.ConnConfig.RuntimeParams["search_path"] = name
	cfg.MaxConns = 4
	return cfg
}

// connect opens a plain connection, closed when tb ends.
func connect(tb testing.TB, cfg *pgx.ConnConfig) *pgx.Conn {
	tb.Helper()
	conn, err := pgx.ConnectConfig(tb.Context(), cfg.Copy())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func newPool(tb testing.TB, cfg *pgxpool.Config) *pgxpool.Pool {
	tb.Helper()
	pool, err := pgxpool.NewWithConfig(tb.Context(), cfg.Copy())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(pool.Close)
	return pool
}

func open(tb testing.TB, cfg *pgxpool.Config) *postgres.Store {
	tb.Helper()
	s, err := postgres.OpenConfig(tb.Context(), cfg.Copy())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// TestWatchReleasesSchemas checks that stores in two schemas of one database, two deployments
// sharing it, do not hear each other's releases: channels belong to the whole database.
func TestWatchReleasesSchemas(t *testing.T) {
	t.Parallel()
	mine, other := open(t, newSchema(t)), open(t, newSchema(t))
	for _, s := range []*postgres.Store{mine, other} {
		for _, id := range []string{"r", "marker"} {
			if err := s.CreateRoom(t.Context(), store.Room{ID: id, CreatedAt: time.Now()}, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	ctx, cancel := context.WithCancel(t.Context())
	released := make(chan string, 100)
	done := make(chan error, 1)
	go func() { done <- mine.WatchReleases(ctx, func(room string) { released <- room }) }()
	defer func() { cancel(); <-done }()
	release := func(s *postgres.Store, room string) {
		t.Helper()
		l, err := s.AcquireLease(t.Context(), room, "n", "https://n.example", time.Minute)
		if err == nil {
			err = s.ReleaseLease(t.Context(), room, "n", l.Epoch)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	next := func(within time.Duration) string {
		select {
		case room := <-released:
			return room
		case <-time.After(within):
			return ""
		}
	}
	// Release marker until the watch reports it: it is listening from then on.
	for deadline := time.Now().Add(10 * time.Second); ; {
		release(mine, "marker")
		if next(50*time.Millisecond) != "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("WatchReleases reported nothing after 10s")
		}
	}
	release(other, "r")
	release(mine, "marker")
	for room := ""; room != "marker"; {
		switch room = next(10 * time.Second); room {
		case "r":
			t.Fatal("WatchReleases reported a release in another schema")
		case "":
			t.Fatal("WatchReleases did not report a release after 10s")
		}
	}
}
