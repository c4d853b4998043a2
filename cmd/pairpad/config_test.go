package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/rs/zerolog"

	"github.com/pairpad/pairpad/sandbox"
)

func defaultConfig() Config {
	return Config{
		Port:                     8000,
		DataDir:                  "./data",
		LogLevel:                 zerolog.InfoLevel,
		LogFormat:                "json",
		MaxMessageBytes:          8 << 20,
		MaxRoomBytes:             32 << 20,
		MaxHistoryBytes:          256 << 20,
		RequestTimeout:           60 * time.Second,
		AutocompleteProvider:     "builtin",
		AutocompleteTimeout:      2 * time.Second,
		AutocompleteRate:         10,
		RoomCreateRate:           2,
		MaxConnectionsPerAddress: 256,
		MaxPendingStructs:        10_000,
		MaxPendingDeleteRanges:   10_000,
		RoomLinger:               10 * time.Second,
		LeaseDuration:            10 * time.Second,
		RunEnabled:               true,
		RunLimits:                sandbox.DefaultLimits,
		RunRate:                  1,
		RunRoomRate:              0.5,
	}
}

func TestLoadConfig(t *testing.T) {
	with := func(f func(*Config)) Config {
		c := defaultConfig()
		f(&c)
		return c
	}
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    Config
		wantErr string // a fragment of the error; empty for success
	}{
		{name: "defaults", want: defaultConfig()},
		{name: "environment", env: map[string]string{
			"PORT":                  "9000",
			"DATABASE_URL":          "postgres://pairpad:pw@db:5432/pairpad?sslmode=disable",
			"DATA_DIR":              "/var/lib/pairpad",
			"ALLOWED_ORIGINS":       " http://localhost:5173 , https://pairpad.example/ ,,",
			"LOG_LEVEL":             "DEBUG",
			"LOG_FORMAT":            "console",
			"MAX_MESSAGE_BYTES":     "1048576",
			"REQUEST_TIMEOUT":       "90s",
			"AUTOCOMPLETE_PROVIDER": "builtin",
		}, want: with(func(c *Config) {
			c.Port = 9000
			c.DatabaseURL = "postgres://pairpad:pw@db:5432/pairpad?sslmode=disable"
			c.DataDir = "/var/lib/pairpad"
			c.AllowedOrigins = []string{"http://localhost:5173", "https://pairpad.example"}
			c.LogLevel = zerolog.DebugLevel
			c.LogFormat = "console"
			c.MaxMessageBytes = 1 << 20
			c.RequestTimeout = 90 * time.Second
		})},
		{name: "model provider", env: map[string]string{
			"AUTOCOMPLETE_PROVIDER": "Ollama",
			"AUTOCOMPLETE_URL":      "http://localhost:11434",
			"AUTOCOMPLETE_MODEL":    "qwen2.5-coder:1.5b",
			"AUTOCOMPLETE_API_KEY":  "sk-test",
			"AUTOCOMPLETE_TIMEOUT":  "1500ms",
			"AUTOCOMPLETE_RATE":     "2.5",
		}, want: with(func(c *Config) {
			c.AutocompleteProvider = "ollama"
			c.AutocompleteURL = "http://localhost:11434"
			c.AutocompleteModel = "qwen2.5-coder:1.5b"
			c.AutocompleteAPIKey = "sk-test"
			c.AutocompleteTimeout = 1500 * time.Millisecond
			c.AutocompleteRate = 2.5
		})},
		{name: "llamacpp needs no model", env: map[string]string{"AUTOCOMPLETE_PROVIDER": "llamacpp", "AUTOCOMPLETE_URL": "http://127.0.0.1:8080"},
			want: with(func(c *Config) { c.AutocompleteProvider = "llamacpp"; c.AutocompleteURL = "http://127.0.0.1:8080" })},
		{name: "trusted proxies", env: map[string]string{"TRUSTED_PROXIES": " 127.0.0.1, 10.1.2.3/8 ,::1,,"},
			want: with(func(c *Config) {
				c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}
			})},
		{name: "debug address", env: map[string]string{"DEBUG_ADDR": " 127.0.0.1:6060 "}, want: with(func(c *Config) { c.DebugAddr = "127.0.0.1:6060" })},
		{name: "room creation rate", env: map[string]string{"ROOM_CREATE_RATE": "0"}, want: with(func(c *Config) { c.RoomCreateRate = 0 })},
		{name: "allowed hosts", env: map[string]string{"ALLOWED_HOSTS": " localhost, 127.0.0.1 ,[::1],,"},
			want: with(func(c *Config) { c.AllowedHosts = []string{"localhost", "127.0.0.1", "::1"} })},
		{name: "connections per address", env: map[string]string{"MAX_CONNECTIONS_PER_ADDRESS": "0"}, want: with(func(c *Config) { c.MaxConnectionsPerAddress = 0 })},
		{name: "room size", env: map[string]string{"MAX_ROOM_BYTES": "4MiB"}, want: with(func(c *Config) { c.MaxRoomBytes = 4 << 20 })},
		{name: "history size", env: map[string]string{"MAX_HISTORY_BYTES": "1GiB"}, want: with(func(c *Config) { c.MaxHistoryBytes = 1 << 30 })},
		{name: "room quota", env: map[string]string{"MAX_ROOMS": "10000"}, want: with(func(c *Config) { c.MaxRooms = 10000 })},
		{name: "room TTL", env: map[string]string{"ROOM_TTL": " 720h "}, want: with(func(c *Config) { c.RoomTTL = 720 * time.Hour })},
		{name: "pending caps", env: map[string]string{"MAX_PENDING_STRUCTS": "500", "MAX_PENDING_DELETE_RANGES": "2000"}, want: with(func(c *Config) {
			c.MaxPendingStructs, c.MaxPendingDeleteRanges = 500, 2000
		})},
		{name: "room TTL zero", env: map[string]string{"ROOM_TTL": "0s"}, want: defaultConfig()},
		{name: "room linger", env: map[string]string{"ROOM_LINGER": "0"}, want: with(func(c *Config) { c.RoomLinger = 0 })},
		{name: "rate zero means no limit", env: map[string]string{"AUTOCOMPLETE_RATE": "0"}, want: with(func(c *Config) { c.AutocompleteRate = 0 })},
		{name: "flags override environment",
			args: []string{"-port", "7000", "--log-level=warn", "-allowed-origins", "*", "-data-dir", "/tmp/d", "-max-message-bytes", "2MiB"},
			env:  map[string]string{"PORT": "9000", "LOG_LEVEL": "debug", "ALLOWED_ORIGINS": "http://a.example", "DATA_DIR": "/x"},
			want: with(func(c *Config) {
				c.Port = 7000
				c.LogLevel = zerolog.WarnLevel
				c.AllowedOrigins = []string{"*"}
				c.DataDir = "/tmp/d"
				c.MaxMessageBytes = 2 << 20
			})},
		{name: "empty environment value means unset", env: map[string]string{"PORT": "", "LOG_FORMAT": ""}, want: defaultConfig()},
		{name: "remaining arguments", args: []string{"-port", "1", "migrate", "up"},
			want: with(func(c *Config) { c.Port = 1; c.Args = []string{"migrate", "up"} })},
		{name: "port zero", env: map[string]string{"PORT": "0"}, want: with(func(c *Config) { c.Port = 0 })},
		{name: "key=value database", env: map[string]string{"DATABASE_URL": "host=localhost user=postgres dbname=test"},
			want: with(func(c *Config) { c.DatabaseURL = "host=localhost user=postgres dbname=test" })},
		{name: "size suffix KiB", env: map[string]string{"MAX_MESSAGE_BYTES": "64KiB"}, want: with(func(c *Config) { c.MaxMessageBytes = 64 << 10 })},
		{name: "warning alias", env: map[string]string{"LOG_LEVEL": "warning"}, want: with(func(c *Config) { c.LogLevel = zerolog.WarnLevel })},
		{name: "disabled logs", env: map[string]string{"LOG_LEVEL": "disabled"}, want: with(func(c *Config) { c.LogLevel = zerolog.Disabled })},
		{name: "cluster", env: map[string]string{"ADVERTISE_URL": "http://10.0.0.5:8000/", "CLUSTER_SECRET": "0123456789abcdef", "LEASE_DURATION": "3s"},
			want: with(func(c *Config) {
				c.AdvertiseURL, c.ClusterSecret, c.LeaseDuration = "http://10.0.0.5:8000", "0123456789abcdef", 3*time.Second
			})},
		{name: "bad ADVERTISE_URL", env: map[string]string{"ADVERTISE_URL": "10.0.0.5:8000"}, wantErr: `ADVERTISE_URL "10.0.0.5:8000" is not a base URL`},
		{name: "short CLUSTER_SECRET", env: map[string]string{"CLUSTER_SECRET": "secret"}, wantErr: `CLUSTER_SECRET is shorter than 16 characters`},
		{name: "bad LEASE_DURATION", env: map[string]string{"LEASE_DURATION": "100ms"}, wantErr: `LEASE_DURATION`},
		{name: "running code", env: map[string]string{"RUN_ENABLED": "false", "RUN_CONCURRENCY": "3", "RUN_CPU_TIME": "2s",
			"RUN_WALL_TIME": "1m", "RUN_MEMORY": "1GiB", "RUN_PROCESSES": "10", "RUN_OPEN_FILES": "20", "RUN_FILE_SIZE": "1MiB",
			"RUN_OUTPUT": "1MiB", "RUN_RATE": "0", "RUN_ROOM_RATE": "2"},
			want: with(func(c *Config) {
				c.RunEnabled, c.RunConcurrency, c.RunRate, c.RunRoomRate = false, 3, 0, 2
				c.RunLimits = sandbox.Limits{CPUTime: 2 * time.Second, WallTime: time.Minute, Memory: 1 << 30, Processes: 10,
					OpenFiles: 20, FileSize: 1 << 20, Output: 1 << 20}
			})},
		{name: "bad RUN_ENABLED", env: map[string]string{"RUN_ENABLED": "maybe"}, wantErr: `RUN_ENABLED "maybe" is not true or false`},
		{name: "bad RUN_WALL_TIME", env: map[string]string{"RUN_WALL_TIME": "1h"}, wantErr: `RUN_WALL_TIME "1h" is not a duration between 100ms and 10m`},
		{name: "small RUN_MEMORY", env: map[string]string{"RUN_MEMORY": "1MiB"}, wantErr: `RUN_MEMORY "1MiB" is less than 16MiB`},
		{name: "zero RUN_PROCESSES", env: map[string]string{"RUN_PROCESSES": "0"}, wantErr: `RUN_PROCESSES "0" is not a number of processes of 1 or more`},

		{name: "bad PORT", env: map[string]string{"PORT": "abc"}, wantErr: `PORT "abc" is not a port number`},
		{name: "PORT out of range", env: map[string]string{"PORT": "70000"}, wantErr: `PORT "70000" is not a port number`},
		{name: "bad port flag", args: []string{"-port", "-1"}, wantErr: `flag -port "-1" is not a port number`},
		{name: "bad DATABASE_URL scheme", env: map[string]string{"DATABASE_URL": "mysql://u:secretpw@h/db"}, wantErr: `DATABASE_URL has scheme "mysql"`},
		{name: "bad DATABASE_URL form", env: map[string]string{"DATABASE_URL": "localhost"}, wantErr: `DATABASE_URL is neither`},
		{name: "empty data dir flag", args: []string{"-data-dir", " "}, wantErr: `flag -data-dir is empty`},
		{name: "bad origin path", env: map[string]string{"ALLOWED_ORIGINS": "http://localhost:5173/app"}, wantErr: `ALLOWED_ORIGINS entry "http://localhost:5173/app" is not an origin`},
		{name: "bad origin scheme", env: map[string]string{"ALLOWED_ORIGINS": "localhost:5173"}, wantErr: `ALLOWED_ORIGINS entry "localhost:5173" is not an origin`},
		{name: "bad LOG_LEVEL", env: map[string]string{"LOG_LEVEL": "loud"}, wantErr: `LOG_LEVEL "loud" is not a log level`},
		{name: "bad LOG_FORMAT", env: map[string]string{"LOG_FORMAT": "xml"}, wantErr: `LOG_FORMAT "xml" is not a log format (json or console)`},
		{name: "bad MAX_MESSAGE_BYTES", env: map[string]string{"MAX_MESSAGE_BYTES": "lots"}, wantErr: `MAX_MESSAGE_BYTES "lots" is not a size`},
		{name: "zero MAX_MESSAGE_BYTES", env: map[string]string{"MAX_MESSAGE_BYTES": "0"}, wantErr: `MAX_MESSAGE_BYTES "0" is not a size`},
		{name: "huge MAX_MESSAGE_BYTES", env: map[string]string{"MAX_MESSAGE_BYTES": "2GiB"}, wantErr: `MAX_MESSAGE_BYTES "2GiB" is not a size`},
		{name: "bad provider", env: map[string]string{"AUTOCOMPLETE_PROVIDER": "gpt"}, wantErr: `AUTOCOMPLETE_PROVIDER "gpt" is not an autocomplete provider`},
		{name: "provider without URL", env: map[string]string{"AUTOCOMPLETE_PROVIDER": "openai", "AUTOCOMPLETE_MODEL": "m"}, wantErr: `AUTOCOMPLETE_URL is required with AUTOCOMPLETE_PROVIDER openai`},
		{name: "provider without model", env: map[string]string{"AUTOCOMPLETE_PROVIDER": "ollama", "AUTOCOMPLETE_URL": "http://localhost:11434"}, wantErr: `AUTOCOMPLETE_MODEL is required with AUTOCOMPLETE_PROVIDER ollama`},
		{name: "bad AUTOCOMPLETE_URL", env: map[string]string{"AUTOCOMPLETE_URL": "ftp://u:secretpw@host"}, wantErr: `AUTOCOMPLETE_URL is not an http:// or https:// URL`},
		{name: "bad AUTOCOMPLETE_TIMEOUT", env: map[string]string{"AUTOCOMPLETE_TIMEOUT": "soon"}, wantErr: `AUTOCOMPLETE_TIMEOUT "soon" is not a duration`},
		{name: "bad AUTOCOMPLETE_RATE", env: map[string]string{"AUTOCOMPLETE_RATE": "-1"}, wantErr: `AUTOCOMPLETE_RATE "-1" is not a number`},
		{name: "bad TRUSTED_PROXIES", env: map[string]string{"TRUSTED_PROXIES": "proxy.example"}, wantErr: `TRUSTED_PROXIES entry "proxy.example" is not an IP address or CIDR range`},
		{name: "DEBUG_ADDR not loopback", env: map[string]string{"DEBUG_ADDR": "0.0.0.0:6060"}, wantErr: `DEBUG_ADDR "0.0.0.0:6060" is not a loopback address`},
		{name: "DEBUG_ADDR without port", env: map[string]string{"DEBUG_ADDR": "127.0.0.1"}, wantErr: `DEBUG_ADDR "127.0.0.1" is not a loopback address`},
		{name: "bad REQUEST_TIMEOUT", env: map[string]string{"REQUEST_TIMEOUT": "100ms"}, wantErr: `REQUEST_TIMEOUT "100ms" is not a duration between 1s and 1h`},
		{name: "bad ROOM_CREATE_RATE", env: map[string]string{"ROOM_CREATE_RATE": "fast"}, wantErr: `ROOM_CREATE_RATE "fast" is not a number`},
		{name: "ALLOWED_HOSTS with a port", env: map[string]string{"ALLOWED_HOSTS": "localhost:8000"}, wantErr: `ALLOWED_HOSTS entry "localhost:8000" is not a host name`},
		{name: "ALLOWED_HOSTS with a scheme", env: map[string]string{"ALLOWED_HOSTS": "http://localhost"}, wantErr: `ALLOWED_HOSTS entry "http://localhost" is not a host name`},
		{name: "bad MAX_CONNECTIONS_PER_ADDRESS", env: map[string]string{"MAX_CONNECTIONS_PER_ADDRESS": "-3"}, wantErr: `MAX_CONNECTIONS_PER_ADDRESS "-3" is not a number of connections`},
		{name: "bad MAX_ROOM_BYTES", env: map[string]string{"MAX_ROOM_BYTES": "big"}, wantErr: `MAX_ROOM_BYTES "big" is not a size`},
		{name: "bad MAX_ROOMS", env: map[string]string{"MAX_ROOMS": "many"}, wantErr: `MAX_ROOMS "many" is not a number of rooms`},
		{name: "bad ROOM_TTL", env: map[string]string{"ROOM_TTL": "30d"}, wantErr: `ROOM_TTL "30d" is not a duration of 0 or more`},
		{name: "zero MAX_PENDING_STRUCTS", env: map[string]string{"MAX_PENDING_STRUCTS": "0"}, wantErr: `MAX_PENDING_STRUCTS "0" is not a number of structs of 1 or more`},
		{name: "bad pending ranges flag", args: []string{"-max-pending-delete-ranges", "x"}, wantErr: `flag -max-pending-delete-ranges "x" is not a number of delete ranges of 1 or more`},
		{name: "bad ROOM_LINGER", env: map[string]string{"ROOM_LINGER": "2h"}, wantErr: `ROOM_LINGER "2h" is not a duration between 0 and 1h`},
		{name: "negative ROOM_TTL", env: map[string]string{"ROOM_TTL": "-1h"}, wantErr: `ROOM_TTL "-1h" is not a duration of 0 or more`},
		{name: "bad room TTL flag", args: []string{"-room-ttl", "soon"}, wantErr: `flag -room-ttl "soon" is not a duration of 0 or more`},
		{name: "unknown flag", args: []string{"-verbose"}, wantErr: "flag provided but not defined: -verbose"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			getenv := func(k string) string { return tt.env[k] }
			got, err := LoadConfig(tt.args, getenv)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("LoadConfig error = %v, want one containing %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "secretpw") {
					t.Errorf("error %q echoes a password", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("LoadConfig: %v", err)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty(), cmpopts.EquateComparable(netip.Prefix{})); diff != "" {
				t.Errorf("config mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadConfigHelp(t *testing.T) {
	_, err := LoadConfig([]string{"-h"}, func(string) string { return "" })
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("LoadConfig(-h) error = %v, want flag.ErrHelp", err)
	}
	for _, want := range []string{"usage: pairpad", "-port", "env PORT", "-allowed-origins", "env MAX_MESSAGE_BYTES"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("usage lacks %q:\n%s", want, err)
		}
	}
}

func TestNewLoggerJSON(t *testing.T) {
	cfg := defaultConfig()
	var buf bytes.Buffer
	log := NewLogger(cfg, &buf)
	log.Debug().Msg("hidden") // below info
	log.Info().Str("room", "a1b2c3d4").Msg("room loaded")
	log.Error().Str("conn", "c1").Msg("multi\nline")

	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d lines, want 2 (one event per line):\n%s", len(lines), buf.String())
	}
	var got []map[string]any
	for _, l := range lines {
		var ev map[string]any
		if err := json.Unmarshal([]byte(l), &ev); err != nil {
			t.Fatalf("line %q is not JSON: %v", l, err)
		}
		ts, _ := ev["time"].(string)
		if _, err := time.Parse(time.RFC3339Nano, ts); err != nil || !strings.HasSuffix(ts, "Z") {
			t.Errorf("time %q is not an RFC 3339 UTC timestamp", ts)
		}
		delete(ev, "time")
		got = append(got, ev)
	}
	want := []map[string]any{
		{"level": "info", "room": "a1b2c3d4", "message": "room loaded"},
		{"level": "error", "conn": "c1", "message": "multi\nline"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events mismatch (-want +got):\n%s", diff)
	}
}

func TestNewLoggerConsole(t *testing.T) {
	cfg := defaultConfig()
	cfg.LogFormat = "console"
	cfg.LogLevel = zerolog.WarnLevel
	var buf bytes.Buffer
	log := NewLogger(cfg, &buf)
	log.Info().Msg("hidden")
	log.Warn().Str("room", "r1").Msg("slow consumer closed")

	out := buf.String()
	if strings.Count(out, "\n") != 1 {
		t.Fatalf("want one line, got %q", out)
	}
	for _, want := range []string{"WRN", "slow consumer closed", "room=r1"} {
		if !strings.Contains(out, want) {
			t.Errorf("console line %q lacks %q", out, want)
		}
	}
	if strings.Contains(out, "\x1b[") {
		t.Errorf("console line %q has colour codes", out)
	}
}

func TestDebugHandlerServesProfiles(t *testing.T) {
	ts := httptest.NewServer(debugHandler())
	defer ts.Close()
	for path, want := range map[string]string{
		"/debug/pprof/":                  "goroutine",
		"/debug/pprof/heap?debug=1":      "heap profile",
		"/debug/pprof/goroutine?debug=1": "goroutine profile",
	} {
		resp, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), want) {
			t.Errorf("GET %s = %d %.80q", path, resp.StatusCode, body)
		}
	}
}
