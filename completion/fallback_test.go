package completion

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rs/zerolog"
)

// syncBuffer is a log destination safe for concurrent writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) lines() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Split(strings.TrimSpace(b.buf.String()), "\n")
}

// builtinAnswer is Builtin's answer to the code the fallback tests send.
var builtinAnswer = Suggestion{Suggestion: "'Hello, World!')", Confidence: 0.85, Type: SuggestionCompletion}

func TestWithFallback(t *testing.T) {
	// The model's deadline: short for the time-out, long where the model answers at once, so
	// that a loaded machine does not turn an answer into a time-out.
	const answers, timesOut = 5 * time.Second, 50 * time.Millisecond
	tests := []struct {
		name    string
		handler http.HandlerFunc
		timeout time.Duration
		failure string
	}{
		{"http 500", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "model not loaded", http.StatusInternalServerError)
		}, answers, `"failure":"http 500"`},
		{"malformed JSON", func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, `{"response": `)
		}, answers, `"failure":"malformed response"`},
		{"time-out", func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body) // the server notices a closed connection only after the body
			select {                    // sleeps past the deadline
			case <-time.After(5 * time.Second):
			case <-r.Context().Done():
			}
		}, timesOut, `"failure":"timeout"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := httptest.NewServer(tt.handler)
			defer ts.Close()
			var logs syncBuffer
			c := WithFallback(NewRemote(&Ollama{URL: ts.URL, Model: "m"}, RemoteOptions{}), Builtin{},
				tt.timeout, zerolog.New(&logs))
			for i := range 5 {
				start := time.Now()
				got := c.Complete(context.Background(), "print(", 6, "python")
				if diff := cmp.Diff(builtinAnswer, got); diff != "" {
					t.Fatalf("request %d mismatch (-want +got):\n%s", i, diff)
				}
				if d := time.Since(start); d > 2*time.Second {
					t.Errorf("request %d took %v", i, d)
				}
			}
			lines := logs.lines()
			if len(lines) != 1 || !strings.Contains(lines[0], tt.failure) || !strings.Contains(lines[0], `"level":"warn"`) {
				t.Errorf("log after 5 failures = %q, want one warn line with %s", lines, tt.failure)
			}
		})
	}
}

// flakyModel fails while fail is set.
type flakyModel struct{ fail atomic.Bool }

func (m *flakyModel) Infill(ctx context.Context, p Prompt) (string, float64, error) {
	if m.fail.Load() {
		return "", 0, &StatusError{Status: 502}
	}
	return "'Hi')", -1, nil
}

func TestWithFallbackLogsAgainAfterRecovery(t *testing.T) {
	var logs syncBuffer
	m := &flakyModel{}
	c := WithFallback(NewRemote(m, RemoteOptions{CacheSize: -1}), Builtin{}, time.Second, zerolog.New(&logs))
	for _, fail := range []bool{true, true, false, false, true, true} {
		m.fail.Store(fail)
		c.Complete(context.Background(), "print(", 6, "python")
	}
	lines := logs.lines()
	want := []string{`"level":"warn"`, `"level":"info"`, `"level":"warn"`}
	if len(lines) != len(want) {
		t.Fatalf("log = %q, want %d lines", lines, len(want))
	}
	for i, w := range want {
		if !strings.Contains(lines[i], w) {
			t.Errorf("log line %d = %q, want %s", i, lines[i], w)
		}
	}
}

func TestRemoteAnswer(t *testing.T) {
	ts := modelServer(t, "/infill", nil, map[string]any{
		"input_prefix": "print(", "input_suffix": ")\n", "n_predict": 64.0, "temperature": 0.2, "stop": []any{"\n\n"},
	}, 200, `{"content": "'Hi')\n"}`)
	r := NewRemote(&LlamaCpp{URL: ts.URL}, RemoteOptions{})
	got, err := r.TryComplete(context.Background(), "print()\n", 6, "python")
	if err != nil {
		t.Fatal(err)
	}
	want := Suggestion{Suggestion: "'Hi'", Confidence: 0.6, Type: SuggestionCompletion}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("TryComplete mismatch (-want +got):\n%s", diff)
	}
}

func TestRemoteCache(t *testing.T) {
	var calls atomic.Int32
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		io.WriteString(w, `{"choices":[{"text":"a + b","index":0,"finish_reason":"stop"}]}`)
	}))
	defer ts.Close()
	r := NewRemote(&OpenAI{URL: ts.URL, Model: "m"}, RemoteOptions{Name: "openai:m", CacheSize: 2})
	ask := func(code string) Suggestion {
		t.Helper()
		s, err := r.TryComplete(context.Background(), code, len(code), "python")
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	first := ask("return ")
	if second := ask("return "); second != first || calls.Load() != 1 {
		t.Errorf("second identical request: %v after %d calls, want %v from the cache after 1 call", second, calls.Load(), first)
	}
	ask("x = ")    // a second entry
	ask("y = ")    // evicts "return "
	ask("return ") // asks again
	if got := calls.Load(); got != 4 {
		t.Errorf("%d calls to the model, want 4 (the least recently used entry evicted)", got)
	}
}

func TestRemoteDoesNotCacheFailures(t *testing.T) {
	m := &flakyModel{}
	m.fail.Store(true)
	r := NewRemote(m, RemoteOptions{})
	if _, err := r.TryComplete(context.Background(), "print(", 6, "python"); err == nil {
		t.Fatal("no error from a failing model")
	}
	m.fail.Store(false)
	if got, err := r.TryComplete(context.Background(), "print(", 6, "python"); err != nil || got.Suggestion != "'Hi')" {
		t.Errorf("after recovery: %v, %v; want 'Hi')", got, err)
	}
}
