package completion

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
)

// Model is a code model that fills in the text between a prompt's prefix and
// suffix. Infill returns the model's raw answer, and its confidence in [0, 1]
// or a negative number when the model gives none. Errors are *StatusError,
// ErrMalformedResponse, or the transport's (including ctx's) error. Models
// must be safe for concurrent use.
type Model interface {
	Infill(ctx context.Context, p Prompt) (text string, confidence float64, err error)
}

// ErrMalformedResponse means a model answered 200 with a body that is not the
// JSON its API documents.
var ErrMalformedResponse = errors.New("completion: malformed response from the model")

// StatusError is a model's answer with an HTTP status other than 200.
type StatusError struct {
	Status int
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("completion: the model answered HTTP %d", e.Status)
}

// Sampling settings shared by the providers.
const (
	defaultMaxTokens   = 64
	defaultTemperature = 0.2
	// maxResponseBytes bounds what is read of a model's answer.
	maxResponseBytes = 1 << 20
)

// defaultStop ends a suggestion at a blank line: a suggestion is the rest of
// a line or a few lines, not the next block.
var defaultStop = []string{"\n\n"}

// Sampling holds the generation settings of a request; zero fields mean the
// defaults (64 tokens, temperature 0.2, stop at a blank line).
type Sampling struct {
	MaxTokens   int
	Temperature float64
	Stop        []string
}

func (s Sampling) withDefaults() Sampling {
	if s.MaxTokens <= 0 {
		s.MaxTokens = defaultMaxTokens
	}
	if s.Temperature <= 0 {
		s.Temperature = defaultTemperature
	}
	if s.Stop == nil {
		s.Stop = defaultStop
	}
	return s
}

// OpenAI is a Model served by an OpenAI-compatible legacy completions API:
// POST {URL}/v1/completions with a prompt and a suffix (fill-in-the-middle).
// URL is the server's base, without /v1. APIKey, when set, is sent as a bearer
// token. Client is the HTTP client (nil: http.DefaultClient).
type OpenAI struct {
	URL, Model, APIKey string
	Sampling           Sampling
	Client             *http.Client
}

// Infill implements Model. The confidence is the mean token probability when
// the server returns logprobs, otherwise -1.
func (o *OpenAI) Infill(ctx context.Context, p Prompt) (string, float64, error) {
	s := o.Sampling.withDefaults()
	req := map[string]any{
		"model":       o.Model,
		"prompt":      p.Prefix,
		"suffix":      p.Suffix,
		"max_tokens":  s.MaxTokens,
		"temperature": s.Temperature,
		"stop":        s.Stop,
	}
	var resp struct {
		Choices []struct {
			Text     *string `json:"text"`
			Logprobs *struct {
				TokenLogprobs []float64 `json:"token_logprobs"`
			} `json:"logprobs"`
		} `json:"choices"`
	}
	header := http.Header{}
	if o.APIKey != "" {
		header.Set("Authorization", "Bearer "+o.APIKey)
	}
	if err := postJSON(ctx, o.Client, joinURL(o.URL, "/v1/completions"), header, req, &resp); err != nil {
		return "", 0, err
	}
	if len(resp.Choices) == 0 || resp.Choices[0].Text == nil {
		return "", 0, ErrMalformedResponse
	}
	c := resp.Choices[0]
	confidence := -1.0
	if c.Logprobs != nil && len(c.Logprobs.TokenLogprobs) > 0 {
		sum := 0.0
		for _, lp := range c.Logprobs.TokenLogprobs {
			sum += lp
		}
		confidence = math.Exp(sum / float64(len(c.Logprobs.TokenLogprobs)))
	}
	return *c.Text, confidence, nil
}

// Ollama is a Model served by Ollama: POST {URL}/api/generate with a prompt
// and a suffix, without streaming. Client is the HTTP client (nil:
// http.DefaultClient).
type Ollama struct {
	URL, Model string
	Sampling   Sampling
	Client     *http.Client
}

// Infill implements Model. Ollama gives no confidence.
func (o *Ollama) Infill(ctx context.Context, p Prompt) (string, float64, error) {
	s := o.Sampling.withDefaults()
	req := map[string]any{
		"model":  o.Model,
		"prompt": p.Prefix,
		"suffix": p.Suffix,
		"stream": false,
		"options": map[string]any{
			"num_predict": s.MaxTokens,
			"temperature": s.Temperature,
			"stop":        s.Stop,
		},
	}
	var resp struct {
		Response *string `json:"response"`
	}
	if err := postJSON(ctx, o.Client, joinURL(o.URL, "/api/generate"), nil, req, &resp); err != nil {
		return "", 0, err
	}
	if resp.Response == nil {
		return "", 0, ErrMalformedResponse
	}
	return *resp.Response, -1, nil
}

// LlamaCpp is a Model served by llama.cpp's server: POST {URL}/infill. The
// server's loaded model must support fill-in-the-middle. Client is the HTTP
// client (nil: http.DefaultClient).
type LlamaCpp struct {
	URL      string
	Sampling Sampling
	Client   *http.Client
}

// Infill implements Model. llama.cpp gives no confidence here.
func (l *LlamaCpp) Infill(ctx context.Context, p Prompt) (string, float64, error) {
	s := l.Sampling.withDefaults()
	req := map[string]any{
		"input_prefix": p.Prefix,
		"input_suffix": p.Suffix,
		"n_predict":    s.MaxTokens,
		"temperature":  s.Temperature,
		"stop":         s.Stop,
	}
	var resp struct {
		Content *string `json:"content"`
	}
	if err := postJSON(ctx, l.Client, joinURL(l.URL, "/infill"), nil, req, &resp); err != nil {
		return "", 0, err
	}
	if resp.Content == nil {
		return "", 0, ErrMalformedResponse
	}
	return *resp.Content, -1, nil
}

func joinURL(base, path string) string { return strings.TrimRight(base, "/") + path }

// postJSON posts body as JSON to url and decodes a 200 answer into out.
func postJSON(ctx context.Context, client *http.Client, url string, header http.Header, body, out any) error {
	if client == nil {
		client = http.DefaultClient
	}
	b, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("completion: encode request: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("completion: %w", err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("completion: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return fmt.Errorf("completion: read response: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return &StatusError{Status: resp.StatusCode}
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%w: %v", ErrMalformedResponse, err)
	}
	return nil
}
