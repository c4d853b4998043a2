package apidocs

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func loadOpenAPI(t *testing.T) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal([]byte(openAPIJSON), &doc); err != nil {
		t.Fatalf("openapi.json does not parse: %v", err)
	}
	return doc
}

// TestOpenAPIOperations checks the shape of every operation. That every route is described is
// the server's test, which knows the routes.
func TestOpenAPIOperations(t *testing.T) {
	doc := loadOpenAPI(t)
	if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.0.") {
		t.Errorf("openapi = %q, want 3.0.x", v)
	}
	paths, _ := doc["paths"].(map[string]any)
	if len(paths) == 0 {
		t.Fatal("openapi.json describes no paths")
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

func TestOpenAPIHandler(t *testing.T) {
	rec := httptest.NewRecorder()
	OpenAPI().ServeHTTP(rec, httptest.NewRequest("GET", "/openapi.json", nil))
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/json" {
		t.Errorf("got %d %q, want 200 application/json", rec.Code, rec.Header().Get("Content-Type"))
	}
	if rec.Body.String() != openAPIJSON {
		t.Error("body is not the embedded document")
	}
}

func TestDocsHandler(t *testing.T) {
	srv := httptest.NewServer(Page())
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
	for k, want := range map[string]string{
		"Referrer-Policy":        "no-referrer",
		"X-Content-Type-Options": "nosniff",
		"Cache-Control":          "no-cache",
	} {
		if got := resp.Header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
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
	if strings.Contains(docsJS, "innerHTML") {
		t.Error("docs.js uses innerHTML; build nodes with textContent")
	}

	// The page holds docs.css and docs.js byte for byte, and the CSP allows exactly them.
	csp := resp.Header.Get("Content-Security-Policy")
	for _, tt := range []struct{ tag, file string }{{"script", docsJS}, {"style", docsCSS}} {
		m := regexp.MustCompile(`(?s)<` + tt.tag + `>(.*?)</` + tt.tag + `>`).FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("page has no <%s>", tt.tag)
		}
		if m[1] != tt.file {
			t.Errorf("the page's <%s> is not its embedded file", tt.tag)
		}
		if h := cspHash(m[1]); !strings.Contains(csp, tt.tag+"-src "+h) {
			t.Errorf("CSP %q does not allow the page's %s (%s)", csp, tt.tag, h)
		}
	}
}
