package webclient

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func get(t *testing.T, h http.Handler, path string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec
}

func TestIndexForAppRoutes(t *testing.T) {
	h := Handler()
	for _, path := range []string{"/", "/r/abc", "/r/abc/", "/some/other/page", "/index.html", "/r/../../etc/passwd"} {
		rec := get(t, h, path)
		if got, want := rec.Code, http.StatusOK; got != want {
			t.Errorf("GET %s: status = %d, want %d", path, got, want)
			continue
		}
		if got := rec.Header().Get("Content-Type"); !strings.HasPrefix(got, "text/html") {
			t.Errorf("GET %s: Content-Type = %q, want text/html", path, got)
		}
		if got, want := rec.Header().Get("Cache-Control"), "no-cache"; got != want {
			t.Errorf("GET %s: Cache-Control = %q, want %q", path, got, want)
		}
		if !strings.Contains(rec.Body.String(), `<div id="root">`) {
			t.Errorf("GET %s: body is not the app's index.html", path)
		}
	}
}

func TestHashedAssets(t *testing.T) {
	h := Handler()
	assets, err := fs.Glob(dist, "dist/assets/*")
	if err != nil || len(assets) == 0 {
		t.Fatalf("no built assets (run npm run build): %v", err)
	}
	wantType := map[string]string{".js": "text/javascript", ".css": "text/css"}
	for _, a := range assets {
		path := strings.TrimPrefix(a, "dist")
		rec := get(t, h, path)
		if rec.Code != http.StatusOK {
			t.Fatalf("GET %s: status = %d", path, rec.Code)
		}
		if got, want := rec.Header().Get("Cache-Control"), "public, max-age=31536000, immutable"; got != want {
			t.Errorf("GET %s: Cache-Control = %q, want %q", path, got, want)
		}
		for ext, typ := range wantType {
			if strings.HasSuffix(path, ext) && !strings.HasPrefix(rec.Header().Get("Content-Type"), typ) {
				t.Errorf("GET %s: Content-Type = %q, want %s", path, rec.Header().Get("Content-Type"), typ)
			}
		}
		// A revalidation with the ETag is answered without a body.
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("If-None-Match", rec.Header().Get("ETag"))
		rec2 := httptest.NewRecorder()
		h.ServeHTTP(rec2, req)
		if got, want := rec2.Code, http.StatusNotModified; got != want {
			t.Errorf("GET %s with If-None-Match: status = %d, want %d", path, got, want)
		}
	}
}

func TestMissingAssetIs404(t *testing.T) {
	if got, want := get(t, Handler(), "/assets/nope-123.js").Code, http.StatusNotFound; got != want {
		t.Errorf("status = %d, want %d", got, want)
	}
}

func TestOnlyGetAndHead(t *testing.T) {
	rec := httptest.NewRecorder()
	Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/", nil))
	if got, want := rec.Code, http.StatusMethodNotAllowed; got != want {
		t.Errorf("POST /: status = %d, want %d", got, want)
	}
}

// The app's pages may run only the server's scripts and index.html's own inline one, may not be
// framed, and leak no URL (the room id is in it) through the Referer header.
func TestPagesSecurityHeaders(t *testing.T) {
	h := Handler()
	rec := get(t, h, "/r/abc")
	csp := rec.Header().Get("Content-Security-Policy")
	for _, want := range []string{"script-src 'self' 'sha256-", "frame-ancestors 'none'", "connect-src 'self'", "object-src 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("Content-Security-Policy %q lacks %q", csp, want)
		}
	}
	if n := strings.Count(rec.Body.String(), "<script>"); n != strings.Count(csp, "'sha256-") {
		t.Errorf("index.html has %d inline scripts, the policy allows %d", n, strings.Count(csp, "'sha256-"))
	}
	for name, want := range map[string]string{"X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff"} {
		if got := rec.Header().Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
}
