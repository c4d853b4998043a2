package completion

import (
	"context"
	"sync"
)

// Latest keeps one request in flight per client: Begin cancels the context
// of the client's previous request. A typing user only wants the answer for
// the newest text. The zero value is ready to use; it is safe for concurrent
// use and holds one entry per client with a request in flight.
type Latest struct {
	mu       sync.Mutex
	inflight map[string]*flight
}

type flight struct{ cancel context.CancelFunc }

// Begin returns a context derived from ctx for client's new request, after
// canceling the client's previous one, and a function that must be called
// when the request ends.
func (l *Latest) Begin(ctx context.Context, client string) (context.Context, func()) {
	ctx, cancel := context.WithCancel(ctx)
	f := &flight{cancel: cancel}
	l.mu.Lock()
	if l.inflight == nil {
		l.inflight = make(map[string]*flight)
	}
	if old := l.inflight[client]; old != nil {
		old.cancel()
	}
	l.inflight[client] = f
	l.mu.Unlock()
	return ctx, func() {
		cancel()
		l.mu.Lock()
		if l.inflight[client] == f {
			delete(l.inflight, client)
		}
		l.mu.Unlock()
	}
}
