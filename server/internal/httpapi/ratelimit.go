package httpapi

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limiterIdle is how long a client's bucket is kept without requests; by
// then it is full again, so forgetting it changes nothing.
const limiterIdle = 5 * time.Minute

// Limiter holds one token bucket per client: perSecond requests per second on
// average, burst at once. A bucket idle for limiterIdle is full again and is
// forgotten. Safe for concurrent use.
type Limiter struct {
	perSecond float64
	burst     int

	mu        sync.Mutex
	clients   map[string]*clientBucket
	lastSweep time.Time
}

type clientBucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// NewLimiter returns a Limiter allowing each client perSecond requests per
// second on average and burst at once; burst must be positive. A negative
// perSecond means no limit.
func NewLimiter(perSecond float64, burst int) *Limiter {
	return &Limiter{perSecond: perSecond, burst: burst, clients: make(map[string]*clientBucket)}
}

// Allow takes a token from client's bucket at now. When the bucket is empty
// it takes none and returns false and how long until a token is available.
func (l *Limiter) Allow(client string, now time.Time) (bool, time.Duration) {
	if l.perSecond < 0 {
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
		b = &clientBucket{lim: rate.NewLimiter(rate.Limit(l.perSecond), l.burst)}
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

// ClientAddr returns the client's IP address, the key to limit requests by.
// It is the connection's, unless that is a trusted proxy: then it is the
// nearest address in X-Forwarded-For that is not a trusted proxy (each proxy
// appends the address it received the request from, so the addresses left of
// an untrusted one could be made up by anyone).
func ClientAddr(r *http.Request, trusted []netip.Prefix) string {
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
