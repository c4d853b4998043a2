package httpapi

import (
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"
)

func TestClientAddr(t *testing.T) {
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	tests := []struct {
		name, remote string
		forwarded    []string
		want         string
	}{
		{"direct", "203.0.113.7:5000", nil, "203.0.113.7"},
		{"header from an untrusted peer is ignored", "203.0.113.7:5000", []string{"198.51.100.1"}, "203.0.113.7"},
		{"behind a trusted proxy", "10.1.2.3:443", []string{"198.51.100.1"}, "198.51.100.1"},
		{"a spoofed hop left of the real client", "10.1.2.3:443", []string{"6.6.6.6, 198.51.100.1"}, "198.51.100.1"},
		{"two trusted proxies", "10.1.2.3:443", []string{"198.51.100.1", "10.9.9.9"}, "198.51.100.1"},
		{"IPv6 proxy", "[::1]:443", []string{"2001:db8::5"}, "2001:db8::5"},
		{"IPv4-mapped hop", "10.1.2.3:443", []string{"::ffff:198.51.100.1"}, "198.51.100.1"},
		{"garbled hop", "10.1.2.3:443", []string{"198.51.100.1, not-an-ip, 10.2.2.2"}, "10.2.2.2"},
		{"proxy without the header", "10.1.2.3:443", nil, "10.1.2.3"},
		{"only proxies", "10.1.2.3:443", []string{"10.4.4.4"}, "10.4.4.4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/autocomplete", nil)
			r.RemoteAddr = tt.remote
			for _, h := range tt.forwarded {
				r.Header.Add("X-Forwarded-For", h)
			}
			if got := ClientAddr(r, proxies); got != tt.want {
				t.Errorf("ClientAddr = %q, want %q", got, tt.want)
			}
		})
	}
	r := httptest.NewRequest("POST", "/autocomplete", nil)
	r.RemoteAddr = "10.1.2.3:443"
	r.Header.Set("X-Forwarded-For", "198.51.100.1")
	if got := ClientAddr(r, nil); got != "10.1.2.3" {
		t.Errorf("with no trusted proxies ClientAddr = %q, want the connection's address", got)
	}
}

func TestLimiter(t *testing.T) {
	l := NewLimiter(10, 1)
	now := time.Unix(1000, 0)
	if ok, _ := l.Allow("a", now); !ok {
		t.Fatal("first request refused")
	}
	if ok, retry := l.Allow("a", now); ok || retry != 100*time.Millisecond {
		t.Errorf("second request at once = %v, retry %v; want refused, retry 100ms", ok, retry)
	}
	if ok, _ := l.Allow("b", now); !ok {
		t.Error("another client is limited by the first one's requests")
	}
	if ok, _ := l.Allow("a", now.Add(100*time.Millisecond)); !ok {
		t.Error("request after the refill refused")
	}
	l.Allow("c", now.Add(time.Hour)) // sweeps idle clients
	if len(l.clients) != 1 {
		t.Errorf("%d clients kept after an hour idle, want 1", len(l.clients))
	}
	if ok, _ := NewLimiter(-1, 1).Allow("a", now); !ok {
		t.Error("a negative rate limits")
	}
}
