package server

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package when a test leaves goroutines behind: a room, a peer's writer or a
// connection that outlives its test is a leak in production too. No goroutine is ignored: the
// embedded store starts none, and httptest.Server.Close closes the idle connections of
// http.DefaultTransport.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
