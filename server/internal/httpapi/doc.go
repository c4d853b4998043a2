// Package httpapi holds the HTTP plumbing of pairpad's REST API, apart from its routes: JSON
// request bodies in and responses out, API errors mapped to a status and a JSON error body by
// one adapter (Handle), CORS for browsers on other origins, and a per-client rate limiter.
//
// Handlers have the signature func(http.ResponseWriter, *http.Request) error and return an
// *Error (or any error, which Handle maps through its table) rather than writing errors
// themselves.
package httpapi
