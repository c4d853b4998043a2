package apidocs

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"html/template"
	"net/http"
	"strconv"
)

// The embedded files. Nothing assigns to these variables: they are constants, which the
// embed directive can only fill as variables.
var (
	// openAPIJSON is the OpenAPI 3.0 description of every route and WebSocket message.
	//
	//go:embed openapi.json
	openAPIJSON string
	// docsHTML is the page, a template into which Page inlines docsCSS and docsJS.
	//
	//go:embed docs.html
	docsHTML string
	//go:embed docs.css
	docsCSS string
	//go:embed docs.js
	docsJS string
)

// OpenAPI returns the handler of the OpenAPI document (GET /openapi.json).
func OpenAPI() http.Handler {
	return staticHandler("application/json", []byte(openAPIJSON), nil)
}

// Page returns the handler of the API documentation page (GET /docs): one self-contained
// HTML page, with no external scripts, styles or fonts, that fetches /openapi.json and renders
// every route, its request and response schemas and the WebSocket messages. Its
// Content-Security-Policy allows only its own inline script and style, by their hashes, and
// same-origin fetches.
func Page() http.Handler {
	csp := "default-src 'none'; connect-src 'self'; img-src 'self' data:" +
		"; script-src " + cspHash(docsJS) +
		"; style-src " + cspHash(docsCSS) +
		"; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
	return staticHandler("text/html; charset=utf-8", page(), http.Header{
		"Content-Security-Policy": {csp},
		"Referrer-Policy":         {"no-referrer"},
	})
}

// page renders docs.html with docs.css and docs.js inline, byte for byte, so that the page
// works offline and from a single binary and the CSP hashes of the files match. It panics if
// docs.html is not a valid template: the files are fixed at build time and TestDocsHandler
// renders them.
func page() []byte {
	tmpl := template.Must(template.New("docs.html").Parse(docsHTML))
	files := struct {
		Style  template.CSS
		Script template.JS
	}{template.CSS(docsCSS), template.JS(docsJS)}
	var b bytes.Buffer
	if err := tmpl.Execute(&b, files); err != nil {
		panic("apidocs: render docs.html: " + err.Error())
	}
	return b.Bytes()
}

// staticHandler serves body with the given content type and extra headers.
// It answers any method: register it under "GET /path" (which includes HEAD).
func staticHandler(contentType string, body []byte, extra http.Header) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		h := w.Header()
		for k, v := range extra {
			h[k] = v
		}
		h.Set("Content-Type", contentType)
		h.Set("Content-Length", strconv.Itoa(len(body)))
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "no-cache")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body)
	})
}

// cspHash returns the CSP source expression allowing an inline element whose
// content is exactly s.
func cspHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}
