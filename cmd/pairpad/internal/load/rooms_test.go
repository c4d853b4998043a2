package load

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// A creation the server rate-limits (429) is tried again after its Retry-After.
func TestCreateRoomWaitsOutRateLimit(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "want JSON", http.StatusUnsupportedMediaType)
			return
		}
		if calls.Add(1) == 1 {
			w.Header().Set("Retry-After", "1")
			http.Error(w, `{"error":"rate_limited"}`, http.StatusTooManyRequests)
			return
		}
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"roomId":"r1"}`))
	}))
	defer srv.Close()
	id, err := createRoom(context.Background(), srv.URL+"/rooms")
	if err != nil || id != "r1" || calls.Load() != 2 {
		t.Fatalf("createRoom = %q, %v after %d calls; want r1 after 2", id, err, calls.Load())
	}
}
