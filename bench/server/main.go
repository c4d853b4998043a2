// Command server is make bench-server: it measures pairpad's server and Hocuspocus 3.x with
// `pairpad load`, in one run on one machine, and prints one comparison line per figure:
//
//	RESULT <operation> <input> pairpad=<value> hocuspocus=<value> ratio=<hocuspocus/pairpad> <unit>
//
// For each -rooms count and each of pairpad's stores (input rooms=N,store=S): load-p50 and
// load-p99 (the time from sending a keystroke to its arrival at another client, ms),
// load-delivered (the share of those arrivals within the run, %) and cpu-per-keystroke (the
// server's CPU time per keystroke, µs); and, for -idle connections (input
// connections=N,store=S), idle-memory: the growth of the server's resident memory per idle
// connection, KB. Each load runs against a fresh server process: `pairpad serve` on the
// embedded store in a temporary directory, `pairpad serve` on a database of its own in Postgres
// (-database-url), and hocuspocus.mjs (Hocuspocus in memory). A summary of every run, with the
// load generator's own CPU use and, for pairpad, the server's own share of the latency (from
// its /metrics), goes to stderr.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pairpad/pairpad/bench/internal/harness"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench-server:", err)
		os.Exit(1)
	}
}

// config is the command line.
type config struct {
	bin, hocuspocus, databaseURL string
	rooms                        []int
	clients, idle                int
	rate                         float64
	duration, warmup             time.Duration
}

func parseFlags() (config, error) {
	var c config
	var rooms string
	flag.StringVar(&c.bin, "bin", "", "the pairpad binary")
	flag.StringVar(&c.hocuspocus, "hocuspocus", "bench/server/hocuspocus.mjs", "the script that runs Hocuspocus")
	flag.StringVar(&c.databaseURL, "database-url", firstSet(os.Getenv("TEST_DATABASE_URL"), os.Getenv("DATABASE_URL")),
		"Postgres for pairpad's Postgres runs (default $TEST_DATABASE_URL, then $DATABASE_URL); empty: none")
	flag.StringVar(&rooms, "rooms", "200,1000", "comma-separated room counts of the typing runs")
	flag.IntVar(&c.clients, "clients", 4, "clients per room")
	flag.Float64Var(&c.rate, "rate", 5, "keystrokes per second per client")
	flag.DurationVar(&c.duration, "duration", 10*time.Second, "how long each run measures (and idle connections are held)")
	flag.DurationVar(&c.warmup, "warmup", 2*time.Second, "how long clients type before each measurement")
	flag.IntVar(&c.idle, "idle", 10000, "connections of the idle run (0: none)")
	flag.Parse()
	if c.bin == "" {
		return c, errors.New("-bin (the pairpad binary) is required")
	}
	for f := range strings.SplitSeq(rooms, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			return c, fmt.Errorf("-rooms %q: %q is not a room count", rooms, f)
		}
		c.rooms = append(c.rooms, n)
	}
	return c, nil
}

func firstSet(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// bench is a run of the benchmark.
type bench struct {
	config
	// dbs creates and drops the databases of the Postgres runs on -database-url; nil without
	// one.
	dbs *harness.Databases
}

func run() error {
	c, err := parseFlags()
	if err != nil {
		return err
	}
	ctx := context.Background()
	b := &bench{config: c}
	stores := []string{"embedded"}
	if c.databaseURL != "" {
		stores = append(stores, "postgres")
		if b.dbs, err = harness.OpenDatabases(ctx, c.databaseURL); err != nil {
			return fmt.Errorf("-database-url: %w", err)
		}
		defer b.dbs.Close(ctx)
	} else {
		fmt.Fprintln(os.Stderr, "no -database-url, TEST_DATABASE_URL or DATABASE_URL: pairpad runs on the embedded store only")
	}
	warnFileLimit(c.idle)
	for _, rooms := range c.rooms {
		args := []string{"-mode", "type", "-rooms", strconv.Itoa(rooms), "-clients", strconv.Itoa(c.clients),
			"-rate", fmt.Sprint(c.rate), "-duration", c.duration.String(), "-warmup", c.warmup.String()}
		if err := b.compare(ctx, stores, "rooms="+strconv.Itoa(rooms), args, typingFigures); err != nil {
			return err
		}
	}
	if c.idle > 0 {
		rooms := max(1, c.idle/c.clients)
		args := []string{"-mode", "idle", "-rooms", strconv.Itoa(rooms), "-clients", strconv.Itoa(c.idle / rooms),
			"-duration", c.duration.String()}
		return b.compare(ctx, stores, "connections="+strconv.Itoa(rooms*(c.idle/rooms)), args, idleFigures)
	}
	return nil
}

// figure is one RESULT line's operation, unit and how to read its value from a report.
type figure struct {
	op, unit string
	value    func(*harness.Report) float64
}

var typingFigures = []figure{
	{"load-p50", "ms", func(r *harness.Report) float64 { return r.Latency.P50 }},
	{"load-p99", "ms", func(r *harness.Report) float64 { return r.Latency.P99 }},
	{"load-delivered", "%", (*harness.Report).Share},
	{"cpu-per-keystroke", "us", func(r *harness.Report) float64 { return r.Server.CPUPerKeystrokeUS }},
}

var idleFigures = []figure{
	{"idle-memory", "KB", func(r *harness.Report) float64 { return r.Server.RSSPerConn / 1e3 }},
}

// compare runs the load args describe against Hocuspocus and against pairpad on each store,
// and prints the figures of each store beside Hocuspocus's.
func (b *bench) compare(ctx context.Context, stores []string, input string, args []string, figures []figure) error {
	peer, err := b.measure(ctx, "hocuspocus", input, args)
	if err != nil {
		return err
	}
	for _, store := range stores {
		ours, err := b.measure(ctx, store, input, args)
		if err != nil {
			return err
		}
		for _, f := range figures {
			printResult(f, input+",store="+store, ours, peer)
		}
	}
	return nil
}

func printResult(f figure, input string, ours, peer *harness.Report) {
	value := func(r *harness.Report) string {
		if r == nil {
			return "n/a"
		}
		return strconv.FormatFloat(f.value(r), 'f', 3, 64)
	}
	ratio := "n/a"
	if ours != nil && peer != nil && f.value(ours) != 0 {
		ratio = strconv.FormatFloat(f.value(peer)/f.value(ours), 'f', 2, 64)
	}
	fmt.Printf("RESULT %s %s pairpad=%s hocuspocus=%s ratio=%s %s\n", f.op, input, value(ours), value(peer), ratio, f.unit)
}

// measure starts a fresh server of the kind target names, runs the load on it and stops it.
// A load that produced no report is a nil report, not an error: its figures print as n/a.
func (b *bench) measure(ctx context.Context, target, input string, args []string) (*harness.Report, error) {
	srv, err := b.startTarget(ctx, target)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", target, err)
	}
	defer srv.Stop()
	args = slices.Clip(args)
	if target == "hocuspocus" {
		args = append(args, "-url", "ws://"+srv.Addr, "-protocol", "hocuspocus")
	} else {
		args = append(args, "-url", "ws://"+srv.Addr+"/yjs", "-create")
	}
	args = append(args, "-pid", strconv.Itoa(srv.Cmd.Process.Pid))
	r, err := harness.Load(ctx, b.bin, args)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s %s: %v; server log %s\n", target, input, err, srv.LogPath)
		return nil, nil
	}
	fmt.Fprintf(os.Stderr, "%-10s %s: %s\n", target, input, r.Summary())
	if target != "hocuspocus" && r.Expected > 0 {
		if ms, err := durableP99(ctx, srv.Addr); err == nil {
			fmt.Fprintf(os.Stderr, "%-10s %s: server side, 99%% of updates durable (ready to relay) within %g ms of their arrival (a histogram bucket's bound; warm-up included)\n", target, input, ms)
		}
	}
	return r, nil
}

// durableBucket is how /metrics writes a bucket of pairpad_update_durable_seconds.
var durableBucket = regexp.MustCompile(`^pairpad_update_durable_seconds_bucket\{le="([^"]+)"\} (\S+)$`)

// durableP99 reads pairpad's /metrics at addr and returns the upper bound, in ms, of the bucket
// of pairpad_update_durable_seconds that holds the 99th percentile: the server's own share of
// a keystroke's latency, but for the socket writes, apart from the load generator's.
func durableP99(ctx context.Context, addr string) (float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/metrics", nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	type bucket struct{ le, count float64 }
	var buckets []bucket
	lines := bufio.NewScanner(resp.Body)
	for lines.Scan() {
		m := durableBucket.FindStringSubmatch(lines.Text())
		if m == nil {
			continue
		}
		le, err1 := strconv.ParseFloat(m[1], 64) // "+Inf" parses as +Inf
		count, err2 := strconv.ParseFloat(m[2], 64)
		if err1 != nil || err2 != nil {
			return 0, fmt.Errorf("/metrics: bad bucket %q", lines.Text())
		}
		buckets = append(buckets, bucket{le, count})
	}
	if len(buckets) == 0 || buckets[len(buckets)-1].count == 0 {
		return 0, errors.New("/metrics: no pairpad_update_durable_seconds")
	}
	total := buckets[len(buckets)-1].count
	for _, b := range buckets {
		if b.count >= 0.99*total {
			return b.le * 1000, nil
		}
	}
	return math.Inf(1), nil
}

// startTarget starts a server: pairpad on a store, or Hocuspocus.
func (b *bench) startTarget(ctx context.Context, target string) (*harness.Process, error) {
	switch target {
	case "hocuspocus":
		cmd := exec.Command("node", filepath.Base(b.hocuspocus))
		cmd.Dir = filepath.Dir(b.hocuspocus)
		cmd.Env = append(os.Environ(), "PORT=0")
		return harness.Start(cmd, nil)
	case "embedded":
		dir, err := os.MkdirTemp("", "pairpad-bench-")
		if err != nil {
			return nil, err
		}
		return harness.Start(pairpad(b.bin, "DATA_DIR="+dir), func() { os.RemoveAll(dir) })
	}
	dbURL, drop, err := b.dbs.New(ctx)
	if err != nil {
		return nil, err
	}
	return harness.Start(pairpad(b.bin, "DATABASE_URL="+dbURL), drop)
}

func pairpad(bin, storeEnv string) *exec.Cmd {
	cmd := exec.Command(bin, "serve")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DATABASE_URL=") { // it would win over DATA_DIR
			cmd.Env = append(cmd.Env, kv)
		}
	}
	// The load comes from one address: it creates its rooms as fast as it can and holds up to
	// 10,000 sockets.
	cmd.Env = append(cmd.Env, "PORT=0", "LOG_LEVEL=info", "LOG_FORMAT=json", "ROOM_CREATE_RATE=0",
		"MAX_CONNECTIONS_PER_ADDRESS=0", storeEnv) // the last of a name wins
	return cmd
}

// warnFileLimit says when the open-file limit of child processes is too low for the idle run:
// Hocuspocus (node) needs a descriptor per connection. Go raises its own limit but gives
// children the one it started with, so ask a child; make bench-server raises it.
func warnFileLimit(conns int) {
	out, err := exec.Command("sh", "-c", "ulimit -n").Output()
	limit, perr := strconv.Atoi(strings.TrimSpace(string(out)))
	if err == nil && perr == nil && limit < conns+1024 {
		fmt.Fprintf(os.Stderr, "the open-file limit (ulimit -n %d) is low for the %d connections of the idle run: raise it\n", limit, conns)
	}
}
