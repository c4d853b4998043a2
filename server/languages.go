package server

import (
	"net/http"
	"slices"
	"strings"

	"github.com/pairpad/pairpad/language"
	"github.com/pairpad/pairpad/server/internal/httpapi"
)

// languageResponse is one language of GET /languages.
type languageResponse struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Extension string `json:"extension"`
	// Runnable says whether POST /rooms/{roomId}/run can run code in it on this server.
	Runnable bool `json:"runnable"`
}

// listLanguages answers GET /languages: every language a room can be set to (package language),
// in the order a picker shows them, and whether this server can run its code.
func (s *Server) listLanguages(w http.ResponseWriter, _ *http.Request) error {
	all := language.All()
	out := make([]languageResponse, len(all))
	for i, l := range all {
		out[i] = languageResponse{ID: l.ID, Name: l.Name, Extension: l.Extension, Runnable: s.runner.runnable(l.ID)}
	}
	httpapi.WriteJSON(w, http.StatusOK, out)
	return nil
}

// languageIDs returns the supported IDs, sorted, joined with ", ", for error details.
func languageIDs() string {
	var ids []string
	for _, l := range language.All() {
		ids = append(ids, l.ID)
	}
	slices.Sort(ids)
	return strings.Join(ids, ", ")
}
