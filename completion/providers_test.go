package completion

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// modelServer serves one API path: it checks the method, the path, the
// headers and the decoded JSON body of each request against want, and
// answers with the given status and body.
func modelServer(t *testing.T, path string, wantHeader map[string]string, want map[string]any, status int, answer string) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != path {
			t.Errorf("request %s %s, want POST %s", r.Method, r.URL.Path, path)
		}
		if got := r.Header.Get("Content-Type"); got != "application/json" {
			t.Errorf("Content-Type = %q, want application/json", got)
		}
		for k, v := range wantHeader {
			if got := r.Header.Get(k); got != v {
				t.Errorf("header %s = %q, want %q", k, got, v)
			}
		}
		body, _ := io.ReadAll(r.Body)
		var got map[string]any
		if err := json.Unmarshal(body, &got); err != nil {
			t.Errorf("request body %s: %v", body, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("request body mismatch (-want +got):\n%s", diff)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, answer)
	}))
	t.Cleanup(ts.Close)
	return ts
}

var testPrompt = Prompt{Language: "python", Prefix: "def add(a, b):\n    return ", Suffix: "\n\nprint(add(1, 2))\n"}

func TestProviders(t *testing.T) {
	stop := []any{"\n\n"}
	tests := []struct {
		name           string
		path           string
		header         map[string]string
		want           map[string]any
		answer         string
		model          func(url string) Model
		wantText       string
		wantConfidence float64
	}{
		{
			name:   "openai",
			path:   "/v1/completions",
			header: map[string]string{"Authorization": "Bearer sk-test"},
			want: map[string]any{
				"model": "codellama", "prompt": testPrompt.Prefix, "suffix": testPrompt.Suffix,
				"max_tokens": 64.0, "temperature": 0.2, "stop": stop,
			},
			// The documented shape of a legacy completion.
			answer: `{"id":"cmpl-1","object":"text_completion","created":1700000000,"model":"codellama",
				"choices":[{"text":"a + b","index":0,"logprobs":null,"finish_reason":"stop"}],
				"usage":{"prompt_tokens":12,"completion_tokens":3,"total_tokens":15}}`,
			model:          func(url string) Model { return &OpenAI{URL: url + "/", Model: "codellama", APIKey: "sk-test"} },
			wantText:       "a + b",
			wantConfidence: -1,
		},
		{
			name: "openai with logprobs",
			path: "/v1/completions",
			want: map[string]any{
				"model": "m", "prompt": testPrompt.Prefix, "suffix": testPrompt.Suffix,
				"max_tokens": 16.0, "temperature": 0.5, "stop": []any{";"},
			},
			answer: `{"choices":[{"text":"a + b","index":0,"logprobs":{"tokens":["a"," +"," b"],"token_logprobs":[0,0,0]},"finish_reason":"stop"}]}`,
			model: func(url string) Model {
				return &OpenAI{URL: url, Model: "m", Sampling: Sampling{16, 0.5, []string{";"}}}
			},
			wantText:       "a + b",
			wantConfidence: 1,
		},
		{
			name: "ollama",
			path: "/api/generate",
			want: map[string]any{
				"model": "qwen2.5-coder", "prompt": testPrompt.Prefix, "suffix": testPrompt.Suffix, "stream": false,
				"options": map[string]any{"num_predict": 64.0, "temperature": 0.2, "stop": stop},
			},
			answer: `{"model":"qwen2.5-coder","created_at":"2023-08-04T19:22:45.499127Z","response":"a + b","done":true,
				"done_reason":"stop","total_duration":10706818083,"eval_count":3}`,
			model:          func(url string) Model { return &Ollama{URL: url, Model: "qwen2.5-coder"} },
			wantText:       "a + b",
			wantConfidence: -1,
		},
		{
			name: "llama.cpp",
			path: "/infill",
			want: map[string]any{
				"input_prefix": testPrompt.Prefix, "input_suffix": testPrompt.Suffix,
				"n_predict": 64.0, "temperature": 0.2, "stop": stop,
			},
			answer:         `{"content":"a + b","stop":true,"tokens_predicted":3,"tokens_evaluated":20,"stop_type":"word"}`,
			model:          func(url string) Model { return &LlamaCpp{URL: url} },
			wantText:       "a + b",
			wantConfidence: -1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := modelServer(t, tt.path, tt.header, tt.want, 200, tt.answer)
			text, confidence, err := tt.model(ts.URL).Infill(context.Background(), testPrompt)
			if err != nil {
				t.Fatal(err)
			}
			if text != tt.wantText || confidence != tt.wantConfidence {
				t.Errorf("Infill = %q, %v; want %q, %v", text, confidence, tt.wantText, tt.wantConfidence)
			}
		})
	}
}

func TestProviderErrors(t *testing.T) {
	tests := []struct {
		name   string
		status int
		answer string
		check  func(error) bool
	}{
		{"http 500", 500, `{"error":"boom"}`, func(err error) bool {
			se, ok := errors.AsType[*StatusError](err)
			return ok && se.Status == 500
		}},
		{"not JSON", 200, `<html>`, func(err error) bool { return errors.Is(err, ErrMalformedResponse) }},
		{"missing field", 200, `{"choices":[]}`, func(err error) bool { return errors.Is(err, ErrMalformedResponse) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.answer)
			}))
			defer ts.Close()
			for _, m := range []Model{&OpenAI{URL: ts.URL}, &Ollama{URL: ts.URL}, &LlamaCpp{URL: ts.URL}} {
				_, _, err := m.Infill(context.Background(), testPrompt)
				if !tt.check(err) {
					t.Errorf("%T.Infill error = %v", m, err)
				}
			}
		})
	}
}
