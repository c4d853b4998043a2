package httpapi

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"
)

// Error codes: the "error" field of every error body. They are a contract with
// clients; add new ones, never rename.
const (
	CodeBadRequest      = "bad_request"
	CodeInvalidJSON     = "invalid_json"
	CodeNotFound        = "not_found"
	CodePayloadTooLarge = "payload_too_large"
	CodeUnknownLanguage = "unknown_language"
	CodeValidation      = "validation"
	CodeReadOnly        = "read_only"
	CodeUnauthorized    = "unauthorized"
	CodeForbidden       = "forbidden"
	CodeRateLimited     = "rate_limited"
	CodeRequestTimeout  = "request_timeout"
	CodeUnsupportedType = "unsupported_media_type"
	CodeMisdirected     = "misdirected_request"
	CodeConflict        = "conflict"
	CodeNotRunnable     = "language_not_runnable"
	CodeUnavailable     = "unavailable"
	CodeInternal        = "internal"
)

// Error is an API error: an HTTP status, a machine-readable code and a
// human-readable detail, written as {"error": Code, "detail": Detail}.
//
// Detail is sent to the client, so it must never contain internal state; the
// optional Err is the underlying cause, logged for 5xx errors and never sent.
type Error struct {
	Status int
	Code   string
	Detail string

	// RetryAfter, when positive, is sent as a Retry-After header (whole seconds,
	// rounded up); meaningful for 429 and 503.
	RetryAfter time.Duration
	// Err is the cause, for logs and errors.Is/As; it is never sent to clients.
	Err error
}

// Error implements error.
func (e *Error) Error() string {
	s := e.Code
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is an *Error with the same Code, so that
// errors.Is(err, ErrNotFound) holds for any not_found error whatever its detail.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// Sentinels for errors.Is; compare with errors.Is, never return them after
// modifying them. Returning one directly is fine: its Detail is generic.
var (
	ErrBadRequest      = &Error{Status: http.StatusBadRequest, Code: CodeBadRequest, Detail: "bad request"}
	ErrInvalidJSON     = &Error{Status: http.StatusBadRequest, Code: CodeInvalidJSON, Detail: "the request body is not valid JSON"}
	ErrNotFound        = &Error{Status: http.StatusNotFound, Code: CodeNotFound, Detail: "not found"}
	ErrPayloadTooLarge = &Error{Status: http.StatusRequestEntityTooLarge, Code: CodePayloadTooLarge, Detail: "the request body is too large"}
	ErrUnknownLanguage = &Error{Status: http.StatusUnprocessableEntity, Code: CodeUnknownLanguage, Detail: "unknown language"}
	ErrValidation      = &Error{Status: http.StatusUnprocessableEntity, Code: CodeValidation, Detail: "the request is invalid"}
	ErrRateLimited     = &Error{Status: http.StatusTooManyRequests, Code: CodeRateLimited, Detail: "too many requests"}
	ErrUnavailable     = &Error{Status: http.StatusServiceUnavailable, Code: CodeUnavailable, Detail: "the service is temporarily unavailable"}
	ErrInternal        = &Error{Status: http.StatusInternalServerError, Code: CodeInternal, Detail: "internal server error"}
)

// BadRequest returns a 400 bad_request error.
func BadRequest(detail string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: CodeBadRequest, Detail: detail}
}

// InvalidJSON returns a 400 invalid_json error.
func InvalidJSON(detail string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: CodeInvalidJSON, Detail: detail}
}

// NotFound returns a 404 not_found error.
func NotFound(detail string) *Error {
	return &Error{Status: http.StatusNotFound, Code: CodeNotFound, Detail: detail}
}

// PayloadTooLarge returns a 413 payload_too_large error for a body over limit bytes.
func PayloadTooLarge(limit int64) *Error {
	return &Error{
		Status: http.StatusRequestEntityTooLarge,
		Code:   CodePayloadTooLarge,
		Detail: fmt.Sprintf("the request body is larger than the limit of %d bytes", limit),
	}
}

// Validation returns a 422 validation error; detail should name the field.
func Validation(detail string) *Error {
	return &Error{Status: http.StatusUnprocessableEntity, Code: CodeValidation, Detail: detail}
}

// ReadOnly returns a 403 read_only error: the caller may only read the room.
func ReadOnly(detail string) *Error {
	return &Error{Status: http.StatusForbidden, Code: CodeReadOnly, Detail: detail}
}

// Unauthorized returns a 401 unauthorized error: the request needs a credential it lacks.
func Unauthorized(detail string) *Error {
	return &Error{Status: http.StatusUnauthorized, Code: CodeUnauthorized, Detail: detail}
}

// Forbidden returns a 403 forbidden error: the credential does not allow the request.
func Forbidden(detail string) *Error {
	return &Error{Status: http.StatusForbidden, Code: CodeForbidden, Detail: detail}
}

// Conflict returns a 409 conflict error: the request clashes with what is going on.
func Conflict(detail string) *Error {
	return &Error{Status: http.StatusConflict, Code: CodeConflict, Detail: detail}
}

// RateLimited returns a 429 rate_limited error; retryAfter, when positive, is
// sent as a Retry-After header.
func RateLimited(detail string, retryAfter time.Duration) *Error {
	return &Error{Status: http.StatusTooManyRequests, Code: CodeRateLimited, Detail: detail, RetryAfter: retryAfter}
}

// UnsupportedMediaType returns a 415 unsupported_media_type error.
func UnsupportedMediaType(detail string) *Error {
	return &Error{Status: http.StatusUnsupportedMediaType, Code: CodeUnsupportedType, Detail: detail}
}

// RequestTimeout returns a 408 request_timeout error.
func RequestTimeout(detail string) *Error {
	return &Error{Status: http.StatusRequestTimeout, Code: CodeRequestTimeout, Detail: detail}
}

// Unavailable returns a 503 unavailable error. cause is logged, never sent.
func Unavailable(detail string, cause error) *Error {
	return &Error{Status: http.StatusServiceUnavailable, Code: CodeUnavailable, Detail: detail, Err: cause}
}

// Internal returns a 500 internal error with a generic detail. cause is
// logged, never sent.
func Internal(cause error) *Error {
	return &Error{Status: http.StatusInternalServerError, Code: CodeInternal, Detail: ErrInternal.Detail, Err: cause}
}

// errorTable maps errors that are not *Error (from the standard library or
// other layers) to API errors. The first entry whose target matches wins.
var errorTable = []struct {
	target error
	status int
	code   string
	detail string
}{
	{context.DeadlineExceeded, http.StatusServiceUnavailable, CodeUnavailable, "the request timed out"},
	{context.Canceled, http.StatusServiceUnavailable, CodeUnavailable, "the request was canceled"},
}

// toAPIError maps any error to the *Error that describes it to the client.
// Unknown errors become 500 internal with a generic detail and err as cause.
func toAPIError(err error) *Error {
	if e, ok := errors.AsType[*Error](err); ok {
		return e
	}
	if e, ok := errors.AsType[*http.MaxBytesError](err); ok {
		pe := PayloadTooLarge(e.Limit)
		pe.Err = err
		return pe
	}
	for _, row := range errorTable {
		if errors.Is(err, row.target) {
			return &Error{Status: row.status, Code: row.code, Detail: row.detail, Err: err}
		}
	}
	return Internal(err)
}

// Handle adapts a handler that returns an error to an http.HandlerFunc.
//
// A nil error means h has written the response. A non-nil error is mapped to a
// status and code (an *Error anywhere in the chain as is; see errorTable for
// the rest; anything else is 500 internal with a generic detail, so internals
// never leak) and written as a JSON error body, unless h had already started
// the response, in which case the error is only logged. 5xx errors are logged
// at error level with the method, path and cause; 4xx at debug level. The
// request body is never logged.
func Handle(log zerolog.Logger, h func(http.ResponseWriter, *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tw := &trackingWriter{ResponseWriter: w}
		err := h(tw, r)
		if err == nil {
			return
		}
		apiErr := toAPIError(err)

		level := zerolog.DebugLevel
		if apiErr.Status >= 500 {
			level = zerolog.ErrorLevel
			if errors.Is(err, context.Canceled) {
				// The client went away; nothing is wrong with the server.
				level = zerolog.InfoLevel
			}
		}
		ev := log.WithLevel(level).
			Str("method", r.Method).
			Str("path", r.URL.Path).
			Int("status", apiErr.Status).
			Str("code", apiErr.Code)
		if apiErr.Status >= 500 {
			ev = ev.Err(err)
		} else {
			ev = ev.Str("detail", apiErr.Detail)
		}
		if tw.wroteHeader {
			ev.Bool("response_started", true).Msg("request failed after the response started")
			return
		}
		ev.Msg("request failed")

		writeError(w, apiErr)
	}
}

// writeError writes e as a JSON error body with e.Status.
func writeError(w http.ResponseWriter, e *Error) {
	if e.RetryAfter > 0 {
		secs := int64((e.RetryAfter + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
	}
	WriteJSON(w, e.Status, errorBody{Error: e.Code, Detail: e.Detail})
}

// errorBody is the wire shape of every error response.
type errorBody struct {
	Error  string `json:"error"`
	Detail string `json:"detail"`
}

// WriteJSON writes v as a JSON response with the given status. v is encoded
// before anything is written, so a value that cannot be encoded yields a clean
// 500 internal error body rather than a truncated response. HTML characters are
// not escaped (starter texts contain "<!--").
func WriteJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		buf.Reset()
		status = http.StatusInternalServerError
		_ = json.NewEncoder(&buf).Encode(errorBody{Error: CodeInternal, Detail: ErrInternal.Detail})
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.Header().Set("X-Content-Type-Options", "nosniff") // a browser never reads it as anything else
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// DefaultBodyLimit is the body limit DecodeJSON uses when given limit <= 0.
const DefaultBodyLimit = 1 << 20

// DecodeJSON reads the request body, at most limit bytes (DefaultBodyLimit when
// limit <= 0), and decodes it as one JSON value into v, which must be a
// pointer. Unknown object fields are ignored: clients may send extra fields.
//
// Errors are *Error values ready to return from a Handle handler:
//   - a body over the limit: 413 payload_too_large;
//   - an empty body, malformed JSON or data after the value: 400 invalid_json,
//     with the line, column and byte offset of the problem;
//   - a value of the wrong type: 422 validation naming the field.
func DecodeJSON(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	return decodeJSON(w, r, limit, v, false)
}

// RequireJSON returns a 415 unless the request says its body is JSON (Content-Type
// application/json, parameters allowed). A browser sends a cross-origin request with that type
// only after a CORS preflight, which the server refuses to origins it does not allow: an HTML
// form or a no-cors fetch from another site cannot use a route that requires it.
func RequireJSON(r *http.Request) error {
	media, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || media != "application/json" {
		return UnsupportedMediaType("the request must have Content-Type: application/json")
	}
	return nil
}

// DecodeOptionalJSON is DecodeJSON for endpoints whose fields are all optional:
// an empty (or all-whitespace) body is accepted and leaves v unchanged.
func DecodeOptionalJSON(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	return decodeJSON(w, r, limit, v, true)
}

func decodeJSON(w http.ResponseWriter, r *http.Request, limit int64, v any, allowEmpty bool) error {
	if limit <= 0 {
		limit = DefaultBodyLimit
	}
	var body []byte
	if r.Body != nil {
		var err error
		body, err = io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
		if err != nil {
			if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
				return PayloadTooLarge(limit)
			}
			if errors.Is(err, os.ErrDeadlineExceeded) {
				return RequestTimeout("the request body did not arrive in the time a request may take")
			}
			return BadRequest("could not read the request body: " + err.Error())
		}
	}
	if len(bytes.TrimSpace(body)) == 0 {
		if allowEmpty {
			return nil
		}
		return InvalidJSON("the request body is empty; expected a JSON object")
	}

	err := json.Unmarshal(body, v)
	if err == nil {
		return nil
	}
	if se, ok := errors.AsType[*json.SyntaxError](err); ok {
		line, col := lineCol(body, se.Offset)
		return &Error{
			Status: http.StatusBadRequest,
			Code:   CodeInvalidJSON,
			Detail: fmt.Sprintf("malformed JSON at line %d, column %d (byte %d): %s", line, col, se.Offset, se.Error()),
			Err:    err,
		}
	}
	if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		want := jsonTypeName(te.Type)
		if te.Field == "" {
			return &Error{
				Status: http.StatusUnprocessableEntity,
				Code:   CodeValidation,
				Detail: fmt.Sprintf("the request body must be a JSON %s, not %s", want, te.Value),
				Err:    err,
			}
		}
		return &Error{
			Status: http.StatusUnprocessableEntity,
			Code:   CodeValidation,
			Detail: fmt.Sprintf("field %q must be %s %s, not %s", te.Field, article(want), want, te.Value),
			Err:    err,
		}
	}
	if _, ok := errors.AsType[*json.InvalidUnmarshalError](err); ok {
		// A programming error in the caller (v is not a pointer), not the client's fault.
		return Internal(err)
	}
	return InvalidJSON("the request body could not be decoded: " + err.Error())
}

// lineCol returns the 1-based line and column (in bytes) of offset in data.
// json.SyntaxError.Offset counts bytes read, pointing just past the bad byte.
func lineCol(data []byte, offset int64) (line, col int) {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	if offset < 0 {
		offset = 0
	}
	prefix := data[:offset]
	line = 1 + bytes.Count(prefix, []byte("\n"))
	col = int(offset) - bytes.LastIndexByte(prefix, '\n') - 1
	if col < 1 {
		col = 1
	}
	return line, col
}

// jsonTypeName names the JSON type a Go type decodes from, for error details.
func jsonTypeName(t reflect.Type) string {
	if t == nil {
		return "value"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Struct, reflect.Map:
		return "object"
	default:
		return t.String()
	}
}

func article(noun string) string {
	if noun != "" && strings.ContainsRune("aeiou", rune(noun[0])) {
		return "an"
	}
	return "a"
}

// trackingWriter records whether the response has started, so that Handle
// does not append an error body to a response a handler already began. It
// passes Flush and Hijack through to the wrapped writer.
type trackingWriter struct {
	http.ResponseWriter
	wroteHeader bool
}

func (w *trackingWriter) WriteHeader(status int) {
	// 1xx informational headers do not start the final response.
	if status >= 200 {
		w.wroteHeader = true
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *trackingWriter) Write(p []byte) (int, error) {
	w.wroteHeader = true
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *trackingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush implements http.Flusher when the wrapped writer supports flushing.
func (w *trackingWriter) Flush() {
	w.wroteHeader = true
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Hijack implements http.Hijacker when the wrapped writer supports it.
func (w *trackingWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	w.wroteHeader = true
	return http.NewResponseController(w.ResponseWriter).Hijack()
}
