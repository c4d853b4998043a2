package httpapi

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestHosts(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	h := Hosts([]string{"pairpad.example", "localhost", "127.0.0.1", "::1"}, ok)
	for host, want := range map[string]int{
		"pairpad.example":      http.StatusNoContent,
		"PairPad.Example:8000": http.StatusNoContent,
		"pairpad.example.":     http.StatusNoContent,
		"localhost:8000":       http.StatusNoContent,
		"127.0.0.1:8000":       http.StatusNoContent,
		"[::1]:8000":           http.StatusNoContent,
		"evil.example":         http.StatusMisdirectedRequest,
		"evil.example:8000":    http.StatusMisdirectedRequest,
		"pairpad.example.evil": http.StatusMisdirectedRequest,
		"":                     http.StatusMisdirectedRequest,
		"127.0.0.2:8000":       http.StatusMisdirectedRequest,
	} {
		r := httptest.NewRequest(http.MethodGet, "/health", nil)
		r.Host = host
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code != want {
			t.Errorf("Host %q = %d, want %d", host, rec.Code, want)
		}
	}
	if Hosts(nil, ok) == nil {
		t.Fatal("Hosts(nil) is nil")
	}
}
