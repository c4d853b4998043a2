package completion

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// DefaultTimeout is how long WithFallback waits for its primary engine.
const DefaultTimeout = 2 * time.Second

// WithFallback returns a Completer that asks primary, giving it at most
// timeout (DefaultTimeout when <= 0), and answers with fallback's suggestion
// when primary fails or times out. When the caller's ctx is done first (the
// client went away, or a newer request replaced this one) it answers with
// fallback's suggestion for that ctx, normally empty, and logs nothing.
//
// Failures are logged at warn level once per kind (time-out, an HTTP
// status, a malformed answer, an unreachable model), not once per request;
// after primary answers again, recovery is logged at info level and the next
// failure is logged again.
func WithFallback(primary Fallible, fallback Completer, timeout time.Duration, log zerolog.Logger) Completer {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &fallbackCompleter{primary: primary, fallback: fallback, timeout: timeout, log: log}
}

type fallbackCompleter struct {
	primary  Fallible
	fallback Completer
	timeout  time.Duration
	log      zerolog.Logger

	mu      sync.Mutex
	failing string // the kind of the last failure logged; "" while healthy
}

func (f *fallbackCompleter) Complete(ctx context.Context, code string, cursor int, language string) Suggestion {
	pctx, cancel := context.WithTimeout(ctx, f.timeout)
	s, err := f.primary.TryComplete(pctx, code, cursor, language)
	cancel()
	if err == nil {
		f.recovered()
		return s
	}
	if ctx.Err() == nil {
		f.failed(err)
	}
	return f.fallback.Complete(ctx, code, cursor, language)
}

func (f *fallbackCompleter) recovered() {
	f.mu.Lock()
	was := f.failing
	f.failing = ""
	f.mu.Unlock()
	if was != "" {
		f.log.Info().Str("after", was).Msg("autocomplete model answering again")
	}
}

func (f *fallbackCompleter) failed(err error) {
	kind := failureKind(err)
	f.mu.Lock()
	same := f.failing == kind
	f.failing = kind
	f.mu.Unlock()
	if !same {
		f.log.Warn().Err(err).Str("failure", kind).
			Msg("autocomplete model failed; using the built-in engine until it answers again (further failures of this kind are not logged)")
	}
}

// failureKind classifies err for logging.
func failureKind(err error) string {
	if se, ok := errors.AsType[*StatusError](err); ok {
		return fmt.Sprintf("http %d", se.Status)
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, ErrMalformedResponse):
		return "malformed response"
	}
	return "unreachable"
}
