// Package server holds pairpad's HTTP routes, REST handlers and WebSocket sessions.
package server

import (
	"encoding/json"
	"net/http"
)

// Server serves pairpad's HTTP API. The zero value is not usable; call New.
type Server struct {
	mux *http.ServeMux
}

// New returns a Server with every route registered.
func New() *Server {
	s := &Server{mux: http.NewServeMux()}
	s.routes()
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// routes registers every route of the API in one place.
func (s *Server) routes() {
	s.mux.HandleFunc("GET /health", s.health)
}

func (s *Server) health(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
