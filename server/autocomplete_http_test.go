package server

import (
	"strings"
	"testing"
)

func TestAutocompleteEndpoint(t *testing.T) {
	ts := newTestServer(t, Options{MaxMessageBytes: 1 << 16})
	// The seed's own example sends a position past the end of the code: it is clamped.
	status, got := ts.do(t, "POST", "/autocomplete", `{"code": "def hello():\n    print(", "cursorPosition": 25, "language": "python"}`)
	if status != 200 {
		t.Fatalf("the seed's example = %d %v", status, got)
	}
	for _, field := range []string{"suggestion", "confidence", "type"} {
		if _, ok := got[field]; !ok {
			t.Errorf("response %v lacks %q", got, field)
		}
	}
	for _, tc := range []struct {
		body   string
		status int
		code   string
	}{
		{`{"code": "x", "cursorPosition": 1`, 400, "invalid_json"},
		{`{"cursorPosition": 1}`, 422, "validation"},
		{`{"code": "x", "cursorPosition": "one"}`, 422, "validation"},
		{`{"code": "x", "cursorPosition": 1, "language": "cobol"}`, 422, "unknown_language"},
		{`{"code": "` + strings.Repeat("x", 1<<17) + `", "cursorPosition": 1}`, 413, "payload_too_large"},
	} {
		status, got := ts.do(t, "POST", "/autocomplete", tc.body)
		if status != tc.status || got["error"] != tc.code {
			t.Errorf("%.50s = %d %v, want %d %s", tc.body, status, got, tc.status, tc.code)
		}
	}
}
