// Package apidocs serves pairpad's API description: the OpenAPI 3.0 document of every route
// and WebSocket message (openapi.json), and a page that renders it (docs.html, docs.css and
// docs.js). The files are embedded in the binary; the page inlines its style and script and
// allows exactly them, by hash, in its Content-Security-Policy.
//
// openapi.json is written by hand: keep it in step with the routes. The server's tests check
// that every route it registers is described and that the error codes match.
package apidocs
