package proxy

import (
	"context"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/rs/zerolog"
)

// Main runs `pairpad proxy` with the arguments after "proxy": it parses the flags (-h lists
// them), listens, and proxies until ctx ends. It logs to stderr, as JSON lines or with
// -log-format console as text; stdout is unused.
func Main(ctx context.Context, args []string, _, stderr io.Writer) error {
	opts, logFormat, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	log := newLogger(logFormat, stderr)
	p, err := New(opts, log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", opts.Listen)
	if err != nil {
		return fmt.Errorf("listen on -listen %s: %w", opts.Listen, err)
	}
	// The same message and field as pairpad serve's, which bench/cluster waits for.
	log.Info().Str("addr", ln.Addr().String()).Strs("backends", opts.Backends).Msg("listening")
	err = p.Serve(ctx, ln)
	log.Info().Msg("stopped")
	return err
}

func newLogger(format string, w io.Writer) zerolog.Logger {
	if format == "console" {
		w = zerolog.ConsoleWriter{Out: w, NoColor: true, TimeFormat: "15:04:05.000"}
	}
	// zerolog's own Timestamp() has second precision unless a package global is changed.
	return zerolog.New(w).Hook(zerolog.HookFunc(func(e *zerolog.Event, _ zerolog.Level, _ string) {
		e.Str(zerolog.TimestampFieldName, time.Now().UTC().Format("2006-01-02T15:04:05.000Z07:00"))
	}))
}
