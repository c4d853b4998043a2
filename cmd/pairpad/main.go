// Command pairpad runs the pairpad collaboration server.
//
//	pairpad [flags] [serve]   serve the API, the WebSockets and the web app (the default)
//	pairpad [flags] migrate   apply the Postgres schema (DATABASE_URL) and exit
//	pairpad load [flags]      drive a y-websocket server with typing clients and report latency (pairpad load -h)
//	pairpad proxy [flags]     send TCP connections to a cluster's nodes in turn (pairpad proxy -h)
//
// Configuration comes from flags and the environment: see LoadConfig.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/pairpad/pairpad/cmd/pairpad/internal/load"
	"github.com/pairpad/pairpad/cmd/pairpad/internal/proxy"
	"github.com/pairpad/pairpad/completion"
	"github.com/pairpad/pairpad/sandbox"
	"github.com/pairpad/pairpad/server"
	"github.com/pairpad/pairpad/store"
	"github.com/pairpad/pairpad/store/embedded"
	"github.com/pairpad/pairpad/store/postgres"
	"github.com/pairpad/pairpad/webclient"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "pairpad:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	cfg, err := LoadConfig(args, os.Getenv)
	if err != nil {
		return err
	}
	log := NewLogger(cfg, os.Stderr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	command := "serve"
	if len(cfg.Args) > 0 {
		command = cfg.Args[0]
	}
	switch command {
	case "serve":
		return serve(ctx, cfg, log)
	case "migrate":
		return migrate(ctx, cfg, log)
	case "load":
		return load.Main(ctx, cfg.Args[1:], os.Stdout, os.Stderr)
	case "proxy":
		return proxy.Main(ctx, cfg.Args[1:], os.Stdout, os.Stderr)
	}
	return fmt.Errorf("unknown command %q (want serve, migrate, load or proxy)", command)
}

// openStore opens Postgres when DATABASE_URL is set, the embedded store under DATA_DIR otherwise.
func openStore(ctx context.Context, cfg Config, log zerolog.Logger) (store.Store, error) {
	if cfg.DatabaseURL != "" {
		st, err := postgres.Open(ctx, cfg.DatabaseURL)
		if err != nil {
			return nil, fmt.Errorf("open Postgres (DATABASE_URL): %w", err)
		}
		log.Info().Str("store", "postgres").Msg("store open")
		return st, nil
	}
	st, err := embedded.Open(cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("open the embedded store in DATA_DIR %q: %w", cfg.DataDir, err)
	}
	log.Info().Str("store", "embedded").Str("dir", cfg.DataDir).Msg("store open")
	return st, nil
}

func migrate(ctx context.Context, cfg Config, log zerolog.Logger) error {
	if cfg.DatabaseURL == "" {
		return errors.New("migrate needs DATABASE_URL: the embedded store needs no migration")
	}
	st, err := openStore(ctx, cfg, log) // Open applies the migrations
	if err != nil {
		return err
	}
	log.Info().Msg("schema up to date")
	return st.Close()
}

// newCompleter returns the autocomplete engine AUTOCOMPLETE_PROVIDER names:
// the built-in one, or a model server with the built-in one as fallback.
func newCompleter(cfg Config, log zerolog.Logger) completion.Completer {
	go completion.LoadModels() // so that no request waits for a model to be decoded
	var m completion.Model
	switch cfg.AutocompleteProvider {
	case "openai":
		m = &completion.OpenAI{URL: cfg.AutocompleteURL, Model: cfg.AutocompleteModel, APIKey: cfg.AutocompleteAPIKey}
	case "ollama":
		m = &completion.Ollama{URL: cfg.AutocompleteURL, Model: cfg.AutocompleteModel}
	case "llamacpp":
		m = &completion.LlamaCpp{URL: cfg.AutocompleteURL}
	default:
		return completion.Builtin{}
	}
	log.Info().Str("provider", cfg.AutocompleteProvider).Str("model", cfg.AutocompleteModel).Msg("autocomplete model configured")
	remote := completion.NewRemote(m, completion.RemoteOptions{Name: cfg.AutocompleteProvider + ":" + cfg.AutocompleteModel})
	return completion.WithFallback(remote, completion.Builtin{}, cfg.AutocompleteTimeout,
		log.With().Str("component", "autocomplete").Logger())
}

// idleTimeout is how long a keep-alive connection may wait for its next request.
const idleTimeout = 2 * time.Minute

// serveDebug serves debugHandler on addr until the returned server is closed; a failure to
// serve is sent to errc.
func serveDebug(addr string, errc chan<- error) (*http.Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on DEBUG_ADDR %s: %w", addr, err)
	}
	srv := &http.Server{Handler: debugHandler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("DEBUG_ADDR %s: %w", addr, err)
		}
	}()
	return srv, nil
}

// debugHandler serves Go's profiles (net/http/pprof) under /debug/pprof/.
func debugHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// noLimitIfZero turns a count of the configuration (0: no limit) into the server's (negative:
// no limit).
func noLimitIfZero(n int) int {
	if n == 0 {
		return -1
	}
	return n
}

// rateLimit turns a rate of the configuration (0: no limit) into a server's per-client limit
// with bursts of burst times the rate.
func rateLimit(rate, burst float64) server.RateLimit {
	if rate == 0 {
		return server.RateLimit{Rate: -1} // no limit
	}
	return server.RateLimit{Rate: rate, Burst: max(1, int(burst*rate))}
}

// runOptions sets up running rooms' code: in the sandbox, unless RUN_ENABLED is false or the
// sandbox does not work on this machine, which the log says. Code never runs outside it.
func runOptions(cfg Config, log zerolog.Logger) server.RunOptions {
	opts := server.RunOptions{Concurrency: cfg.RunConcurrency,
		AddressRate: rateLimit(cfg.RunRate, 10), RoomRate: rateLimit(cfg.RunRoomRate, 10)}
	if !cfg.RunEnabled {
		opts.Off = "RUN_ENABLED is false"
		return opts
	}
	sb, err := sandbox.New(sandbox.Options{Limits: cfg.RunLimits})
	if err != nil {
		opts.Off = err.Error()
		log.Error().Err(err).Msg("running code is off: the sandbox does not work on this machine")
		return opts
	}
	opts.Sandbox = sb
	log.Info().Strs("languages", sb.Languages()).Msg("running code in the sandbox")
	return opts
}

// nodeID is this node's identity in rooms' leases: its ADVERTISE_URL, or its host name and
// PORT, so that a node restarted after a crash takes its rooms back at once.
func nodeID(cfg Config) string {
	if cfg.AdvertiseURL != "" {
		return cfg.AdvertiseURL
	}
	host, _ := os.Hostname()
	return fmt.Sprintf("%s:%d", host, cfg.Port)
}

func serve(ctx context.Context, cfg Config, log zerolog.Logger) error {
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	srv, err := server.New(server.Options{
		Store:           st,
		Log:             log,
		AllowedOrigins:  cfg.AllowedOrigins,
		AllowedHosts:    cfg.AllowedHosts,
		MaxMessageBytes: cfg.MaxMessageBytes,
		RequestTimeout:  cfg.RequestTimeout,
		Completer:       newCompleter(cfg, log),
		// The model gets AUTOCOMPLETE_TIMEOUT; the fallback needs a moment more.
		AutocompleteTimeout:      cfg.AutocompleteTimeout + time.Second,
		AutocompleteRate:         rateLimit(cfg.AutocompleteRate, 2),
		RoomCreationRate:         rateLimit(cfg.RoomCreateRate, 10),
		MaxConnectionsPerAddress: noLimitIfZero(cfg.MaxConnectionsPerAddress),
		MaxRooms:                 cfg.MaxRooms,
		RoomTTL:                  cfg.RoomTTL,
		TrustedProxies:           cfg.TrustedProxies,
		App:                      webclient.Handler(),
		Rooms: server.RoomOptions{MaxRoomBytes: int(cfg.MaxRoomBytes),
			MaxPendingStructs: cfg.MaxPendingStructs, MaxPendingDeleteRanges: cfg.MaxPendingDeleteRanges,
			Linger: cfg.RoomLinger, MaxHistoryBytes: cfg.MaxHistoryBytes},
		Cluster: server.ClusterOptions{Node: nodeID(cfg), AdvertiseURL: cfg.AdvertiseURL, Secret: cfg.ClusterSecret,
			LeaseDuration: cfg.LeaseDuration},
		Run: runOptions(cfg, log),
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", net.JoinHostPort("", strconv.Itoa(cfg.Port)))
	if err != nil {
		return fmt.Errorf("listen on PORT %d: %w", cfg.Port, err)
	}
	httpServer := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: idleTimeout}
	httpServer.RegisterOnShutdown(srv.BeginShutdown) // Shutdown waits for streams and sockets otherwise
	errc := make(chan error, 2)
	go func() { errc <- httpServer.Serve(ln) }()
	log.Info().Str("addr", ln.Addr().String()).Msg("listening")
	if cfg.DebugAddr != "" {
		debugServer, err := serveDebug(cfg.DebugAddr, errc)
		if err != nil {
			return err
		}
		defer debugServer.Close()
		log.Info().Str("addr", cfg.DebugAddr).Msg("serving profiles under /debug/pprof/")
	}

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info().Msg("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// Stop accepting, close the rooms' connections as going away and flush every room.
	httpErr := httpServer.Shutdown(shutdownCtx)
	roomsErr := srv.Shutdown(shutdownCtx)
	if err := errors.Join(httpErr, roomsErr); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info().Msg("stopped")
	return nil
}
