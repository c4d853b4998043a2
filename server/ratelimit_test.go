package server

import (
	"net/http/httptest"
	"net/netip"
	"testing"
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
			if got := clientAddr(r, proxies); got != tt.want {
				t.Errorf("clientAddr = %q, want %q", got, tt.want)
			}
		})
	}
	r := httptest.NewRequest("POST", "/autocomplete", nil)
	r.RemoteAddr = "10.1.2.3:443"
	r.Header.Set("X-Forwarded-For", "198.51.100.1")
	if got := clientAddr(r, nil); got != "10.1.2.3" {
		t.Errorf("with no trusted proxies clientAddr = %q, want the connection's address", got)
	}
}
