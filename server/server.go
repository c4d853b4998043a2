// Package server holds pairpad's HTTP routes, REST handlers and WebSocket sessions: the
// y-websocket protocol on /yjs/{roomId} and the seed's JSON protocol on /ws/{roomId}, both
// attached to the same rooms.
package server

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/pairpad/pairpad/completion"
	"github.com/pairpad/pairpad/language"
	"github.com/pairpad/pairpad/server/internal/apidocs"
	"github.com/pairpad/pairpad/server/internal/httpapi"
	"github.com/pairpad/pairpad/server/internal/room"
	"github.com/pairpad/pairpad/store"
)

// Options configure a Server. Store is required; the zero value of every other field means
// its default.
type Options struct {
	Store store.Store
	Log   zerolog.Logger
	// AllowedOrigins lists the origins (scheme://host[:port], or "*") allowed to call the API
	// from a browser and to open WebSockets; same-origin requests are always allowed.
	AllowedOrigins []string
	// AllowedHosts, if set, lists the host names (without ports) requests may name in their
	// Host header; others get a 421. Empty: any host.
	AllowedHosts []string
	// MaxMessageBytes caps a WebSocket message (default 8 MiB); a bigger one closes the
	// connection with 1009.
	MaxMessageBytes int64
	// MaxBodyBytes caps a REST request body (default 1 MiB); a bigger one is a 413.
	MaxBodyBytes int64
	// RequestTimeout bounds how long a REST request may take to send its body, and then to take
	// its response (default 60 s each): a body that has not arrived by then is a 408, a response
	// not taken by then is cut off. WebSockets have no such bound.
	RequestTimeout time.Duration
	// Completer answers POST /autocomplete (default: the built-in engine).
	Completer completion.Completer
	// AutocompleteTimeout bounds one POST /autocomplete (default 2 s); a
	// Completer that waits for a model should give up before it.
	AutocompleteTimeout time.Duration
	// AutocompleteRate limits POST /autocomplete per client address: Rate
	// requests per second with bursts of Burst (defaults 10 and 20).
	AutocompleteRate RateLimit
	// MaxRooms, if positive, is how many rooms the store may hold: POST /rooms answers 503 once
	// it holds that many.
	MaxRooms int
	// RoomTTL, if positive, is how long a room may go unopened (not loaded into memory, by a
	// socket or a REST call) before it is deleted, with its whole log: a sweep deletes such rooms
	// when the server starts and then every tenth of RoomTTL (at most an hour, at least a
	// second), except those live at that moment. Off by default.
	RoomTTL time.Duration
	// RoomCreationRate limits POST /rooms per client address (defaults 2 per second, bursts
	// of 20); past it, a 429 with Retry-After.
	RoomCreationRate RateLimit
	// TrustedProxies are the addresses of reverse proxies in front of the
	// server: a request from one of them is counted against the client that
	// X-Forwarded-For names. From anywhere else the header is ignored.
	TrustedProxies []netip.Prefix
	// PingInterval is how long a room socket may send nothing before it is pinged; one that
	// does not answer within half of it is closed (default 30 s).
	PingInterval time.Duration
	// MaxConnectionsPerAddress is how many room sockets one client address may hold open
	// (default 256; negative: no limit); one more is refused with a 429 before the upgrade.
	MaxConnectionsPerAddress int
	// App, if set, serves the web app: every GET that no API route takes (/, /r/{roomId},
	// its assets).
	App   http.Handler
	Rooms RoomOptions
	// Cluster makes the server one node of several sharing Store (see ClusterOptions).
	Cluster ClusterOptions
	// Run configures running rooms' code (see RunOptions); off unless Run.Sandbox is set.
	Run RunOptions
}

func (o *Options) validate() error {
	if o.Store == nil {
		return errors.New("server: Options.Store is required")
	}
	if o.MaxMessageBytes <= 0 {
		o.MaxMessageBytes = 8 << 20
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = httpapi.DefaultBodyLimit
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = DefaultRequestTimeout
	}
	if o.Completer == nil {
		o.Completer = completion.Builtin{}
	}
	if o.AutocompleteTimeout <= 0 {
		o.AutocompleteTimeout = 2 * time.Second
	}
	o.AutocompleteRate = o.AutocompleteRate.withDefaults(RateLimit{Rate: 10, Burst: 20})
	o.RoomCreationRate = o.RoomCreationRate.withDefaults(RateLimit{Rate: 2, Burst: 20})
	if o.PingInterval <= 0 {
		o.PingInterval = 30 * time.Second
	}
	if o.MaxConnectionsPerAddress == 0 {
		o.MaxConnectionsPerAddress = 256
	}
	return nil
}

// DefaultRequestTimeout is Options.RequestTimeout's default: a body of 1 MiB arrives in it
// at 20 KB/s.
const DefaultRequestTimeout = 60 * time.Second

// RateLimit is a token bucket: Rate requests per second on average, Burst at
// once. Zero fields mean the defaults of the option; a negative Rate means no
// limit.
type RateLimit struct {
	Rate  float64
	Burst int
}

func (l RateLimit) withDefaults(d RateLimit) RateLimit {
	if l.Rate == 0 {
		l.Rate = d.Rate
	}
	if l.Burst <= 0 {
		l.Burst = d.Burst
	}
	return l
}

// Server serves pairpad's HTTP API and WebSockets. Create it with New and stop it with Shutdown.
type Server struct {
	opts    Options
	log     zerolog.Logger
	rooms   *rooms
	metrics *metrics
	handler http.Handler
	// sockets counts the WebSocket handlers running, so that Shutdown returns only once their
	// close frames are written.
	sockets sync.WaitGroup
	// completing keeps one autocomplete request in flight per client.
	completing completion.Latest
	limiter    *httpapi.Limiter // of POST /autocomplete
	creations  *httpapi.Limiter // of POST /rooms
	addrConns  *addrConns       // room sockets by client address
	liveness   *liveness
	expirer    *expirer // nil unless Options.RoomTTL is positive
	relays     relays   // the sockets carried to other nodes
	runner     *runner
	// stopping ends with BeginShutdown: the event streams end, and so do the waits of room
	// sockets for their room's owner.
	stopping      context.Context
	beginShutdown context.CancelFunc
}

// New returns a Server with every route registered.
func New(opts Options) (*Server, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	m := newMetrics()
	cl := newCluster(opts.Store, opts.Cluster, opts.Log)
	if cl != nil {
		cl.watch()
	}
	s := &Server{
		opts:      opts,
		log:       opts.Log,
		metrics:   m,
		rooms:     newRooms(opts.Store, cl, opts.Log, opts.Rooms, m),
		limiter:   httpapi.NewLimiter(opts.AutocompleteRate.Rate, opts.AutocompleteRate.Burst),
		creations: httpapi.NewLimiter(opts.RoomCreationRate.Rate, opts.RoomCreationRate.Burst),
		addrConns: &addrConns{max: opts.MaxConnectionsPerAddress, open: make(map[string]int)},
		liveness:  newLiveness(opts.PingInterval),
		runner:    newRunner(opts.Run, opts.Store),
	}
	s.stopping, s.beginShutdown = context.WithCancel(context.Background())
	go s.liveness.run()
	if opts.RoomTTL > 0 {
		s.expirer = startExpirer(s.rooms, opts.RoomTTL)
	}
	mux := http.NewServeMux()
	s.routes(mux.Handle)
	s.handler = s.fromNodes(mux, httpapi.Hosts(opts.AllowedHosts, httpapi.CORS(opts.AllowedOrigins, mux)))
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// BeginShutdown ends what http.Server.Shutdown would wait for: every event stream (GET
// /rooms/{roomId}/runs/events), and every room socket's wait for its room's owner (it is
// closed with 1001, and its client tries again elsewhere). Register it with
// RegisterOnShutdown. Shutdown calls it too.
func (s *Server) BeginShutdown() { s.beginShutdown() }

// Shutdown closes every room's connections as going away, flushes every room to the store and
// waits until every connection is closed. The HTTP server must have stopped accepting
// connections already.
func (s *Server) Shutdown(ctx context.Context) error {
	s.BeginShutdown()
	s.liveness.shutdown()
	if s.expirer != nil {
		s.expirer.shutdown()
	}
	s.relays.closeAll()
	s.runner.stopAll()
	if err := s.rooms.shutdown(ctx); err != nil {
		return err
	}
	if s.rooms.cluster != nil {
		s.rooms.cluster.shutdown()
	}
	done := make(chan struct{})
	go func() { s.sockets.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// routes registers every route of the API in one place, with handle (a ServeMux's Handle, or
// a test's recorder).
func (s *Server) routes(handle func(pattern string, h http.Handler)) {
	h := func(fn func(http.ResponseWriter, *http.Request) error) http.Handler {
		return httpapi.Handle(s.log, fn)
	}
	// Every route but the WebSockets has RequestTimeout to send its request and take its answer.
	rest := func(pattern string, h http.Handler) { handle(pattern, httpapi.Deadline(s.opts.RequestTimeout, h)) }
	rest("GET /health", h(s.health))
	rest("GET /ready", h(s.ready))
	rest("POST /rooms", h(s.createRoom))
	// A room's routes are served by the node that owns the room (atOwner), but for the
	// code, which any node reads from the store.
	owner := func(fn func(http.ResponseWriter, *http.Request) error) http.Handler { return s.atOwner(h(fn)) }
	rest("GET /rooms/{roomId}", h(s.getRoom))
	rest("PATCH /rooms/{roomId}", owner(s.patchRoom))
	rest("DELETE /rooms/{roomId}", owner(s.deleteRoom))
	rest("GET /rooms/{roomId}/links", owner(s.getLinks))
	rest("POST /rooms/{roomId}/links/rotate", owner(s.rotateLink))
	rest("GET /rooms/{roomId}/history", owner(s.getHistory))
	rest("GET /rooms/{roomId}/history/{seq}", owner(s.getHistoryText))
	rest("GET /rooms/{roomId}/history/{seq}/updates", owner(s.getPlayback))
	rest("POST /rooms/{roomId}/restore", owner(s.restoreRoom))
	rest("POST /rooms/{roomId}/run", owner(s.runRoom))
	rest("POST /rooms/{roomId}/runs/{runId}/stop", owner(s.stopRun))
	rest("GET /rooms/{roomId}/runs", owner(s.listRuns))
	// An event stream lasts as long as its watcher: no RequestTimeout.
	handle("GET /rooms/{roomId}/runs/events", owner(s.watchRuns))
	rest("GET /languages", h(s.listLanguages))
	rest("POST /autocomplete", h(s.autocomplete))
	rest("GET /openapi.json", apidocs.OpenAPI())
	rest("GET /docs", apidocs.Page())
	rest("GET /metrics", http.HandlerFunc(s.serveMetrics))
	handle("GET /yjs/{roomId}", s.roomSocket(room.NewYjsSession))
	handle("GET /ws/{roomId}", s.roomSocket(s.newSeedSession))
	if s.opts.App != nil {
		rest("GET /", s.opts.App)
	}
	rest("/", h(func(http.ResponseWriter, *http.Request) error { return httpapi.NotFound("no such route") }))
}

func (s *Server) health(w http.ResponseWriter, _ *http.Request) error {
	httpapi.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

func (s *Server) ready(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.opts.Store.Ping(ctx); err != nil {
		return httpapi.Unavailable("the store is unreachable", err)
	}
	if s.rooms.committer.refusing(time.Now()) {
		return httpapi.Unavailable("the store refused the last commit (disk full?)", nil)
	}
	httpapi.WriteJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	return nil
}

// roomResponse is the seed's room shape; field names are a contract with its clients. The
// fields after CreatedAt are pairpad's: the role the id asked with gives, whether the room is
// locked, its view link (for editors), and its owner's token (once, to its creator).
type roomResponse struct {
	RoomID     string `json:"roomId"`
	Code       string `json:"code"`
	Language   string `json:"language"`
	CreatedAt  string `json:"created_at"`
	Role       string `json:"role"`
	Locked     bool   `json:"locked"`
	ViewID     string `json:"viewId,omitempty"`
	OwnerToken string `json:"ownerToken,omitempty"`
}

func newRoomID() (string, error) {
	b := make([]byte, 16) // 128 bits
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func (s *Server) createRoom(w http.ResponseWriter, r *http.Request) error {
	if err := httpapi.RequireJSON(r); err != nil {
		return err
	}
	client := httpapi.ClientAddr(r, s.opts.TrustedProxies)
	if ok, retry := s.creations.Allow(client, time.Now()); !ok {
		return httpapi.RateLimited("too many rooms created from this address; slow down", retry)
	}
	if err := s.checkRoomQuota(r.Context()); err != nil {
		return err
	}
	var req struct {
		Language *string `json:"language"`
	}
	if err := httpapi.DecodeOptionalJSON(w, r, s.opts.MaxBodyBytes, &req); err != nil {
		return err
	}
	langID := language.Default
	if req.Language != nil {
		langID = *req.Language
	}
	lang, ok := language.Lookup(langID)
	if !ok {
		return unknownLanguage(langID)
	}
	id, err := newRoomID()
	if err != nil {
		return httpapi.Internal(err)
	}
	initial, err := room.Initial(lang.Starter, lang.ID)
	if err != nil {
		return httpapi.Internal(err)
	}
	access, token, err := newAccess(id)
	if err != nil {
		return httpapi.Internal(err)
	}
	room := store.Room{ID: id, CreatedAt: time.Now().UTC().Truncate(time.Millisecond), Access: access}
	if err := s.opts.Store.CreateRoom(r.Context(), room, initial); err != nil {
		return httpapi.Unavailable("could not create the room", err)
	}
	s.log.Info().Str("room", id).Str("language", lang.ID).Msg("room created")
	httpapi.WriteJSON(w, http.StatusCreated, roomResponse{RoomID: id, Code: lang.Starter, Language: lang.ID,
		CreatedAt: formatTime(room.CreatedAt), Role: "editor", ViewID: access.ViewID, OwnerToken: token})
	return nil
}

// checkRoomQuota refuses a new room once the store holds Options.MaxRooms.
func (s *Server) checkRoomQuota(ctx context.Context) error {
	if s.opts.MaxRooms <= 0 {
		return nil
	}
	n, err := s.opts.Store.CountRooms(ctx)
	if err != nil {
		return httpapi.Unavailable("could not count the rooms", err)
	}
	if n >= s.opts.MaxRooms {
		return httpapi.Unavailable(fmt.Sprintf("the server holds as many rooms as it may (%d, MAX_ROOMS)", s.opts.MaxRooms), nil)
	}
	return nil
}

// unknownLanguage returns a 422 unknown_language error whose detail lists the
// supported language IDs.
func unknownLanguage(id string) *httpapi.Error {
	return &httpapi.Error{
		Status: http.StatusUnprocessableEntity,
		Code:   httpapi.CodeUnknownLanguage,
		Detail: fmt.Sprintf("unknown language %q; supported languages: %s", id, languageIDs()),
	}
}

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func (s *Server) getRoom(w http.ResponseWriter, r *http.Request) error {
	g, err := s.resolve(r.Context(), r.PathValue("roomId"))
	if err != nil {
		return storeError(err)
	}
	var resp roomResponse
	if _, elsewhere := s.leaseElsewhere(r.Context(), g.room.ID); elsewhere {
		resp, err = s.storedState(r.Context(), g)
	} else {
		resp, err = s.roomState(r.Context(), g, "")
	}
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusOK, resp)
	return nil
}

// roomState returns a room's current code and language, as its live document has them, after
// setting its language first if setLanguage is not empty (which g's role must allow). A
// document without a language, or with one that is not in the catalogue (any client may write
// the "language" key, with any value), reports language.Default. Its roomId is the id g named:
// a viewer never learns the edit link.
func (s *Server) roomState(ctx context.Context, g grant, setLanguage string) (roomResponse, error) {
	reply, err := s.rooms.query(ctx, g, setLanguage, false)
	if err != nil {
		return roomResponse{}, roomError(g, err)
	}
	return g.response(reply.Code, reply.Language), nil
}

// response returns the room's response to g with code and lang.
func (g grant) response(code, lang string) roomResponse {
	resp := roomResponse{RoomID: g.link, Code: code, Language: language.Default, CreatedAt: formatTime(g.room.CreatedAt),
		Role: g.role.String(), Locked: g.room.Access.Locked}
	if g.role == room.Editor {
		resp.ViewID = g.room.Access.ViewID
	}
	if l, ok := language.Lookup(lang); ok {
		resp.Language = l.ID
	}
	return resp
}

// storedState returns a room's code and language as the store has them: everything its
// owner ever relayed, which it committed first.
func (s *Server) storedState(ctx context.Context, g grant) (roomResponse, error) {
	snap, entries, err := s.opts.Store.Load(ctx, g.room.ID)
	if err != nil {
		return roomResponse{}, storeError(err)
	}
	doc, err := room.Rebuild(snap.State)
	if err != nil {
		return roomResponse{}, httpapi.Internal(err)
	}
	for _, e := range entries {
		_ = doc.Apply(e.Update) // one that does not apply is set aside, as the room does when it loads
	}
	return g.response(doc.Code(), doc.Language()), nil
}

// roomError maps the error of a room's answer to g's request to an API error.
func roomError(g grant, err error) error {
	switch {
	case errors.Is(err, room.ErrReadOnly):
		return readOnly(g)
	case errors.Is(err, room.ErrLinkRevoked):
		return httpapi.NotFound("no room with that id")
	}
	return storeError(err)
}

// readOnly returns the 403 of an edit g's role may not make.
func readOnly(g grant) error {
	if g.role == room.Editor {
		return httpapi.ReadOnly("the room is locked: its owner must unlock it first")
	}
	return httpapi.ReadOnly("this link is view only")
}

// patchRoom answers PATCH /rooms/{roomId}: {"language"} for editors, {"locked"} for the owner
// (both at once for an owner with the edit link).
func (s *Server) patchRoom(w http.ResponseWriter, r *http.Request) error {
	g, err := s.resolve(r.Context(), r.PathValue("roomId"))
	if err != nil {
		return storeError(err)
	}
	var req struct {
		Language *string `json:"language"`
		Locked   *bool   `json:"locked"`
	}
	if err := httpapi.DecodeJSON(w, r, s.opts.MaxBodyBytes, &req); err != nil {
		return err
	}
	if req.Language == nil && req.Locked == nil {
		return httpapi.Validation(`"language" or "locked" is required`)
	}
	setLanguage := ""
	if req.Language != nil {
		lang, ok := language.Lookup(*req.Language)
		if !ok {
			return unknownLanguage(*req.Language)
		}
		setLanguage = lang.ID
	}
	// An owner who unlocks and sets the language unlocks first; one who locks, locks last.
	unlock, lock := req.Locked != nil && !*req.Locked, req.Locked != nil && *req.Locked
	if req.Locked != nil {
		if err := checkOwner(r, g.room); err != nil {
			return err
		}
	}
	if unlock {
		if g, err = s.setLocked(r, g, false); err != nil {
			return err
		}
	}
	// The language lives in the document's meta map, so every client sees the change.
	resp, err := s.roomState(r.Context(), g, setLanguage)
	if err != nil {
		return err
	}
	if lock {
		if _, err = s.setLocked(r, g, true); err != nil {
			return err
		}
		resp.Locked = true
	}
	httpapi.WriteJSON(w, http.StatusOK, resp)
	return nil
}

// storeError maps store and room errors to API errors.
func storeError(err error) error {
	switch {
	case err == nil:
		return nil
	case isNotFound(err):
		return httpapi.NotFound("no room with that id")
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded), errors.Is(err, errRoomClosed):
		return httpapi.Unavailable("the room is not available right now", err)
	}
	return httpapi.Unavailable("the store is unavailable", fmt.Errorf("room: %w", err))
}

// autocomplete answers POST /autocomplete. Whatever the code and cursor, the
// answer is 200 with a suggestion (possibly empty) or a 4xx: the Completer
// never fails, and a request replaced by a newer one from the same client gets
// an empty suggestion.
func (s *Server) autocomplete(w http.ResponseWriter, r *http.Request) error {
	client := httpapi.ClientAddr(r, s.opts.TrustedProxies)
	if ok, retry := s.limiter.Allow(client, time.Now()); !ok {
		return httpapi.RateLimited("too many autocomplete requests; slow down", retry)
	}
	var req struct {
		Code           *string `json:"code"`
		CursorPosition *int    `json:"cursorPosition"`
		Language       *string `json:"language"`
	}
	// The body carries a whole file of code: it may be as big as a WebSocket message.
	if err := httpapi.DecodeJSON(w, r, s.opts.MaxMessageBytes, &req); err != nil {
		return err
	}
	if req.Code == nil || req.CursorPosition == nil {
		return httpapi.Validation(`"code" and "cursorPosition" are required`)
	}
	lang := language.Default
	if req.Language != nil {
		lang = *req.Language
	}
	if _, ok := language.Lookup(lang); !ok {
		return unknownLanguage(lang)
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.opts.AutocompleteTimeout)
	defer cancel()
	ctx, done := s.completing.Begin(ctx, client)
	defer done()
	httpapi.WriteJSON(w, http.StatusOK, s.opts.Completer.Complete(ctx, *req.Code, *req.CursorPosition, lang))
	return nil
}
