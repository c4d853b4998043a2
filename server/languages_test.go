package server

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pairpad/pairpad/language"
)

// TestLanguagesRoute checks GET /languages over HTTP: every language of the catalogue, in its
// order, with the fields the web app and the OpenAPI description name. TestRunLanguages checks
// runnable with running code on.
func TestLanguagesRoute(t *testing.T) {
	ts := newTestServer(t, Options{})
	resp, err := http.Get(ts.URL + "/languages")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET /languages: %d %q, want 200 application/json", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var got []map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatalf("GET /languages: %v", err)
	}
	var want []map[string]any
	for _, l := range language.All() {
		// Running code is off in this server: no language runs.
		want = append(want, map[string]any{"id": l.ID, "name": l.Name, "extension": l.Extension, "runnable": false})
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GET /languages mismatch (-want +got):\n%s", diff)
	}
	if got[0]["id"] != language.Default || got[0]["name"] != "Python" || got[0]["extension"] != ".py" {
		t.Errorf("GET /languages starts with %v, want python, Python, .py", got[0])
	}
}
