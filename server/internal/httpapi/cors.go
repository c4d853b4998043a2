package httpapi

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// CORS headers pairpad answers preflight requests with.
const (
	corsAllowMethods = "GET, POST, PATCH, OPTIONS"
	corsAllowHeaders = "Content-Type"
	corsMaxAge       = "600" // seconds a browser may cache a preflight answer
)

// CORS wraps next with cross-origin resource sharing for the origins in
// allowed (the ALLOWED_ORIGINS setting): exact origins such as
// "http://localhost:5173", or "*" for any origin.
//
// A request whose Origin is allowed gets Access-Control-Allow-Origin echoing
// that origin (never "*", so responses stay correct if credentials are ever
// used). A preflight (OPTIONS with Access-Control-Request-Method) from an
// allowed origin is answered 204 here without reaching next. A disallowed
// origin is never reflected: its request passes to next without CORS headers,
// and the browser then withholds the response. Requests without an Origin
// header (same-origin, curl) pass through untouched. Every response varies on
// Origin.
func CORS(allowed []string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin == "" {
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h.Add("Vary", "Origin")
		preflight := r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
		if preflight {
			h.Add("Vary", "Access-Control-Request-Method")
			h.Add("Vary", "Access-Control-Request-Headers")
		}
		if !originListed(allowed, origin) {
			if preflight {
				// Answer without the allow headers: the browser refuses the real request.
				w.WriteHeader(http.StatusNoContent)
				return
			}
			next.ServeHTTP(w, r)
			return
		}
		h.Set("Access-Control-Allow-Origin", origin)
		if preflight {
			h.Set("Access-Control-Allow-Methods", corsAllowMethods)
			h.Set("Access-Control-Allow-Headers", corsAllowHeaders)
			h.Set("Access-Control-Max-Age", corsMaxAge)
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// originListed reports whether origin matches an entry of allowed exactly
// (ignoring ASCII case and a trailing slash in the entry) or allowed holds "*".
// The literal origin "null" (sandboxed frames, file: URLs) matches only "*".
func originListed(allowed []string, origin string) bool {
	return slices.ContainsFunc(allowed, func(a string) bool {
		a = strings.TrimSuffix(strings.TrimSpace(a), "/")
		return a == "*" || (a != "" && strings.EqualFold(a, origin))
	})
}

// OriginAllowed reports whether a WebSocket upgrade request may proceed: it
// has no Origin header (not a browser), or its Origin's host equals r.Host
// (same origin), or the Origin is listed in allowed (see CORS). Browsers do not
// apply CORS to WebSockets, so the server must check.
func OriginAllowed(allowed []string, r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	if u, err := url.Parse(origin); err == nil && u.Host != "" && strings.EqualFold(u.Host, r.Host) {
		return true
	}
	return originListed(allowed, origin)
}
