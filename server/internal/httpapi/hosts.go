package httpapi

import (
	"net"
	"net/http"
	"slices"
	"strings"
)

// Hosts answers 421 to a request whose Host header names none of allowed (host names, without
// ports; any port matches), and passes the others to next; with allowed empty it passes every
// request. It defeats DNS rebinding: a page on another site that makes its own name resolve to
// this server's address still sends its own name as Host, and origin checks alone let it in,
// since the page's Origin and Host then agree.
func Hosts(allowed []string, next http.Handler) http.Handler {
	if len(allowed) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !hostListed(allowed, r.Host) {
			writeError(w, &Error{Status: http.StatusMisdirectedRequest, Code: CodeMisdirected,
				Detail: "this server does not answer for host " + r.Host + " (ALLOWED_HOSTS)"})
			return
		}
		next.ServeHTTP(w, r)
	})
}

func hostListed(allowed []string, host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.Trim(host, "[]"), ".")
	return slices.ContainsFunc(allowed, func(a string) bool { return strings.EqualFold(a, host) })
}
