package proxy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/pairpad/pairpad/internal/netpipe"
)

// Proxy sends the connections it accepts to its backends in turn. Its methods are safe for
// concurrent use.
type Proxy struct {
	opts   Options
	log    zerolog.Logger
	dialer net.Dialer
	next   atomic.Uint64 // the backend the next connection tries first, modulo len(Backends)
	// down holds whether each backend failed its last dial, so that the log says when a
	// backend stops and starts answering rather than every failure.
	down []atomic.Bool
}

// New returns a Proxy to opts.Backends, or an error wrapping ErrInvalidOptions. It logs to log
// when a backend stops or starts answering and when a client finds none.
func New(opts Options, log zerolog.Logger) (*Proxy, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	return &Proxy{
		opts: opts, log: log,
		dialer: net.Dialer{Timeout: opts.DialTimeout},
		down:   make([]atomic.Bool, len(opts.Backends)),
	}, nil
}

// Serve accepts connections on ln and proxies each to a backend until ctx ends. It then closes
// ln, waits up to Options.Grace for the open connections to end, closes those still open, and
// returns nil once every connection is closed. It returns an error, after closing every
// connection, when Accept fails for another reason than a lack of file descriptors (which it
// waits out).
func (p *Proxy) Serve(ctx context.Context, ln net.Listener) error {
	defer ln.Close()
	stopAccepting := context.AfterFunc(ctx, func() { ln.Close() })
	defer stopAccepting()
	// conns ends with the grace period, or at once on an error, and closes the connections.
	conns, closeConns := context.WithCancel(context.WithoutCancel(ctx))
	defer closeConns()
	var wg sync.WaitGroup
	err := p.accept(ctx, ln, func(c net.Conn) { wg.Go(func() { p.handle(conns, c) }) })
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	if err != nil {
		closeConns()
	}
	select {
	case <-done:
	case <-time.After(p.opts.Grace):
		closeConns()
		<-done
	}
	return err
}

// accept calls handle with each connection ln accepts until ctx ends (nil) or Accept fails
// for good (the error).
func (p *Proxy) accept(ctx context.Context, ln net.Listener, handle func(net.Conn)) error {
	var delay time.Duration
	for {
		c, err := ln.Accept()
		if err == nil {
			delay = 0
			handle(c)
			continue
		}
		if ctx.Err() != nil {
			return nil
		}
		if !errors.Is(err, syscall.EMFILE) && !errors.Is(err, syscall.ENFILE) && !errors.Is(err, syscall.ECONNABORTED) {
			return fmt.Errorf("proxy: accept: %w", err)
		}
		// As net/http does: wait for connections to end and free their descriptors.
		delay = min(max(2*delay, 5*time.Millisecond), time.Second)
		p.log.Warn().Err(err).Dur("retry_in", delay).Msg("accept failed")
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(delay):
		}
	}
}

// handle proxies client to the first backend that answers, until both directions have ended,
// either fails or ctx ends.
func (p *Proxy) handle(ctx context.Context, client net.Conn) {
	defer client.Close()
	backend, err := p.dial(ctx)
	if err != nil {
		if ctx.Err() == nil { // else the proxy is closing its connections
			p.log.Warn().Err(err).Str("client", client.RemoteAddr().String()).Msg("no backend answered: client's connection closed")
		}
		return
	}
	stop := context.AfterFunc(ctx, func() { client.Close(); backend.Close() })
	defer stop()
	netpipe.Join(client, backend)
}

// dial connects to the next backend in turn, or to the ones after it when it fails: the
// connection, or every backend's error.
func (p *Proxy) dial(ctx context.Context) (net.Conn, error) {
	n := uint64(len(p.opts.Backends))
	first := p.next.Add(1) - 1
	var errs []error
	for i := range n {
		b := (first + i) % n
		addr := p.opts.Backends[b]
		c, err := p.dialer.DialContext(ctx, "tcp", addr)
		if err == nil {
			if p.down[b].Swap(false) {
				p.log.Info().Str("backend", addr).Msg("backend answers again")
			}
			return c, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if !p.down[b].Swap(true) {
			p.log.Warn().Err(err).Str("backend", addr).Msg("backend does not answer: its connections go to the next until it does")
		}
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
}
