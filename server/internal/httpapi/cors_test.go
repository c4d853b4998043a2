package httpapi

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCORS(t *testing.T) {
	local := []string{"http://localhost:5173", "https://pairpad.example/"}
	tests := []struct {
		name          string
		allowed       []string
		method        string
		origin        string
		requestMethod string // Access-Control-Request-Method, for preflights
		wantStatus    int
		wantAllow     string // Access-Control-Allow-Origin
		wantMethods   string
		wantVary      []string
		wantNext      bool
	}{
		{name: "same origin, no Origin header", allowed: nil, method: "GET", wantStatus: 200, wantNext: true},
		{name: "allowed origin", allowed: local, method: "POST", origin: "http://localhost:5173",
			wantStatus: 200, wantAllow: "http://localhost:5173", wantVary: []string{"Origin"}, wantNext: true},
		{name: "allowed origin with trailing slash in list", allowed: local, method: "GET", origin: "https://pairpad.example",
			wantStatus: 200, wantAllow: "https://pairpad.example", wantVary: []string{"Origin"}, wantNext: true},
		{name: "disallowed origin not reflected", allowed: local, method: "GET", origin: "http://evil.example",
			wantStatus: 200, wantVary: []string{"Origin"}, wantNext: true},
		{name: "prefix of an allowed origin", allowed: local, method: "GET", origin: "http://localhost:51730",
			wantStatus: 200, wantVary: []string{"Origin"}, wantNext: true},
		{name: "other scheme", allowed: local, method: "GET", origin: "https://localhost:5173",
			wantStatus: 200, wantVary: []string{"Origin"}, wantNext: true},
		{name: "empty list allows no cross origin", allowed: nil, method: "GET", origin: "http://localhost:5173",
			wantStatus: 200, wantVary: []string{"Origin"}, wantNext: true},
		{name: "wildcard echoes the origin", allowed: []string{"*"}, method: "PATCH", origin: "http://anything.example",
			wantStatus: 200, wantAllow: "http://anything.example", wantVary: []string{"Origin"}, wantNext: true},
		{name: "null origin needs wildcard", allowed: local, method: "GET", origin: "null",
			wantStatus: 200, wantVary: []string{"Origin"}, wantNext: true},
		{name: "preflight allowed", allowed: local, method: "OPTIONS", origin: "http://localhost:5173", requestMethod: "PATCH",
			wantStatus: 204, wantAllow: "http://localhost:5173", wantMethods: "GET, POST, PATCH, OPTIONS",
			wantVary: []string{"Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers"}},
		{name: "preflight disallowed", allowed: local, method: "OPTIONS", origin: "http://evil.example", requestMethod: "POST",
			wantStatus: 204, wantVary: []string{"Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers"}},
		{name: "plain OPTIONS is not a preflight", allowed: local, method: "OPTIONS", origin: "http://localhost:5173",
			wantStatus: 200, wantAllow: "http://localhost:5173", wantVary: []string{"Origin"}, wantNext: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nextCalled := false
			next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				nextCalled = true
				w.WriteHeader(http.StatusOK)
			})
			r := httptest.NewRequest(tt.method, "/rooms", nil)
			if tt.origin != "" {
				r.Header.Set("Origin", tt.origin)
			}
			if tt.requestMethod != "" {
				r.Header.Set("Access-Control-Request-Method", tt.requestMethod)
				r.Header.Set("Access-Control-Request-Headers", "content-type")
			}
			rec := httptest.NewRecorder()
			CORS(tt.allowed, next).ServeHTTP(rec, r)

			if rec.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d", rec.Code, tt.wantStatus)
			}
			if got := rec.Header().Get("Access-Control-Allow-Origin"); got != tt.wantAllow {
				t.Errorf("Access-Control-Allow-Origin = %q, want %q", got, tt.wantAllow)
			}
			if got := rec.Header().Get("Access-Control-Allow-Methods"); got != tt.wantMethods {
				t.Errorf("Access-Control-Allow-Methods = %q, want %q", got, tt.wantMethods)
			}
			if tt.wantMethods != "" {
				if got := rec.Header().Get("Access-Control-Allow-Headers"); got != "Content-Type" {
					t.Errorf("Access-Control-Allow-Headers = %q, want Content-Type", got)
				}
			}
			if diff := cmp.Diff(tt.wantVary, rec.Header().Values("Vary")); diff != "" {
				t.Errorf("Vary mismatch (-want +got):\n%s", diff)
			}
			if nextCalled != tt.wantNext {
				t.Errorf("next called = %v, want %v", nextCalled, tt.wantNext)
			}
		})
	}
}

func TestOriginAllowed(t *testing.T) {
	local := []string{"http://localhost:5173"}
	tests := []struct {
		name    string
		allowed []string
		host    string
		origin  string
		want    bool
	}{
		{"no origin (not a browser)", nil, "pairpad.example", "", true},
		{"same origin", nil, "pairpad.example", "https://pairpad.example", true},
		{"same origin with port", nil, "localhost:8000", "http://localhost:8000", true},
		{"same origin, host case", nil, "PairPad.example", "https://pairpad.example", true},
		{"same host other port", nil, "localhost:8000", "http://localhost:5173", false},
		{"listed", local, "localhost:8000", "http://localhost:5173", true},
		{"not listed", local, "localhost:8000", "http://evil.example", false},
		{"wildcard", []string{"*"}, "localhost:8000", "http://evil.example", true},
		{"null origin", local, "localhost:8000", "null", false},
		{"garbage origin", local, "localhost:8000", "::::", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/yjs/abc", nil)
			r.Host = tt.host
			if tt.origin != "" {
				r.Header.Set("Origin", tt.origin)
			}
			if got := OriginAllowed(tt.allowed, r); got != tt.want {
				t.Errorf("OriginAllowed(%v, Host %q, Origin %q) = %v, want %v", tt.allowed, tt.host, tt.origin, got, tt.want)
			}
		})
	}
}
