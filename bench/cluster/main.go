// Command cluster is make bench-cluster: it measures what running pairpad as several nodes
// behind a load balancer costs, in one run on one machine, and prints one line per figure:
//
//	RESULT <operation> rooms=<n>,rate=<r> three-nodes=<value> one-node=<value> overhead=<three-nodes - one-node> ratio=<one-node/three-nodes> <unit>
//	RESULT proxy-<operation> rooms=<n>,rate=<r> one-node=<value> one-node-direct=<value> overhead=<one-node - one-node-direct> ratio=<...> <unit>
//	RESULT failover rooms=<n>,clients=<n>,lease=<d> three-nodes=<ms> bar=<ms> ms
//
// The load part runs `pairpad load` (-rooms rooms of -clients clients typing, rooms created
// with POST /rooms) against one node, one node behind `pairpad proxy`, and three nodes behind
// it; the proxy sends each connection to the next node in turn: about two connections in three
// reach a node that does not own their room and relay it to the owner. It does so at each rate
// of -load-rates (keystrokes per second per client), -rounds times, the three setups in turn
// each round, so that a noisy neighbour on the machine weighs on all three alike; a setup's
// figure is its median over the rounds. It prints load-p50 and load-p99 (ms, from sending a
// keystroke to its arrival at another client), load-delivered (%) and load-machine-busy (% of
// all cores' time busy while the load ran: near 100%, latency is mostly a wait for a core) of
// three nodes against one, both behind the proxy, and a verdict on the p99 overhead against
// -bar-overhead; and the proxy's own cost (proxy-load-p50, proxy-load-p99: one node behind it
// against one node without it).
//
// The failover part runs -failover-rooms rooms of -failover-clients y-websocket clients typing
// through the proxy in front of three nodes, kills (SIGKILL) the node that owns the most of
// them, and measures the time from the kill until every client of that node's rooms has had a
// keystroke typed after the kill reach another client of its room: clients reconnect, as
// y-websocket's do, and the rooms need a new owner, which may wait for the dead node's leases
// to expire. It prints the slowest client's time against the bar, lease duration + 5 s.
//
// Each part starts its nodes afresh, each on a database of its own on the Postgres server of
// -database-url, dropped afterwards. The nodes' logs go to files named on stderr.
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pairpad/pairpad/bench/internal/harness"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench-cluster:", err)
		os.Exit(1)
	}
}

// config is the command line.
type config struct {
	bin, databaseURL          string
	load, failover            bool
	rooms, clients            int
	rate                      float64
	loadRates                 []float64
	rounds                    int
	duration, warmup, lease   time.Duration
	barOverhead               time.Duration
	failoverRooms, failoverBy int
}

func parseFlags() (config, error) {
	var c config
	var parts string
	flag.StringVar(&c.bin, "bin", "", "the pairpad binary")
	flag.StringVar(&c.databaseURL, "database-url", firstSet(os.Getenv("TEST_DATABASE_URL"), os.Getenv("DATABASE_URL")),
		"Postgres whose user may create databases: each part runs on a database of its own (default $TEST_DATABASE_URL, then $DATABASE_URL)")
	flag.StringVar(&parts, "parts", "load,failover", "the parts to run: load, failover or both")
	flag.IntVar(&c.rooms, "rooms", 200, "rooms of the load")
	flag.IntVar(&c.clients, "clients", 4, "clients per room of the load")
	flag.Float64Var(&c.rate, "rate", 5, "keystrokes per second per client in the failover")
	var loadRates string
	flag.StringVar(&loadRates, "load-rates", "1,2,5", "keystrokes per second per client in the load, one measurement per rate")
	flag.IntVar(&c.rounds, "rounds", 3, "rounds of the load at each rate: a figure is the median of its rounds")
	flag.DurationVar(&c.duration, "duration", 10*time.Second, "how long the load is measured")
	flag.DurationVar(&c.warmup, "warmup", 2*time.Second, "how long clients type before the load is measured")
	flag.DurationVar(&c.lease, "lease", 10*time.Second, "the nodes' LEASE_DURATION")
	flag.DurationVar(&c.barOverhead, "bar-overhead", 5*time.Millisecond, "the p99 latency that routing may add")
	flag.IntVar(&c.failoverRooms, "failover-rooms", 20, "rooms of the failover")
	flag.IntVar(&c.failoverBy, "failover-clients", 3, "clients per room of the failover")
	flag.Parse()
	for p := range strings.SplitSeq(parts, ",") {
		switch strings.TrimSpace(p) {
		case "load":
			c.load = true
		case "failover":
			c.failover = true
		default:
			return c, fmt.Errorf("-parts %q: %q is not load or failover", parts, p)
		}
	}
	for r := range strings.SplitSeq(loadRates, ",") {
		rate, err := strconv.ParseFloat(strings.TrimSpace(r), 64)
		if err != nil || rate <= 0 {
			return c, fmt.Errorf("-load-rates %q: %q is not a positive number", loadRates, r)
		}
		c.loadRates = append(c.loadRates, rate)
	}
	switch {
	case c.rounds < 1:
		return c, errors.New("-rounds must be at least 1")
	case c.bin == "":
		return c, errors.New("-bin (the pairpad binary) is required")
	case c.databaseURL == "":
		return c, errors.New("-database-url, TEST_DATABASE_URL or DATABASE_URL is required: the nodes share a Postgres database")
	case c.failoverBy < 2:
		return c, errors.New("-failover-clients: a keystroke needs another client to reach")
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
	dbs *harness.Databases
	// secret is the nodes' CLUSTER_SECRET, new each run.
	secret string
}

func run() error {
	c, err := parseFlags()
	if err != nil {
		return err
	}
	ctx := context.Background()
	b := &bench{config: c, secret: rand.Text()}
	if b.dbs, err = harness.OpenDatabases(ctx, c.databaseURL); err != nil {
		return fmt.Errorf("-database-url: %w", err)
	}
	defer b.dbs.Close(ctx)
	if c.load {
		for _, rate := range c.loadRates {
			if err := b.compareLoad(ctx, rate); err != nil {
				return err
			}
		}
	}
	if c.failover {
		return b.measureFailover(ctx)
	}
	return nil
}

// figure is one RESULT line's operation, unit and how to read its value from a report.
type figure struct {
	op, unit string
	value    func(*harness.Report) float64
}

var loadFigures = []figure{
	{"load-p50", "ms", func(r *harness.Report) float64 { return r.Latency.P50 }},
	{"load-p99", "ms", func(r *harness.Report) float64 { return r.Latency.P99 }},
	{"load-delivered", "%", (*harness.Report).Share},
	{"load-machine-busy", "%", func(r *harness.Report) float64 { return r.MachineBusy }},
}

// setup is one way of serving the load: a number of nodes, and whether the proxy is in front.
type setup struct {
	nodes   int
	proxied bool
}

func (s setup) String() string {
	name := "one-node"
	if s.nodes > 1 {
		name = "three-nodes"
	}
	if !s.proxied {
		name += "-direct"
	}
	return name
}

// compareLoad runs the load at rate against one node without the proxy, one node behind it
// and three nodes behind it, -rounds times, and prints two comparisons of the setups' medians:
// routing (three nodes against one, both behind the proxy, as a load balancer is in front of
// either in production), with the verdict on its p99 overhead, and the proxy itself (one node
// behind it against one node without it).
func (b *bench) compareLoad(ctx context.Context, rate float64) error {
	input := fmt.Sprintf("rooms=%d,rate=%g", b.rooms, rate)
	setups := []setup{{1, false}, {1, true}, {nodes, true}}
	rounds := map[setup][]*harness.Report{}
	for range b.rounds {
		for _, s := range setups {
			r, err := b.measureLoad(ctx, s, input, rate)
			if err != nil {
				return err
			}
			if r != nil {
				rounds[s] = append(rounds[s], r)
			}
		}
	}
	direct, one, three := median(rounds[setups[0]]), median(rounds[setups[1]]), median(rounds[setups[2]])
	for _, f := range loadFigures {
		printComparison(f, input, "three-nodes", three, "one-node", one)
	}
	for _, f := range loadFigures[:2] {
		printComparison(figure{"proxy-" + f.op, f.unit, f.value}, input, "one-node", one, "one-node-direct", direct)
	}
	bar := fmt.Sprintf("bar: routing adds at most %g ms to the p99 at %s", ms(b.barOverhead), input)
	switch {
	case one == nil || three == nil:
		fmt.Println(bar + ": not measured")
	default:
		overhead := three.Latency.P99 - one.Latency.P99
		fmt.Printf("%s: %.3f ms, %s\n", bar, overhead, verdict(overhead <= ms(b.barOverhead)))
		if three.Share() < 100 {
			fmt.Printf("bar: every keystroke delivered at %s through three nodes: %.3f%%, not met\n", input, three.Share())
		}
	}
	return nil
}

// median returns a report of rs's median latencies, and of every delivery of them all; nil
// for none. (With an even number of rounds, the higher of the middle two.)
func median(rs []*harness.Report) *harness.Report {
	if len(rs) == 0 {
		return nil
	}
	mid := func(value func(*harness.Report) float64) float64 {
		vs := make([]float64, len(rs))
		for i, r := range rs {
			vs[i] = value(r)
		}
		slices.Sort(vs)
		return vs[len(vs)/2]
	}
	m := &harness.Report{}
	m.Latency.P50 = mid(func(r *harness.Report) float64 { return r.Latency.P50 })
	m.Latency.P99 = mid(func(r *harness.Report) float64 { return r.Latency.P99 })
	m.MachineBusy = mid(func(r *harness.Report) float64 { return r.MachineBusy })
	for _, r := range rs {
		m.Expected += r.Expected
		m.Delivered += r.Delivered
	}
	return m
}

// printComparison prints figure f of two reports, a and b, as a RESULT line with the
// overhead a - b and the ratio b / a; a missing report's figures are n/a.
func printComparison(f figure, input, aName string, a *harness.Report, bName string, b *harness.Report) {
	overhead, ratio := "n/a", "n/a"
	if a != nil && b != nil {
		overhead = strconv.FormatFloat(f.value(a)-f.value(b), 'f', 3, 64)
		if f.value(a) != 0 {
			ratio = strconv.FormatFloat(f.value(b)/f.value(a), 'f', 2, 64)
		}
	}
	format := func(r *harness.Report) string {
		if r == nil {
			return "n/a"
		}
		return strconv.FormatFloat(f.value(r), 'f', 3, 64)
	}
	fmt.Printf("RESULT %s %s %s=%s %s=%s overhead=%s ratio=%s %s\n",
		f.op, input, aName, format(a), bName, format(b), overhead, ratio, f.unit)
}

func verdict(met bool) string {
	if met {
		return "met"
	}
	return "NOT MET"
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// measureLoad runs the load against a fresh cluster set up as s. A load that produced no
// report is a nil report, not an error: its figures print as n/a.
func (b *bench) measureLoad(ctx context.Context, s setup, input string, rate float64) (*harness.Report, error) {
	c, err := b.startCluster(ctx, s.nodes, s.proxied)
	if err != nil {
		return nil, err
	}
	defer c.stop()
	args := []string{"-url", "ws://" + c.addr + "/yjs", "-create", "-mode", "type",
		"-rooms", strconv.Itoa(b.rooms), "-clients", strconv.Itoa(b.clients), "-rate", fmt.Sprint(rate),
		"-duration", b.duration.String(), "-warmup", b.warmup.String()}
	busy := harness.MachineBusy()
	r, err := harness.Load(ctx, b.bin, args)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s %s: %v; logs %s\n", s, input, err, c.logs())
		return nil, nil
	}
	r.MachineBusy = busy()
	fmt.Fprintf(os.Stderr, "%-15s %s: %s\n", s, input, r.Summary())
	return r, nil
}

// nodes is the size of the cluster the benchmark compares with one node.
const nodes = 3

// cluster is nodes sharing a database, behind the proxy when there are several.
type cluster struct {
	nodes []*harness.Process
	// urls are the nodes' ADVERTISE_URLs, which rooms' leases name.
	urls  []string
	proxy *harness.Process // nil without the proxy
	// addr is where clients connect: the proxy, or the only node.
	addr string
	// databaseURL is the nodes' database, drop drops it.
	databaseURL string
	drop        func()
}

// startCluster starts n nodes on a fresh database, and the proxy in front of them if proxied.
func (b *bench) startCluster(ctx context.Context, n int, proxied bool) (c *cluster, err error) {
	c = &cluster{}
	if c.databaseURL, c.drop, err = b.dbs.New(ctx); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			c.stop()
		}
	}()
	// Nodes need their ADVERTISE_URL, so their port, before they start.
	ports, err := freePorts(n)
	if err != nil {
		return nil, err
	}
	var backends []string
	for _, port := range ports {
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		c.urls = append(c.urls, "http://"+addr)
		backends = append(backends, addr)
		node, err := harness.Start(b.node(port, c.databaseURL), nil)
		if err != nil {
			return nil, fmt.Errorf("node %d: %w", len(c.nodes)+1, err)
		}
		c.nodes = append(c.nodes, node)
	}
	c.addr = backends[0]
	if proxied {
		proxy := exec.Command(b.bin, "proxy", "-listen", "127.0.0.1:0", "-backends", strings.Join(backends, ","))
		if c.proxy, err = harness.Start(proxy, nil); err != nil {
			return nil, fmt.Errorf("proxy: %w", err)
		}
		c.addr = c.proxy.Addr
	}
	fmt.Fprintf(os.Stderr, "%s: logs %s\n", c.name(), c.logs())
	return c, nil
}

// node returns the command of a node on port and databaseURL.
func (b *bench) node(port int, databaseURL string) *exec.Cmd {
	cmd := exec.Command(b.bin, "serve")
	// The load comes from one address: it creates its rooms as fast as it can. The last of a
	// name wins.
	cmd.Env = append(os.Environ(), "PORT="+strconv.Itoa(port), "ADVERTISE_URL=http://127.0.0.1:"+strconv.Itoa(port),
		"DATABASE_URL="+databaseURL, "CLUSTER_SECRET="+b.secret, "LEASE_DURATION="+b.lease.String(),
		"LOG_LEVEL=info", "LOG_FORMAT=json", "ROOM_CREATE_RATE=0", "MAX_CONNECTIONS_PER_ADDRESS=0")
	return cmd
}

// freePorts returns n ports that nothing listens on, on 127.0.0.1, for now.
func freePorts(n int) ([]int, error) {
	var ports []int
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer ln.Close() // once every port is chosen, so that none is chosen twice
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func (c *cluster) name() string {
	return setup{len(c.nodes), c.proxy != nil}.String()
}

// logs lists the log files of the cluster's processes.
func (c *cluster) logs() string {
	var paths []string
	for _, p := range slices.Concat(c.nodes, []*harness.Process{c.proxy}) {
		if p != nil {
			paths = append(paths, p.LogPath)
		}
	}
	return strings.Join(paths, " ")
}

// stop stops the proxy and the nodes still running, and drops their database.
func (c *cluster) stop() {
	if c.proxy != nil {
		c.proxy.Stop()
	}
	for _, n := range c.nodes {
		n.Stop()
	}
	c.drop()
}
