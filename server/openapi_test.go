package server

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pairpad/pairpad/server/internal/httpapi"
)

// loadOpenAPI decodes the document the server's routes serve at GET /openapi.json.
func loadOpenAPI(t *testing.T) map[string]any {
	t.Helper()
	var s Server
	mux := http.NewServeMux()
	s.routes(mux.Handle)
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/openapi.json", nil))
	var doc map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatalf("GET /openapi.json = %d, does not parse: %v", rec.Code, err)
	}
	return doc
}

// TestOpenAPIPaths checks that the document describes every route routes() registers, and
// no other.
func TestOpenAPIPaths(t *testing.T) {
	want := map[string][]string{}
	var s Server
	s.routes(func(pattern string, _ http.Handler) {
		method, path, ok := strings.Cut(pattern, " ")
		if !ok || path == "/" {
			return // the catch-alls: the web app and "no such route"
		}
		want[path] = append(want[path], strings.ToLower(method))
		slices.Sort(want[path])
	})
	paths, _ := loadOpenAPI(t)["paths"].(map[string]any)
	got := map[string][]string{}
	for p, item := range paths {
		for m := range item.(map[string]any) {
			if slices.Contains([]string{"get", "post", "put", "patch", "delete", "options", "head"}, m) {
				got[p] = append(got[p], m)
			}
		}
		slices.Sort(got[p])
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("paths and methods mismatch (-want +got):\n%s", diff)
	}
}

// TestOpenAPIMatchesCode keeps the document in step with the Go constants it describes.
func TestOpenAPIMatchesCode(t *testing.T) {
	doc := loadOpenAPI(t)
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)

	var gotCodes []string
	for _, c := range schemas["Error"].(map[string]any)["properties"].(map[string]any)["error"].(map[string]any)["enum"].([]any) {
		gotCodes = append(gotCodes, c.(string))
	}
	wantCodes := []string{httpapi.CodeBadRequest, httpapi.CodeInvalidJSON, httpapi.CodeNotFound, httpapi.CodePayloadTooLarge,
		httpapi.CodeUnknownLanguage, httpapi.CodeValidation, httpapi.CodeReadOnly, httpapi.CodeUnauthorized, httpapi.CodeForbidden,
		httpapi.CodeRateLimited, httpapi.CodeRequestTimeout, httpapi.CodeUnsupportedType, httpapi.CodeMisdirected, httpapi.CodeConflict, httpapi.CodeNotRunnable, httpapi.CodeUnavailable, httpapi.CodeInternal}
	if diff := cmp.Diff(wantCodes, gotCodes); diff != "" {
		t.Errorf("Error.error enum mismatch (-want +got):\n%s", diff)
	}

	desc := schemas["LanguageId"].(map[string]any)["description"].(string)
	if !strings.Contains(desc, languageIDs()+".") {
		t.Errorf("LanguageId description %q does not list the languages %q", desc, languageIDs())
	}
}
