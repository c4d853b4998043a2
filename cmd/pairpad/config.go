package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/pairpad/pairpad/crdt"
	"github.com/pairpad/pairpad/sandbox"
)

// Config is pairpad's configuration, read from flags and the environment by
// LoadConfig. Every field holds a validated value.
type Config struct {
	// Port is the TCP port to listen on; 0 picks a free one.
	Port int
	// DatabaseURL selects the Postgres store when set (a postgres:// URL or a
	// key=value connection string); empty selects the embedded store.
	DatabaseURL string
	// DataDir is where the embedded store keeps its files.
	DataDir string
	// AllowedOrigins are the browser origins allowed cross-origin (CORS and
	// WebSocket), each "scheme://host[:port]" or "*"; empty allows only the
	// same origin.
	AllowedOrigins []string
	// AllowedHosts are the host names requests may name in their Host header;
	// empty allows any.
	AllowedHosts []string
	LogLevel     zerolog.Level
	// LogFormat is "json" (one JSON object per line) or "console" (human-readable).
	LogFormat string
	// MaxMessageBytes caps one WebSocket message (and request bodies that carry code).
	MaxMessageBytes int64
	// MaxRoomBytes bounds a room's document: its newest snapshot plus the updates since.
	MaxRoomBytes int64
	// MaxHistoryBytes bounds a room's history: past it, its older half is dropped.
	MaxHistoryBytes int64
	// RequestTimeout bounds how long a REST request may take to send its body, and then to
	// take its response.
	RequestTimeout time.Duration
	// AutocompleteProvider names the autocomplete engine: "builtin"
	// (rule-based, offline), or a model server: "openai" (an
	// OpenAI-compatible /v1/completions), "ollama" or "llamacpp" (llama.cpp's
	// /infill), with the built-in engine as fallback.
	AutocompleteProvider string
	// AutocompleteURL is the model server's base URL (required unless builtin).
	AutocompleteURL string
	// AutocompleteModel is the model name (required for openai and ollama).
	AutocompleteModel string
	// AutocompleteAPIKey is sent as a bearer token to an openai provider.
	AutocompleteAPIKey string
	// AutocompleteTimeout is how long to wait for the model per request.
	AutocompleteTimeout time.Duration
	// AutocompleteRate is how many autocomplete requests per second one client
	// address may make on average (bursts of twice as many); 0 means no limit.
	AutocompleteRate float64
	// RoomCreateRate is how many rooms per second one client address may create
	// on average (bursts of ten times as many); 0 means no limit.
	RoomCreateRate float64
	// MaxConnectionsPerAddress is how many room sockets one client address may
	// hold open; 0 means no limit.
	MaxConnectionsPerAddress int
	// MaxRooms is how many rooms the store may hold; 0 means no limit.
	MaxRooms int
	// MaxPendingStructs and MaxPendingDeleteRanges bound the content a room keeps waiting for
	// content it never received (see room.Options).
	MaxPendingStructs, MaxPendingDeleteRanges int
	// RoomTTL is how long a room may go unopened before it is deleted; 0 means never.
	RoomTTL time.Duration
	// RoomLinger is how long a room stays loaded after its last user left; 0 unloads it at
	// once.
	RoomLinger time.Duration
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names the
	// client (for the autocomplete rate limit).
	TrustedProxies []netip.Prefix
	// AdvertiseURL is how the other nodes sharing the database reach this one
	// (http://host:port); empty: they cannot, and it carries no requests to them.
	AdvertiseURL string
	// ClusterSecret authenticates the nodes sharing the database to each other.
	ClusterSecret string
	// LeaseDuration is how long a room's lease lasts without renewal.
	LeaseDuration time.Duration
	// RunEnabled turns running rooms' code on (it still needs the sandbox tool, bwrap).
	RunEnabled bool
	// RunConcurrency is how many runs run at once; 0: the number of cores.
	RunConcurrency int
	// RunLimits bound each run (see sandbox.Limits).
	RunLimits sandbox.Limits
	// RunRate and RunRoomRate are how many runs per second one client address, and one room,
	// may start on average (bursts of ten times as many); 0 means no limit.
	RunRate, RunRoomRate float64
	// DebugAddr is a loopback address (host:port) where Go's profiles are served under
	// /debug/pprof/, for finding where time and memory go; empty serves none.
	DebugAddr string
	// Args are the command-line arguments left after the flags.
	Args []string
}

// Defaults.
const (
	DefaultPort                 = 8000
	DefaultDataDir              = "./data"
	DefaultLogFormat            = "json"
	DefaultMaxMessageBytes      = 8 << 20
	DefaultRequestTimeout       = 60 * time.Second
	DefaultMaxRoomBytes         = 32 << 20
	DefaultMaxHistoryBytes      = 256 << 20
	DefaultAutocompleteProvider = "builtin"
	DefaultAutocompleteTimeout  = 2 * time.Second
	DefaultAutocompleteRate     = 10
	DefaultRoomCreateRate       = 2
	DefaultConnectionsPerAddr   = 256
	DefaultMaxPending           = crdt.DefaultMaxPendingStructs
	DefaultRoomLinger           = 10 * time.Second
	DefaultLeaseDuration        = 10 * time.Second
	DefaultRunRate              = 1
	DefaultRunRoomRate          = 0.5
)

// setting is one configuration value: its environment variable, its flag,
// its default and how to store a raw string into Config.
type setting struct {
	env, flag, def, usage string
	parse                 func(c *Config, raw string) error
}

var settings = []setting{
	{"PORT", "port", strconv.Itoa(DefaultPort), "TCP port to listen on (0: any free port)", parsePort},
	{"DATABASE_URL", "database-url", "", "Postgres connection string; empty: embedded store in the data directory", parseDatabaseURL},
	{"DATA_DIR", "data-dir", DefaultDataDir, "directory of the embedded store", parseDataDir},
	{"ALLOWED_ORIGINS", "allowed-origins", "", `comma-separated browser origins allowed cross-origin, e.g. "http://localhost:5173", or "*"; empty: same origin only`, parseOrigins},
	{"ALLOWED_HOSTS", "allowed-hosts", "", `comma-separated host names (no ports) this server answers for, e.g. "localhost,127.0.0.1"; others get 421 (defeats DNS rebinding); empty: any`, parseHosts},
	{"LOG_LEVEL", "log-level", "info", "log level: trace, debug, info, warn, error, disabled", parseLogLevel},
	{"LOG_FORMAT", "log-format", DefaultLogFormat, "log format: json or console", parseLogFormat},
	{"MAX_MESSAGE_BYTES", "max-message-bytes", strconv.Itoa(DefaultMaxMessageBytes), "largest WebSocket message, in bytes (suffixes KiB, MiB allowed)", parseMaxMessageBytes},
	{"MAX_ROOM_BYTES", "max-room-bytes", "32MiB", "largest room document (its snapshot plus the updates since); updates that add content past it are refused (suffixes KiB, MiB allowed)", parseMaxRoomBytes},
	{"MAX_HISTORY_BYTES", "max-history-bytes", "256MiB", "largest room history (its op log and checkpoints); past it the older half is dropped (suffixes KiB, MiB, GiB allowed)", parseMaxHistoryBytes},
	{"REQUEST_TIMEOUT", "request-timeout", DefaultRequestTimeout.String(), "how long a REST request may take to send its body (then a 408), and again to take its response; not WebSockets", parseRequestTimeout},
	{"AUTOCOMPLETE_PROVIDER", "autocomplete-provider", DefaultAutocompleteProvider, "autocomplete engine: builtin, openai, ollama or llamacpp", parseAutocompleteProvider},
	{"AUTOCOMPLETE_URL", "autocomplete-url", "", "base URL of the autocomplete model server (not for builtin)", parseAutocompleteURL},
	{"AUTOCOMPLETE_MODEL", "autocomplete-model", "", "autocomplete model name (openai, ollama)", func(c *Config, raw string) error {
		c.AutocompleteModel = strings.TrimSpace(raw)
		return nil
	}},
	{"AUTOCOMPLETE_API_KEY", "autocomplete-api-key", "", "API key sent to an openai autocomplete provider", func(c *Config, raw string) error {
		c.AutocompleteAPIKey = strings.TrimSpace(raw)
		return nil
	}},
	{"AUTOCOMPLETE_TIMEOUT", "autocomplete-timeout", DefaultAutocompleteTimeout.String(), "how long to wait for the autocomplete model per request, e.g. 1500ms", parseAutocompleteTimeout},
	{"AUTOCOMPLETE_RATE", "autocomplete-rate", strconv.Itoa(DefaultAutocompleteRate), "autocomplete requests per second per client address (0: no limit)", parseAutocompleteRate},
	{"MAX_CONNECTIONS_PER_ADDRESS", "max-connections-per-address", strconv.Itoa(DefaultConnectionsPerAddr), "room sockets one client address may hold open; more are refused with 429 (0: no limit)", parseConnectionsPerAddress},
	{"MAX_ROOMS", "max-rooms", "0", "rooms the store may hold; POST /rooms answers 503 past it (0: no limit)", parseMaxRooms},
	{"MAX_PENDING_STRUCTS", "max-pending-structs", strconv.Itoa(DefaultMaxPending), "structs a room keeps waiting for content it never received; an update past it closes its socket with 1008", parsePendingStructs},
	{"MAX_PENDING_DELETE_RANGES", "max-pending-delete-ranges", strconv.Itoa(DefaultMaxPending), "delete ranges a room keeps waiting for content it never received; an update past it closes its socket with 1008", parsePendingDeleteRanges},
	{"ROOM_TTL", "room-ttl", "0", "delete the rooms nobody opened for this long, e.g. 720h (30 days), checked every tenth of it and at least hourly (0: never)", parseRoomTTL},
	{"ROOM_LINGER", "room-linger", DefaultRoomLinger.String(), "how long a room stays loaded after its last user left, so that a reload or a reconnect does not load it again (0: unload at once)", parseRoomLinger},
	{"ROOM_CREATE_RATE", "room-create-rate", strconv.Itoa(DefaultRoomCreateRate), "rooms created per second per client address, bursts of ten times as many (0: no limit)", parseRoomCreateRate},
	{"DEBUG_ADDR", "debug-addr", "", "loopback address where Go's profiles are served under /debug/pprof/, e.g. 127.0.0.1:6060; empty: none", parseDebugAddr},
	{"ADVERTISE_URL", "advertise-url", "", "with DATABASE_URL and several nodes: how the other nodes reach this one, e.g. http://10.0.0.5:8000; also its identity in rooms' leases (default identity: host name and PORT)", parseAdvertiseURL},
	{"CLUSTER_SECRET", "cluster-secret", "", "with several nodes: the secret they share to carry sockets and requests to a room's owner (at least 16 characters); empty: no routing", parseClusterSecret},
	{"LEASE_DURATION", "lease-duration", DefaultLeaseDuration.String(), "how long a room's lease lasts unrenewed (Postgres): the longest a room waits for a new owner after its node died", parseLeaseDuration},
	{"RUN_ENABLED", "run-enabled", "true", "run rooms' code (POST /rooms/{id}/run) in the bubblewrap sandbox: true or false; without bwrap it stays off, and says so", parseRunEnabled},
	{"RUN_CONCURRENCY", "run-concurrency", "0", "runs at once; more wait in a queue of four times as many (0: the number of cores)", parseRunConcurrency},
	{"RUN_CPU_TIME", "run-cpu-time", "5s", "CPU time of a run's program (and again of its compiler)", parseRunCPUTime},
	{"RUN_WALL_TIME", "run-wall-time", "10s", "wall time of a run, compiling included", parseRunWallTime},
	{"RUN_MEMORY", "run-memory", "256MiB", "memory of a run (suffixes KiB, MiB, GiB allowed)", parseRunMemory},
	{"RUN_PROCESSES", "run-processes", "64", "processes and threads a run may have at once", parseRunProcesses},
	{"RUN_OPEN_FILES", "run-open-files", "64", "files a run's process may have open", parseRunOpenFiles},
	{"RUN_FILE_SIZE", "run-file-size", "16MiB", "largest file a run may write (suffixes KiB, MiB allowed)", parseRunFileSize},
	{"RUN_OUTPUT", "run-output", "64KiB", "stdout and stderr a run keeps; a program that prints far more is stopped (suffixes KiB, MiB allowed)", parseRunOutput},
	{"RUN_RATE", "run-rate", strconv.FormatFloat(DefaultRunRate, 'g', -1, 64), "runs per second one client address may start, bursts of ten times as many (0: no limit)", parseRunRate},
	{"RUN_ROOM_RATE", "run-room-rate", strconv.FormatFloat(DefaultRunRoomRate, 'g', -1, 64), "runs per second one room may start, bursts of ten times as many (0: no limit)", parseRunRoomRate},
	{"TRUSTED_PROXIES", "trusted-proxies", "", `comma-separated addresses or CIDR ranges of reverse proxies whose X-Forwarded-For names the client, e.g. "127.0.0.1,10.0.0.0/8"`, parseTrustedProxies},
}

func parseAdvertiseURL(c *Config, raw string) error {
	raw = strings.TrimRight(strings.TrimSpace(raw), "/")
	if raw == "" {
		c.AdvertiseURL = ""
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.User != nil {
		return fmt.Errorf("%q is not a base URL like http://10.0.0.5:8000", raw)
	}
	c.AdvertiseURL = raw
	return nil
}

// parseClusterSecret does not echo the secret.
func parseClusterSecret(c *Config, raw string) error {
	if raw != "" && len(raw) < 16 {
		return errors.New("is shorter than 16 characters")
	}
	c.ClusterSecret = raw
	return nil
}

func parseLeaseDuration(c *Config, raw string) (err error) {
	c.LeaseDuration, err = parseDurationIn(raw, time.Second, 10*time.Minute, "between 1s and 10m (e.g. 10s)")
	return err
}

func parseTrustedProxies(c *Config, raw string) error {
	var proxies []netip.Prefix
	for entry := range strings.SplitSeq(raw, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		p, err := netip.ParsePrefix(entry)
		if err != nil {
			addr, aerr := netip.ParseAddr(entry)
			if aerr != nil {
				return fmt.Errorf("entry %q is not an IP address or CIDR range", entry)
			}
			addr = addr.Unmap()
			p = netip.PrefixFrom(addr, addr.BitLen())
		}
		proxies = append(proxies, p.Masked())
	}
	c.TrustedProxies = proxies
	return nil
}

// parseDebugAddr accepts a loopback address only: the profiles have no authentication, and
// tell much about the server's rooms.
func parseDebugAddr(c *Config, raw string) error {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		c.DebugAddr = ""
		return nil
	}
	addr, err := netip.ParseAddrPort(raw)
	if err != nil || !addr.Addr().IsLoopback() {
		return fmt.Errorf("%q is not a loopback address and port, e.g. 127.0.0.1:6060", raw)
	}
	c.DebugAddr = addr.String()
	return nil
}

// LoadConfig reads the configuration from args (the command line without the
// program name) and the environment (through getenv, typically os.Getenv).
// A flag overrides its environment variable, which overrides the default.
//
// A bad value is an error that names the variable or flag it came from, e.g.
// `PORT "abc" is not a port number`. With -h or -help the error wraps
// flag.ErrHelp and its text is the usage message.
func LoadConfig(args []string, getenv func(string) string) (Config, error) {
	fs := flag.NewFlagSet("pairpad", flag.ContinueOnError)
	var usage bytes.Buffer
	fs.SetOutput(&usage)
	raw := make([]*string, len(settings))
	for i, s := range settings {
		raw[i] = fs.String(s.flag, s.def, s.usage+" (env "+s.env+")")
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			usage.Reset()
			fs.SetOutput(&usage)
			fmt.Fprintln(&usage, "usage: pairpad [flags] [command]")
			fs.PrintDefaults()
			return Config{}, &helpError{usage: usage.String()}
		}
		return Config{}, err
	}
	fromFlag := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { fromFlag[f.Name] = true })

	var c Config
	for i, s := range settings {
		v, source := *raw[i], "flag -"+s.flag
		if !fromFlag[s.flag] {
			if e := getenv(s.env); e != "" {
				v, source = e, s.env
			} else {
				source = "default " + s.env
			}
		}
		if err := s.parse(&c, v); err != nil {
			return Config{}, fmt.Errorf("%s %w", source, err)
		}
	}
	if err := c.checkAutocomplete(); err != nil {
		return Config{}, err
	}
	c.Args = fs.Args()
	return c, nil
}

// checkAutocomplete checks the settings a model provider needs together.
func (c *Config) checkAutocomplete() error {
	if c.AutocompleteProvider == "builtin" {
		return nil
	}
	if c.AutocompleteURL == "" {
		return fmt.Errorf("AUTOCOMPLETE_URL is required with AUTOCOMPLETE_PROVIDER %s", c.AutocompleteProvider)
	}
	if c.AutocompleteModel == "" && c.AutocompleteProvider != "llamacpp" {
		return fmt.Errorf("AUTOCOMPLETE_MODEL is required with AUTOCOMPLETE_PROVIDER %s", c.AutocompleteProvider)
	}
	return nil
}

// helpError carries the usage text when -h is given.
type helpError struct{ usage string }

func (e *helpError) Error() string { return strings.TrimRight(e.usage, "\n") }
func (e *helpError) Unwrap() error { return flag.ErrHelp }

// Each parse function returns an error that reads well after the name of the
// setting, e.g. `"abc" is not a port number`.

func parsePort(c *Config, raw string) error {
	n, err := strconv.Atoi(strings.TrimSpace(raw))
	if err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("%q is not a port number (0-65535)", raw)
	}
	c.Port = n
	return nil
}

// parseDatabaseURL checks the form of a connection string without echoing it:
// it may hold a password.
func parseDatabaseURL(c *Config, raw string) error {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		c.DatabaseURL = ""
		return nil
	}
	if strings.Contains(raw, "://") {
		u, err := url.Parse(raw)
		if err != nil {
			return errors.New("is not a valid URL")
		}
		if u.Scheme != "postgres" && u.Scheme != "postgresql" {
			return fmt.Errorf("has scheme %q; want postgres:// or postgresql://", u.Scheme)
		}
	} else if !strings.Contains(raw, "=") {
		return errors.New("is neither a postgres:// URL nor a key=value connection string")
	}
	c.DatabaseURL = raw
	return nil
}

func parseDataDir(c *Config, raw string) error {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return errors.New("is empty; want a directory path")
	}
	c.DataDir = raw
	return nil
}

// parseHosts splits a comma-separated list of host names: names or IP addresses, without a
// scheme, port or path.
func parseHosts(c *Config, raw string) error {
	var hosts []string
	for h := range strings.SplitSeq(raw, ",") {
		h = strings.TrimSpace(h)
		if h == "" {
			continue
		}
		if strings.ContainsAny(h, "/@ ") || (strings.Contains(h, ":") && !isIPv6(h)) {
			return fmt.Errorf("entry %q is not a host name (no scheme, port or path)", h)
		}
		hosts = append(hosts, strings.Trim(h, "[]"))
	}
	c.AllowedHosts = hosts
	return nil
}

func isIPv6(h string) bool {
	a, err := netip.ParseAddr(strings.Trim(h, "[]"))
	return err == nil && a.Is6()
}

// parseOrigins splits a comma-separated list of origins. Each must be "*" or
// scheme://host[:port] with scheme http or https and nothing after the host;
// a trailing slash is dropped, since browsers never send one.
func parseOrigins(c *Config, raw string) error {
	var origins []string
	for o := range strings.SplitSeq(raw, ",") {
		o = strings.TrimSpace(o)
		if o == "" {
			continue
		}
		if o != "*" {
			o = strings.TrimSuffix(o, "/")
			u, err := url.Parse(o)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
				u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" {
				return fmt.Errorf("entry %q is not an origin (http[s]://host[:port]) or \"*\"", o)
			}
		}
		origins = append(origins, o)
	}
	c.AllowedOrigins = origins
	return nil
}

func parseLogLevel(c *Config, raw string) error {
	s := strings.ToLower(strings.TrimSpace(raw))
	if s == "warning" {
		s = "warn"
	}
	lvl, err := zerolog.ParseLevel(s)
	if err != nil || s == "" {
		return fmt.Errorf("%q is not a log level (trace, debug, info, warn, error, fatal, panic, disabled)", raw)
	}
	c.LogLevel = lvl
	return nil
}

func parseLogFormat(c *Config, raw string) error {
	s := strings.ToLower(strings.TrimSpace(raw))
	if s != "json" && s != "console" {
		return fmt.Errorf("%q is not a log format (json or console)", raw)
	}
	c.LogFormat = s
	return nil
}

// maxMessageLimit bounds MAX_MESSAGE_BYTES and MAX_ROOM_BYTES: one message is held in memory
// whole, so a typo must not allow gigabyte frames.
const maxMessageLimit = 1 << 30

func parseMaxMessageBytes(c *Config, raw string) (err error) {
	c.MaxMessageBytes, err = parseSize(raw)
	return err
}

func parseMaxRoomBytes(c *Config, raw string) (err error) {
	c.MaxRoomBytes, err = parseSize(raw)
	return err
}

func parseMaxHistoryBytes(c *Config, raw string) (err error) {
	c.MaxHistoryBytes, err = parseSize(raw)
	return err
}

// parseSize reads a size in bytes, with an optional suffix B, KiB, MiB or GiB: 1 byte to 1 GiB.
func parseSize(raw string) (int64, error) {
	s := strings.TrimSpace(raw)
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"B", 1}} {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n > maxMessageLimit/mult {
		return 0, fmt.Errorf("%q is not a size between 1 byte and 1 GiB", raw)
	}
	return n * mult, nil
}

func parseAutocompleteProvider(c *Config, raw string) error {
	s := strings.ToLower(strings.TrimSpace(raw))
	switch s {
	case "builtin", "openai", "ollama", "llamacpp":
	default:
		return fmt.Errorf("%q is not an autocomplete provider (builtin, openai, ollama, llamacpp)", raw)
	}
	c.AutocompleteProvider = s
	return nil
}

// parseAutocompleteURL checks the form of the model server's URL without
// echoing it: it may hold credentials.
func parseAutocompleteURL(c *Config, raw string) error {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		c.AutocompleteURL = ""
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("is not an http:// or https:// URL")
	}
	c.AutocompleteURL = raw
	return nil
}

func parseRequestTimeout(c *Config, raw string) (err error) {
	c.RequestTimeout, err = parseDurationIn(raw, time.Second, time.Hour, "between 1s and 1h (e.g. 60s, 2m)")
	return err
}

// parseDurationIn reads a duration in [lo, hi]; the error says the range as within does.
func parseDurationIn(raw string, lo, hi time.Duration, within string) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(raw))
	if err != nil || d < lo || d > hi {
		return 0, fmt.Errorf("%q is not a duration %s", raw, within)
	}
	return d, nil
}

func parseAutocompleteTimeout(c *Config, raw string) (err error) {
	c.AutocompleteTimeout, err = parseDurationIn(raw, time.Nanosecond, time.Minute, "between 1ns and 1m (e.g. 2s, 1500ms)")
	return err
}

func parseAutocompleteRate(c *Config, raw string) (err error) {
	c.AutocompleteRate, err = parseRate(raw)
	return err
}

func parseRoomCreateRate(c *Config, raw string) (err error) {
	c.RoomCreateRate, err = parseRate(raw)
	return err
}

func parseConnectionsPerAddress(c *Config, raw string) (err error) {
	c.MaxConnectionsPerAddress, err = parseCount(raw, "connections")
	return err
}

func parseMaxRooms(c *Config, raw string) (err error) {
	c.MaxRooms, err = parseCount(raw, "rooms")
	return err
}

func parsePendingStructs(c *Config, raw string) (err error) {
	c.MaxPendingStructs, err = parsePositive(raw, "structs")
	return err
}

func parsePendingDeleteRanges(c *Config, raw string) (err error) {
	c.MaxPendingDeleteRanges, err = parsePositive(raw, "delete ranges")
	return err
}

// parsePositive reads a count of what that must be at least 1.
func parsePositive(raw, what string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(raw))
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%q is not a number of %s of 1 or more", raw, what)
	}
	return n, nil
}

func parseRoomTTL(c *Config, raw string) error {
	s := strings.TrimSpace(raw)
	if s == "" {
		c.RoomTTL = 0
		return nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return fmt.Errorf("%q is not a duration of 0 or more (e.g. 720h; 0: rooms never expire)", raw)
	}
	c.RoomTTL = d
	return nil
}

func parseRoomLinger(c *Config, raw string) (err error) {
	c.RoomLinger, err = parseDurationIn(raw, 0, time.Hour, "between 0 and 1h (e.g. 10s; 0: rooms unload at once)")
	return err
}

func parseRunEnabled(c *Config, raw string) (err error) {
	c.RunEnabled, err = strconv.ParseBool(strings.TrimSpace(raw))
	if err != nil {
		return fmt.Errorf("%q is not true or false", raw)
	}
	return nil
}

func parseRunConcurrency(c *Config, raw string) (err error) {
	c.RunConcurrency, err = parseCount(raw, "runs")
	return err
}

func parseRunCPUTime(c *Config, raw string) (err error) {
	c.RunLimits.CPUTime, err = parseDurationIn(raw, 100*time.Millisecond, 10*time.Minute, "between 100ms and 10m (e.g. 5s)")
	return err
}

func parseRunWallTime(c *Config, raw string) (err error) {
	c.RunLimits.WallTime, err = parseDurationIn(raw, 100*time.Millisecond, 10*time.Minute, "between 100ms and 10m (e.g. 10s)")
	return err
}

func parseRunMemory(c *Config, raw string) (err error) {
	c.RunLimits.Memory, err = parseSizeIn(raw, 16<<20, "16MiB")
	return err
}

func parseRunProcesses(c *Config, raw string) (err error) {
	c.RunLimits.Processes, err = parsePositive(raw, "processes")
	return err
}

func parseRunOpenFiles(c *Config, raw string) (err error) {
	c.RunLimits.OpenFiles, err = parsePositive(raw, "files")
	return err
}

func parseRunFileSize(c *Config, raw string) (err error) {
	c.RunLimits.FileSize, err = parseSizeIn(raw, 1<<10, "1KiB")
	return err
}

func parseRunOutput(c *Config, raw string) (err error) {
	c.RunLimits.Output, err = parseSizeIn(raw, 1<<10, "1KiB")
	return err
}

// parseSizeIn reads a size of at least min bytes (minText, as the error says it).
func parseSizeIn(raw string, min int64, minText string) (int64, error) {
	n, err := parseSize(raw)
	if err != nil {
		return 0, err
	}
	if n < min {
		return 0, fmt.Errorf("%q is less than %s", raw, minText)
	}
	return n, nil
}

func parseRunRate(c *Config, raw string) (err error) {
	c.RunRate, err = parseRate(raw)
	return err
}

func parseRunRoomRate(c *Config, raw string) (err error) {
	c.RunRoomRate, err = parseRate(raw)
	return err
}

// parseCount reads a count of what: 0 or more, 0 meaning no limit.
func parseCount(raw, what string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(raw))
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q is not a number of %s (0: no limit)", raw, what)
	}
	return n, nil
}

// parseRate reads a rate of requests per second: 0 or more, 0 meaning no limit.
func parseRate(raw string) (float64, error) {
	r, err := strconv.ParseFloat(strings.TrimSpace(raw), 64)
	if err != nil || r < 0 || math.IsNaN(r) || math.IsInf(r, 0) {
		return 0, fmt.Errorf("%q is not a number of requests per second (0: no limit)", raw)
	}
	return r, nil
}

// NewLogger returns the logger described by cfg, writing to w: one event per
// line with a UTC timestamp (millisecond precision) in the "time" field, as a
// JSON object or, with LogFormat "console", as human-readable text without
// colour codes. It changes no zerolog globals.
func NewLogger(cfg Config, w io.Writer) zerolog.Logger {
	out := w
	if cfg.LogFormat == "console" {
		out = zerolog.ConsoleWriter{Out: w, NoColor: true, TimeFormat: "15:04:05.000"}
	}
	return zerolog.New(out).Level(cfg.LogLevel).Hook(timestampHook{})
}

// timestampHook adds the time to each event. zerolog's own Timestamp() has
// second precision unless a package global is changed.
type timestampHook struct{}

func (timestampHook) Run(e *zerolog.Event, _ zerolog.Level, _ string) {
	e.Str(zerolog.TimestampFieldName, time.Now().UTC().Format("2006-01-02T15:04:05.000Z07:00"))
}
