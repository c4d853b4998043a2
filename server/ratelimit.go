package server

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
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

// clientAddr is the client's IP address. It is the connection's, unless
// that is a trusted proxy: then it is the nearest address in
// X-Forwarded-For that is not a trusted proxy (each proxy appends the
// address it received the request from, so the addresses left of an
// untrusted one could be made up by anyone).
func clientAddr(r *http.Request, trusted []netip.Prefix) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	addr, err := netip.ParseAddr(host)
	if err != nil || !isTrusted(addr, trusted) {
		return host
	}
	var hops []string
	for _, h := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(h, ",")...)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // a garbled hop: the last proxy that could be trusted is the client
		}
		addr = hop.Unmap()
		if !isTrusted(addr, trusted) {
			break
		}
	}
	return addr.String()
}

func isTrusted(addr netip.Addr, trusted []netip.Prefix) bool {
	addr = addr.Unmap()
	for _, p := range trusted {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}
