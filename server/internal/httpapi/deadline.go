package httpapi

import (
	"net/http"
	"time"
)

// Deadline gives each request next serves timeout, from when it starts, to send its body, and
// as long again to take its response (a 408 for a body that came too late among them): a
// client that trickles its body or reads its response a byte at a time holds a connection (and
// a goroutine) twice timeout at most. It is for REST routes, never for WebSockets, which live
// as long as they are used.
func Deadline(timeout time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		start := time.Now()
		// A ResponseWriter without deadlines (a test recorder) simply has none.
		_ = rc.SetReadDeadline(start.Add(timeout))
		_ = rc.SetWriteDeadline(start.Add(2 * timeout))
		next.ServeHTTP(w, r)
	})
}
