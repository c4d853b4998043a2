package completion

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package when a test leaves goroutines behind (an HTTP
// request to a model that outlives its context would be one).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
