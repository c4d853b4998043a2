// Package proxy is `pairpad proxy`: a round-robin TCP proxy to put in front of the nodes of a
// local cluster (make cluster, make bench-cluster).
//
// Each accepted connection goes to the next backend in turn, whatever it carries: HTTP,
// WebSockets. Nothing is sticky, because the nodes route a room's requests and sockets to its
// owner themselves. A backend that refuses the connection or does not answer within
// Options.DialTimeout is skipped for that connection, which goes to the next one, so that a
// node that died fails no client; when every backend fails, the client's connection is closed.
// Bytes are copied both ways; the end of one direction (EOF) is passed on as a half-close
// (CloseWrite), and the connection is closed on both sides once both directions have ended, or
// at once when either fails.
//
// The proxy adds nothing to what it carries (no PROXY protocol, no X-Forwarded-For): the nodes
// see every connection coming from the proxy's address.
package proxy
