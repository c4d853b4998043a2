package server

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func loadOpenAPI(t *testing.T) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(openAPIJSON, &doc); err != nil {
		t.Fatalf("openapi.json does not parse: %v", err)
	}
	return doc
}

func TestOpenAPIPaths(t *testing.T) {
	doc := loadOpenAPI(t)
	if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.0.") {
		t.Errorf("openapi = %q, want 3.0.x", v)
	}
	paths, _ := doc["paths"].(map[string]any)
	want := map[string][]string{
		"/rooms":          {"post"},
		"/rooms/{roomId}": {"get", "patch"},
		"/autocomplete":   {"post"},
		"/languages":      {"get"},
		"/health":         {"get"},
		"/ready":          {"get"},
		"/docs":           {"get"},
		"/openapi.json":   {"get"},
		"/yjs/{roomId}":   {"get"},
		"/ws/{roomId}":    {"get"},
	}
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

	for p, item := range paths {
		for m, op := range item.(map[string]any) {
			o, ok := op.(map[string]any)
			if !ok || m == "parameters" {
				continue
			}
			responses, _ := o["responses"].(map[string]any)
			if len(responses) == 0 {
				t.Errorf("%s %s has no responses", m, p)
			}
			if strings.Contains(p, "{roomId}") && !strings.HasPrefix(p, "/rooms") {
				if _, ok := responses["101"]; !ok {
					t.Errorf("WebSocket %s lacks a 101 response", p)
				}
				if _, ok := o["x-websocket"].(map[string]any); !ok {
					t.Errorf("WebSocket %s lacks x-websocket", p)
				}
			}
		}
	}
}

func TestOpenAPIRefsResolve(t *testing.T) {
	doc := loadOpenAPI(t)
	var refs []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if r, ok := v["$ref"].(string); ok {
				refs = append(refs, r)
			}
			for _, c := range v {
				walk(c)
			}
		case []any:
			for _, c := range v {
				walk(c)
			}
		}
	}
	walk(doc)
	if len(refs) < 20 {
		t.Errorf("found only %d $refs; is the walk broken?", len(refs))
	}
	for _, ref := range refs {
		if !strings.HasPrefix(ref, "#/") {
			t.Errorf("$ref %q is not local", ref)
			continue
		}
		var node any = doc
		for _, part := range strings.Split(ref[2:], "/") {
			part = strings.NewReplacer("~1", "/", "~0", "~").Replace(part)
			m, ok := node.(map[string]any)
			if !ok {
				node = nil
				break
			}
			node = m[part]
		}
		if node == nil {
			t.Errorf("$ref %q does not resolve", ref)
		}
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
	wantCodes := []string{CodeBadRequest, CodeInvalidJSON, CodeNotFound, CodePayloadTooLarge, CodeUnknownLanguage,
		CodeValidation, CodeRateLimited, CodeUnavailable, CodeInternal}
	if diff := cmp.Diff(wantCodes, gotCodes); diff != "" {
		t.Errorf("Error.error enum mismatch (-want +got):\n%s", diff)
	}

	desc := schemas["LanguageId"].(map[string]any)["description"].(string)
	if !strings.Contains(desc, languageIDs()+".") {
		t.Errorf("LanguageId description %q does not list the languages %q", desc, languageIDs())
	}
}

func TestOpenAPIHandler(t *testing.T) {
	rec := httptest.NewRecorder()
	OpenAPIHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/openapi.json", nil))
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/json" {
		t.Errorf("got %d %q, want 200 application/json", rec.Code, rec.Header().Get("Content-Type"))
	}
	if rec.Body.String() != string(openAPIJSON) {
		t.Error("body is not the embedded document")
	}
}

func TestDocsHandler(t *testing.T) {
	srv := httptest.NewServer(DocsHandler())
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/docs")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	page := string(body)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("got %d %q, want 200 text/html", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if !strings.Contains(page, `fetch("/openapi.json"`) {
		t.Error("page does not fetch /openapi.json")
	}
	// Self-contained: nothing loaded from elsewhere.
	for _, bad := range []string{" src=", "<link", "@import", "http://", "https://"} {
		if strings.Contains(page, bad) {
			t.Errorf("page contains %q; it must load nothing external", bad)
		}
	}
	if strings.Contains(docsScript, "innerHTML") {
		t.Error("the docs script uses innerHTML; build nodes with textContent")
	}

	// The CSP allows exactly the inline script and style the page holds.
	csp := resp.Header.Get("Content-Security-Policy")
	for _, tag := range []string{"script", "style"} {
		m := regexp.MustCompile(`(?s)<` + tag + `>(.*?)</` + tag + `>`).FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("page has no <%s>", tag)
		}
		if h := cspHash(m[1]); !strings.Contains(csp, tag+"-src "+h) {
			t.Errorf("CSP %q does not allow the page's %s (%s)", csp, tag, h)
		}
	}
}
