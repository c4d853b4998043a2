package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rs/zerolog"

	"github.com/pairpad/pairpad/language"
)

func TestErrorIs(t *testing.T) {
	tests := []struct {
		err    error
		target error
		want   bool
	}{
		{NotFound("room \"x\" does not exist"), ErrNotFound, true},
		{fmt.Errorf("load: %w", NotFound("x")), ErrNotFound, true},
		{NotFound("x"), ErrValidation, false},
		{UnknownLanguage("cobol"), ErrUnknownLanguage, true},
		{Validation("field"), ErrValidation, true},
		{PayloadTooLarge(10), ErrPayloadTooLarge, true},
		{InvalidJSON("x"), ErrInvalidJSON, true},
		{InvalidJSON("x"), ErrBadRequest, false},
		{Unavailable("store down", context.DeadlineExceeded), context.DeadlineExceeded, true},
		{Internal(errors.New("boom")), ErrInternal, true},
		{RateLimited("slow down", time.Second), ErrRateLimited, true},
		{errors.New("plain"), ErrInternal, false},
	}
	for i, tt := range tests {
		if got := errors.Is(tt.err, tt.target); got != tt.want {
			t.Errorf("%d: errors.Is(%v, %v) = %v, want %v", i, tt.err, tt.target, got, tt.want)
		}
	}
}

func TestUnknownLanguageDetail(t *testing.T) {
	e := UnknownLanguage("cobol")
	if e.Status != http.StatusUnprocessableEntity || e.Code != "unknown_language" {
		t.Errorf("UnknownLanguage = %d %q, want 422 unknown_language", e.Status, e.Code)
	}
	for _, l := range language.All() {
		if !strings.Contains(e.Detail, l.ID) {
			t.Errorf("detail %q does not list %q", e.Detail, l.ID)
		}
	}
	if !strings.Contains(e.Detail, `"cobol"`) {
		t.Errorf("detail %q does not name the rejected language", e.Detail)
	}
}

func TestHandle(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		wantStatus int
		wantBody   errorBody
		wantHeader map[string]string
		wantLogged bool // at error level
	}{
		{"bad request", BadRequest("missing room id"), 400, errorBody{"bad_request", "missing room id"}, nil, false},
		{"invalid json", InvalidJSON("malformed"), 400, errorBody{"invalid_json", "malformed"}, nil, false},
		{"not found", NotFound(`room "x" does not exist`), 404, errorBody{"not_found", `room "x" does not exist`}, nil, false},
		{"wrapped not found", fmt.Errorf("get room: %w", NotFound("gone")), 404, errorBody{"not_found", "gone"}, nil, false},
		{"sentinel", ErrNotFound, 404, errorBody{"not_found", "not found"}, nil, false},
		{"too large", PayloadTooLarge(1024), 413, errorBody{"payload_too_large", "the request body is larger than the limit of 1024 bytes"}, nil, false},
		{"max bytes error", fmt.Errorf("read: %w", &http.MaxBytesError{Limit: 7}), 413, errorBody{"payload_too_large", "the request body is larger than the limit of 7 bytes"}, nil, false},
		{"validation", Validation(`field "language" must be a string`), 422, errorBody{"validation", `field "language" must be a string`}, nil, false},
		{"rate limited", RateLimited("too many suggestions", 1500*time.Millisecond), 429, errorBody{"rate_limited", "too many suggestions"}, map[string]string{"Retry-After": "2"}, false},
		{"unavailable", Unavailable("the store is unreachable", errors.New("dial tcp: refused")), 503, errorBody{"unavailable", "the store is unreachable"}, nil, true},
		{"deadline", fmt.Errorf("load room: %w", context.DeadlineExceeded), 503, errorBody{"unavailable", "the request timed out"}, nil, true},
		{"internal", Internal(errors.New("nil map")), 500, errorBody{"internal", "internal server error"}, nil, true},
		{"unknown error does not leak", errors.New("pq: password=hunter2 authentication failed"), 500, errorBody{"internal", "internal server error"}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			log := zerolog.New(&logs).Level(zerolog.InfoLevel)
			h := Handle(log, func(w http.ResponseWriter, r *http.Request) error { return tt.err })
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("POST", "/rooms/abc", strings.NewReader(`{"code":"secret body"}`)))

			if rec.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d", rec.Code, tt.wantStatus)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q, want application/json", ct)
			}
			var got errorBody
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatalf("body %q: %v", rec.Body, err)
			}
			if diff := cmp.Diff(tt.wantBody, got); diff != "" {
				t.Errorf("body mismatch (-want +got):\n%s", diff)
			}
			for k, v := range tt.wantHeader {
				if got := rec.Header().Get(k); got != v {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}
			if strings.Contains(rec.Body.String(), "hunter2") {
				t.Errorf("body leaks the cause: %s", rec.Body)
			}

			logged := logs.String()
			if gotLogged := strings.Contains(logged, `"level":"error"`); gotLogged != tt.wantLogged {
				t.Errorf("logged at error level = %v, want %v; logs: %s", gotLogged, tt.wantLogged, logged)
			}
			if tt.wantLogged && !strings.Contains(logged, `"path":"/rooms/abc"`) {
				t.Errorf("log lacks the path: %s", logged)
			}
			if strings.Contains(logged, "secret body") {
				t.Errorf("log contains the request body: %s", logged)
			}
		})
	}
}

func TestHandleNilAndStartedResponse(t *testing.T) {
	var logs bytes.Buffer
	log := zerolog.New(&logs)

	ok := Handle(log, func(w http.ResponseWriter, r *http.Request) error {
		WriteJSON(w, http.StatusCreated, map[string]string{"roomId": "abc"})
		return nil
	})
	rec := httptest.NewRecorder()
	ok.ServeHTTP(rec, httptest.NewRequest("POST", "/rooms", nil))
	if rec.Code != http.StatusCreated || rec.Body.String() != `{"roomId":"abc"}`+"\n" {
		t.Errorf("got %d %q, want 201 {\"roomId\":\"abc\"}", rec.Code, rec.Body)
	}

	// An error after the response started is logged, and the response left alone.
	started := Handle(log, func(w http.ResponseWriter, r *http.Request) error {
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte("partial"))
		return errors.New("write failed")
	})
	rec = httptest.NewRecorder()
	started.ServeHTTP(rec, httptest.NewRequest("GET", "/x", nil))
	if rec.Code != http.StatusOK || rec.Body.String() != "partial" {
		t.Errorf("got %d %q, want 200 %q", rec.Code, rec.Body, "partial")
	}
	if !strings.Contains(logs.String(), "response started") {
		t.Errorf("error after the response started was not logged: %s", logs.String())
	}
}

func TestWriteJSON(t *testing.T) {
	rec := httptest.NewRecorder()
	WriteJSON(rec, http.StatusCreated, map[string]string{"code": "<!-- Write your HTML here -->\n\n"})
	if rec.Code != http.StatusCreated {
		t.Errorf("status = %d, want 201", rec.Code)
	}
	want := `{"code":"<!-- Write your HTML here -->\n\n"}` + "\n"
	if diff := cmp.Diff(want, rec.Body.String()); diff != "" {
		t.Errorf("body mismatch (-want +got):\n%s", diff)
	}

	// A value that cannot be encoded is a clean 500, not a truncated body.
	rec = httptest.NewRecorder()
	WriteJSON(rec, http.StatusOK, map[string]any{"f": func() {}})
	var got errorBody
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || rec.Code != 500 || got.Error != "internal" {
		t.Errorf("unencodable value: got %d %q (%v), want 500 internal", rec.Code, rec.Body, err)
	}
}

type decodeTarget struct {
	Code           string  `json:"code"`
	CursorPosition int     `json:"cursorPosition"`
	Language       *string `json:"language"`
	Tags           []string
}

func TestDecodeJSON(t *testing.T) {
	python := "python"
	tests := []struct {
		name     string
		body     string
		limit    int64
		optional bool
		want     decodeTarget
		// For errors: status, code and fragments of the detail.
		wantStatus int
		wantCode   string
		wantDetail []string
	}{
		{name: "valid", body: `{"code":"x","cursorPosition":3,"language":"python"}`,
			want: decodeTarget{Code: "x", CursorPosition: 3, Language: &python}},
		{name: "unknown fields accepted", body: `{"code":"x","extra":{"a":[1,2]},"cursorPosition":1}`,
			want: decodeTarget{Code: "x", CursorPosition: 1}},
		{name: "surrounding whitespace", body: " \n{\"code\":\"y\"}\n\n", want: decodeTarget{Code: "y"}},
		{name: "null", body: `null`, want: decodeTarget{}},
		{name: "empty strict", body: ``, wantStatus: 400, wantCode: "invalid_json", wantDetail: []string{"empty"}},
		{name: "empty optional", body: ``, optional: true, want: decodeTarget{}},
		{name: "whitespace optional", body: " \r\n\t", optional: true, want: decodeTarget{}},
		{name: "optional still validates", body: `{"language": 5}`, optional: true,
			wantStatus: 422, wantCode: "validation", wantDetail: []string{`"language"`, "string", "number"}},
		{name: "malformed", body: `{"language": }`, wantStatus: 400, wantCode: "invalid_json",
			wantDetail: []string{"line 1, column 14", "byte 14"}},
		{name: "malformed line 3", body: "{\n  \"code\": \"x\",\n  \"cursorPosition\" 4\n}", wantStatus: 400, wantCode: "invalid_json",
			wantDetail: []string{"line 3, column 20"}},
		{name: "truncated", body: `{"code": "x`, wantStatus: 400, wantCode: "invalid_json", wantDetail: []string{"line 1"}},
		{name: "trailing garbage", body: `{"code":"x"} trailing`, wantStatus: 400, wantCode: "invalid_json",
			wantDetail: []string{"after top-level value"}},
		{name: "two values", body: `{}{}`, wantStatus: 400, wantCode: "invalid_json"},
		{name: "wrong type string for int", body: `{"cursorPosition":"25"}`, wantStatus: 422, wantCode: "validation",
			wantDetail: []string{`field "cursorPosition"`, "an integer", "string"}},
		{name: "float for int", body: `{"cursorPosition":2.5}`, wantStatus: 422, wantCode: "validation",
			wantDetail: []string{`field "cursorPosition"`, "integer"}},
		{name: "number for string", body: `{"code":12}`, wantStatus: 422, wantCode: "validation",
			wantDetail: []string{`field "code"`, "a string"}},
		{name: "wrong element type", body: `{"Tags":[1]}`, wantStatus: 422, wantCode: "validation",
			wantDetail: []string{`"Tags`}},
		{name: "array body", body: `[1,2]`, wantStatus: 422, wantCode: "validation", wantDetail: []string{"must be a JSON object"}},
		{name: "string body", body: `"python"`, wantStatus: 422, wantCode: "validation", wantDetail: []string{"must be a JSON object"}},
		{name: "at the limit", body: `{"code":"abc"}`, limit: 14, want: decodeTarget{Code: "abc"}},
		{name: "over the limit", body: `{"code":"abcd"}`, limit: 14, wantStatus: 413, wantCode: "payload_too_large",
			wantDetail: []string{"14 bytes"}},
		{name: "over the limit optional", body: strings.Repeat(" ", 100), limit: 10, optional: true,
			wantStatus: 413, wantCode: "payload_too_large"},
		{name: "default limit", body: `{"code":"` + strings.Repeat("x", DefaultBodyLimit) + `"}`, wantStatus: 413,
			wantCode: "payload_too_large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/autocomplete", strings.NewReader(tt.body))
			w := httptest.NewRecorder()
			var got decodeTarget
			decode := DecodeJSON
			if tt.optional {
				decode = DecodeOptionalJSON
			}
			err := decode(w, r, tt.limit, &got)
			if tt.wantCode == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("decoded mismatch (-want +got):\n%s", diff)
				}
				return
			}
			var apiErr *Error
			if !errors.As(err, &apiErr) {
				t.Fatalf("error %v (%T) is not an *Error", err, err)
			}
			if apiErr.Status != tt.wantStatus || apiErr.Code != tt.wantCode {
				t.Errorf("error = %d %s (%q), want %d %s", apiErr.Status, apiErr.Code, apiErr.Detail, tt.wantStatus, tt.wantCode)
			}
			for _, frag := range tt.wantDetail {
				if !strings.Contains(apiErr.Detail, frag) {
					t.Errorf("detail %q lacks %q", apiErr.Detail, frag)
				}
			}
		})
	}
}

func TestDecodeJSONNilBody(t *testing.T) {
	r := httptest.NewRequest("POST", "/rooms", nil)
	r.Body = nil
	var v struct{ Language string }
	if err := DecodeOptionalJSON(httptest.NewRecorder(), r, 0, &v); err != nil {
		t.Errorf("optional with nil body: %v", err)
	}
	if err := DecodeJSON(httptest.NewRecorder(), r, 0, &v); !errors.Is(err, ErrInvalidJSON) {
		t.Errorf("strict with nil body: %v, want invalid_json", err)
	}
}

func TestDecodeJSONThroughHandle(t *testing.T) {
	// The adapter and the decoder together: what a client of POST /rooms sees.
	h := Handle(zerolog.Nop(), func(w http.ResponseWriter, r *http.Request) error {
		var req struct {
			Language string `json:"language"`
		}
		if err := DecodeOptionalJSON(w, r, 64, &req); err != nil {
			return err
		}
		if _, ok := language.Lookup(req.Language); !ok && req.Language != "" {
			return UnknownLanguage(req.Language)
		}
		WriteJSON(w, http.StatusCreated, req)
		return nil
	})
	tests := []struct {
		body       string
		wantStatus int
		wantCode   string
	}{
		{``, 201, ""},
		{`{"language":"go"}`, 201, ""},
		{`{"language":"cobol"}`, 422, "unknown_language"},
		{`{"language":`, 400, "invalid_json"},
		{`{"language":["go"]}`, 422, "validation"},
		{`{"language":"` + strings.Repeat("x", 100) + `"}`, 413, "payload_too_large"},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("POST", "/rooms", strings.NewReader(tt.body)))
		if rec.Code != tt.wantStatus {
			t.Errorf("body %q: status %d, want %d", tt.body, rec.Code, tt.wantStatus)
		}
		if tt.wantCode != "" {
			var got errorBody
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || got.Error != tt.wantCode || got.Detail == "" {
				t.Errorf("body %q: response %q, want error %q with a detail", tt.body, rec.Body, tt.wantCode)
			}
		}
	}
}
