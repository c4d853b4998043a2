package load

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"time"
)

// Mode is what the clients of a run do.
type Mode string

// The modes of a run.
const (
	// Type: every client types Rate keystrokes per second for Warmup+Duration; the keystrokes
	// typed during Duration are measured.
	Type Mode = "type"
	// Idle: every client connects, syncs and stays silent for Duration; the run measures the
	// memory of the server per connection.
	Idle Mode = "idle"
	// Churn: Type, and in every room one more client joins, syncs, stays 0.5 to 2 s and leaves,
	// again and again; the run also measures how long joins take.
	Churn Mode = "churn"
)

// Options configure a run. The zero value of every field but URL means its default.
type Options struct {
	// URL is the y-websocket base URL, ws://host:port/yjs for pairpad: a room's socket is
	// URL/<room>. With Protocol Hocuspocus every connection dials URL itself.
	URL string
	// Protocol is YWebsocket (the default) or Hocuspocus.
	Protocol string
	Mode     Mode // default Type
	// Rooms is the number of rooms (default 10), Clients the number of clients in each
	// (default 4; at least 2 in the modes that type).
	Rooms, Clients int
	// Rate is how many keystrokes per second each client types (default 5).
	Rate float64
	// Duration is how long keystrokes are measured, or idle connections held (default 10 s).
	Duration time.Duration
	// Warmup is how long clients type before the measurement starts (default 2 s; negative:
	// none).
	Warmup time.Duration
	// Create creates the rooms with POST /rooms on the server's REST API (pairpad's), at
	// URL's host; otherwise rooms are new names, which y-websocket servers and Hocuspocus
	// create on the first connection.
	Create bool
	// PID, if not 0, is the server's process id on this machine: the report then includes its
	// CPU time and memory, read from /proc.
	PID int
}

// ErrInvalidOptions reports an option out of range; the error names it.
var ErrInvalidOptions = errors.New("load: invalid options")

func (o *Options) validate() error {
	if o.Protocol == "" {
		o.Protocol = YWebsocket
	}
	if o.Mode == "" {
		o.Mode = Type
	}
	o.Rooms = orDefault(o.Rooms, 10)
	o.Clients = orDefault(o.Clients, 4)
	o.Rate = orDefault(o.Rate, 5)
	o.Duration = orDefault(o.Duration, 10*time.Second)
	o.Warmup = orDefault(o.Warmup, 2*time.Second)
	o.Warmup = max(o.Warmup, 0)
	u, err := url.Parse(o.URL)
	switch {
	case err != nil || (u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "":
		return fmt.Errorf("%w: -url %q is not a ws:// or wss:// URL", ErrInvalidOptions, o.URL)
	case o.Protocol != YWebsocket && o.Protocol != Hocuspocus:
		return fmt.Errorf("%w: -protocol %q (want %s or %s)", ErrInvalidOptions, o.Protocol, YWebsocket, Hocuspocus)
	case o.Mode != Type && o.Mode != Idle && o.Mode != Churn:
		return fmt.Errorf("%w: -mode %q (want %s, %s or %s)", ErrInvalidOptions, o.Mode, Type, Idle, Churn)
	case o.Rooms < 0 || o.Clients < 0 || o.Rate < 0 || o.Duration < 0:
		return fmt.Errorf("%w: -rooms, -clients, -rate and -duration cannot be negative", ErrInvalidOptions)
	case o.Mode != Idle && o.Clients < 2:
		return fmt.Errorf("%w: -clients %d: a keystroke needs another client to reach", ErrInvalidOptions, o.Clients)
	case o.Mode != Idle && o.Rate > 1000:
		return fmt.Errorf("%w: -rate %g: at most 1000 keystrokes per second per client", ErrInvalidOptions, o.Rate)
	}
	return nil
}

func orDefault[T int | float64 | time.Duration](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}

// parseFlags reads Options and the output format from the command line of `pairpad load`.
func parseFlags(args []string, stderr io.Writer) (Options, bool, error) {
	var o Options
	var mode string
	var asJSON bool
	fs := flag.NewFlagSet("pairpad load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.URL, "url", "", "y-websocket base URL, e.g. ws://localhost:8000/yjs (rooms are <url>/<room>)")
	fs.StringVar(&o.Protocol, "protocol", YWebsocket, "wire protocol: y-websocket, or hocuspocus (Hocuspocus 3.x; rooms are document names)")
	fs.StringVar(&mode, "mode", string(Type), "type (clients type), idle (clients hold connections: memory per connection) or churn (type, while a client per room joins and leaves)")
	fs.IntVar(&o.Rooms, "rooms", 10, "number of rooms")
	fs.IntVar(&o.Clients, "clients", 4, "clients per room")
	fs.Float64Var(&o.Rate, "rate", 5, "keystrokes per second per client")
	fs.DurationVar(&o.Duration, "duration", 10*time.Second, "how long keystrokes are measured (idle: connections held)")
	fs.DurationVar(&o.Warmup, "warmup", 2*time.Second, "how long clients type before the measurement starts")
	fs.BoolVar(&o.Create, "create", false, "create the rooms with POST /rooms on the server's REST API (pairpad)")
	fs.IntVar(&o.PID, "pid", 0, "the server's process id on this machine: report its CPU time and memory (from /proc)")
	fs.BoolVar(&asJSON, "json", false, "print the report as JSON")
	if err := fs.Parse(args); err != nil {
		return Options{}, false, err
	}
	if fs.NArg() > 0 {
		return Options{}, false, fmt.Errorf("%w: unexpected argument %q", ErrInvalidOptions, fs.Arg(0))
	}
	o.Mode = Mode(mode)
	if o.Warmup == 0 {
		o.Warmup = -1 // -warmup 0 means none, not the default
	}
	return o, asJSON, nil
}
