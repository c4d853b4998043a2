package webclient

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"regexp"
	"strings"
	"time"
)

//go:embed all:dist
var dist embed.FS

// assetCacheControl is sent with files under /assets/: their names carry a content hash.
const assetCacheControl = "public, max-age=31536000, immutable"

type file struct {
	data []byte
	etag string
}

// Handler returns an http.Handler that serves the app: files of the build by path, hashed
// files under /assets/ cached forever, and index.html (never cached) for every other path,
// so client-side routes such as /r/{roomId} load the app. A missing file under /assets/ is a
// 404: answering it with HTML would only hide the error. Only GET and HEAD are allowed.
// The handler is safe for concurrent use.
func Handler() http.Handler {
	files := map[string]file{}
	err := fs.WalkDir(dist, "dist", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := dist.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		files[strings.TrimPrefix(p, "dist")] = file{data: data, etag: `"` + hex.EncodeToString(sum[:16]) + `"`}
		return nil
	})
	if err != nil {
		// The embedded tree is fixed at build time; failing to read it is a broken binary.
		panic("webclient: reading embedded files: " + err.Error())
	}
	return &handler{files: files, csp: contentSecurityPolicy(files["/index.html"].data)}
}

// contentSecurityPolicy is the policy of the app's pages: scripts only from the server, but for
// index.html's own inline ones (by hash: the theme is applied before the first paint); styles
// from the server and inline (CodeMirror writes its styles into <style> elements); fetches and
// WebSockets to the server only; never inside a frame. The room id is in the page's URL, so
// no page may leak it to another site or be framed by one.
func contentSecurityPolicy(index []byte) string {
	scripts := []string{"'self'"}
	for _, m := range inlineScript.FindAllSubmatch(index, -1) {
		sum := sha256.Sum256(m[1])
		scripts = append(scripts, "'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'")
	}
	return "default-src 'self'; script-src " + strings.Join(scripts, " ") +
		"; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'" +
		"; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
}

// inlineScript matches a <script> element without attributes, and its content.
var inlineScript = regexp.MustCompile(`(?s)<script>(.*?)</script>`)

type handler struct {
	files map[string]file
	csp   string // of the pages (index.html)
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	name := path.Clean("/" + r.URL.Path)
	f, ok := h.files[name]
	switch {
	case ok && name != "/index.html":
		if strings.HasPrefix(name, "/assets/") {
			w.Header().Set("Cache-Control", assetCacheControl)
		} else {
			w.Header().Set("Cache-Control", "no-cache")
		}
	case strings.HasPrefix(name, "/assets/"):
		http.NotFound(w, r)
		return
	default:
		name = "/index.html"
		f, ok = h.files[name]
		if !ok {
			http.Error(w, "webclient: the app is not built", http.StatusNotFound)
			return
		}
		w.Header().Set("Cache-Control", "no-cache")
	}
	if name == "/index.html" {
		w.Header().Set("Content-Security-Policy", h.csp)
		w.Header().Set("X-Frame-Options", "DENY")
	}
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("ETag", f.etag)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(f.data))
}
