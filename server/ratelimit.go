package server

import (
	"net"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// RateLimit is a token bucket: Rate requests per second on average, Burst at
// once. Zero fields mean the defaults (10 per second, bursts of 20); a
// negative Rate means no limit.
type RateLimit struct {
	Rate  float64
	Burst int
}

func (l RateLimit) withDefaults() RateLimit {
	if l.Rate == 0 {
		l.Rate = 10
	}
	if l.Burst <= 0 {
		l.Burst = 20
	}
	return l
}

// limiterIdle is how long a client's bucket is kept without requests; by
// then it is full again, so forgetting it changes nothing.
const limiterIdle = 5 * time.Minute

// limiter holds one token bucket per client address. Safe for concurrent use.
type limiter struct {
	limit RateLimit

	mu        sync.Mutex
	clients   map[string]*clientBucket
	lastSweep time.Time
}

type clientBucket struct {
	lim  *rate.Limiter
	seen time.Time
}

func newLimiter(l RateLimit) *limiter {
	return &limiter{limit: l, clients: make(map[string]*clientBucket)}
}

// allow takes a token from client's bucket at now. When it is empty it
// returns false and how long until a token is available.
func (l *limiter) allow(client string, now time.Time) (bool, time.Duration) {
	if l.limit.Rate < 0 {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.lastSweep) > limiterIdle {
		for c, b := range l.clients {
			if now.Sub(b.seen) > limiterIdle {
				delete(l.clients, c)
			}
		}
		l.lastSweep = now
	}
	b := l.clients[client]
	if b == nil {
		b = &clientBucket{lim: rate.NewLimiter(rate.Limit(l.limit.Rate), l.limit.Burst)}
		l.clients[client] = b
	}
	b.seen = now
	r := b.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// clientAddr is the client's IP address from the connection. Proxy headers
// such as X-Forwarded-For are ignored: anyone can send them.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
