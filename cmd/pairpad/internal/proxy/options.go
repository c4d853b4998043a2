package proxy

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strings"
	"time"
)

// Options configure a Proxy. The zero value of every field but Backends means its default.
type Options struct {
	// Listen is the address to accept connections on (default 127.0.0.1:8000).
	Listen string
	// Backends are the host:port addresses connections go to, in turn.
	Backends []string
	// DialTimeout is how long a backend may take to accept a connection before the next one is
	// tried (default 1 s).
	DialTimeout time.Duration
	// Grace is how long Serve waits, once its context ends, for open connections to end by
	// themselves (the nodes close their WebSockets when they stop) before it closes them
	// (default 5 s; negative: no wait).
	Grace time.Duration
}

// ErrInvalidOptions reports an option out of range; the error names it.
var ErrInvalidOptions = errors.New("proxy: invalid options")

func (o *Options) validate() error {
	if o.Listen == "" {
		o.Listen = "127.0.0.1:8000"
	}
	if o.DialTimeout == 0 {
		o.DialTimeout = time.Second
	}
	if o.Grace == 0 {
		o.Grace = 5 * time.Second
	}
	if len(o.Backends) == 0 {
		return fmt.Errorf("%w: no -backends", ErrInvalidOptions)
	}
	for _, b := range o.Backends {
		if _, _, err := net.SplitHostPort(b); err != nil {
			return fmt.Errorf("%w: backend %q is not host:port", ErrInvalidOptions, b)
		}
	}
	if o.DialTimeout < 0 {
		return fmt.Errorf("%w: -dial-timeout %v is negative", ErrInvalidOptions, o.DialTimeout)
	}
	return nil
}

// parseFlags reads Options and the log format from the command line of `pairpad proxy`.
func parseFlags(args []string, stderr io.Writer) (Options, string, error) {
	var o Options
	var backends, logFormat string
	fs := flag.NewFlagSet("pairpad proxy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.Listen, "listen", "127.0.0.1:8000", "address to accept connections on")
	fs.StringVar(&backends, "backends", "", "comma-separated host:port addresses to send connections to, in turn, e.g. 127.0.0.1:8001,127.0.0.1:8002")
	fs.DurationVar(&o.DialTimeout, "dial-timeout", time.Second, "how long a backend may take to accept before the next one is tried")
	fs.DurationVar(&o.Grace, "grace", 5*time.Second, "on SIGINT or SIGTERM, how long open connections may take to end before they are closed")
	fs.StringVar(&logFormat, "log-format", "json", "json or console")
	if err := fs.Parse(args); err != nil {
		return Options{}, "", err
	}
	if fs.NArg() > 0 {
		return Options{}, "", fmt.Errorf("%w: unexpected argument %q", ErrInvalidOptions, fs.Arg(0))
	}
	if logFormat != "json" && logFormat != "console" {
		return Options{}, "", fmt.Errorf("%w: -log-format %q (want json or console)", ErrInvalidOptions, logFormat)
	}
	for b := range strings.SplitSeq(backends, ",") {
		if b = strings.TrimSpace(b); b != "" {
			o.Backends = append(o.Backends, b)
		}
	}
	if o.Grace == 0 {
		o.Grace = -1 // -grace 0 means none, not the default
	}
	return o, logFormat, o.validate()
}
