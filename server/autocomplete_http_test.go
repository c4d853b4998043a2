package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/pairpad/pairpad/completion"
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

func TestAutocompleteRateLimit(t *testing.T) {
	ts := newTestServer(t, Options{AutocompleteRate: RateLimit{Rate: 0.5, Burst: 2}})
	body := `{"code": "print(", "cursorPosition": 6}`
	for i := range 2 {
		if status, got := ts.do(t, "POST", "/autocomplete", body); status != 200 {
			t.Fatalf("request %d within the burst = %d %v", i, status, got)
		}
	}
	resp, err := http.Post(ts.URL+"/autocomplete", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 429 || got["error"] != "rate_limited" || resp.Header.Get("Retry-After") != "2" {
		t.Errorf("request over the limit = %d %v Retry-After %q, want 429 rate_limited Retry-After 2",
			resp.StatusCode, got, resp.Header.Get("Retry-After"))
	}
}

// TestAutocompleteRateLimitBehindProxy checks that clients behind a trusted
// proxy (here the test client's own address) each get their own limit.
func TestAutocompleteRateLimitBehindProxy(t *testing.T) {
	ts := newTestServer(t, Options{
		AutocompleteRate: RateLimit{Rate: 0.01, Burst: 1},
		TrustedProxies:   []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")},
	})
	post := func(forwardedFor string) int {
		req, err := http.NewRequest("POST", ts.URL+"/autocomplete", strings.NewReader(`{"code": "print(", "cursorPosition": 6}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Forwarded-For", forwardedFor)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, tc := range []struct {
		client string
		want   int
	}{{"198.51.100.1", 200}, {"198.51.100.2", 200}, {"198.51.100.1", 429}, {"6.6.6.6, 198.51.100.2", 429}} {
		if got := post(tc.client); got != tc.want {
			t.Errorf("request for %s = %d, want %d", tc.client, got, tc.want)
		}
	}
}

// TestAutocompleteNever500 sends odd inputs, to the built-in engine and to a
// model that fails: every answer is 200 or 4xx, never 5xx.
func TestAutocompleteNever500(t *testing.T) {
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusBadGateway)
	}))
	defer broken.Close()
	log := zerolog.New(zerolog.NewTestWriter(t))
	engines := map[string]completion.Completer{
		"builtin": completion.Builtin{},
		"failing model": completion.WithFallback(
			completion.NewRemote(&completion.OpenAI{URL: broken.URL, Model: "m"}, completion.RemoteOptions{}),
			completion.Builtin{}, time.Second, log),
	}
	bodies := []string{
		`{"code": "", "cursorPosition": 0}`,
		`{"code": "print(", "cursorPosition": -100}`,
		`{"code": "print(", "cursorPosition": 9223372036854775807}`,
		`{"code": "print(", "cursorPosition": -9223372036854775808}`,
		`{"code": "print(", "cursorPosition": 1e30}`,
		`{"code": "print(", "cursorPosition": 1.5}`,
		`{"code": "😀😀print(", "cursorPosition": 1}`,
		`{"code": "😀print(\"😀", "cursorPosition": 9, "language": "go"}`,
		`{"code": "\ud800print(\udc00", "cursorPosition": 3}`,
		`{"code": "\u0000\u0000(", "cursorPosition": 2, "language": "json"}`,
		`{"code": null, "cursorPosition": null}`,
		`{"code": 5, "cursorPosition": 1}`,
		`{"code": "x", "cursorPosition": 1, "language": ""}`,
		`{"code": "x", "cursorPosition": 1, "language": null}`,
		`[]`, `null`, `"code"`, ``, `{`,
		`{"code": "` + strings.Repeat("(", 5000) + `", "cursorPosition": 5000, "language": "markdown"}`,
	}
	for name, engine := range engines {
		ts := newTestServer(t, Options{Completer: engine, AutocompleteRate: RateLimit{Rate: -1}})
		for _, body := range bodies {
			status, got := ts.do(t, "POST", "/autocomplete", body)
			if status >= 500 || (status == 200 && got["type"] != "completion") {
				t.Errorf("%s: %.60s = %d %v", name, body, status, got)
			}
		}
	}
}

// waitCompleter answers only when its request's context is done.
type waitCompleter struct{ started chan struct{} }

func (c waitCompleter) Complete(ctx context.Context, code string, cursor int, language string) completion.Suggestion {
	c.started <- struct{}{}
	<-ctx.Done()
	return completion.Suggestion{Type: completion.SuggestionCompletion}
}

func TestAutocompleteNewerRequestCancelsOlder(t *testing.T) {
	c := waitCompleter{started: make(chan struct{}, 2)}
	ts := newTestServer(t, Options{Completer: c, AutocompleteTimeout: 10 * time.Second})
	body := `{"code": "print(", "cursorPosition": 6}`
	older := make(chan int)
	go func() {
		resp, err := http.Post(ts.URL+"/autocomplete", "application/json", strings.NewReader(body))
		if err != nil {
			older <- 0
			return
		}
		resp.Body.Close()
		older <- resp.StatusCode
	}()
	<-c.started
	newer := make(chan int)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "POST", ts.URL+"/autocomplete", strings.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		newer <- 0
	}()
	select {
	case status := <-older:
		if status != 200 {
			t.Errorf("the replaced request = %d, want 200", status)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a newer request from the same client did not cancel the older one")
	}
	<-newer
}
