package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pairpad/pairpad/language"
	"github.com/pairpad/pairpad/sandbox"
	"github.com/pairpad/pairpad/server/internal/httpapi"
	"github.com/pairpad/pairpad/server/internal/room"
	"github.com/pairpad/pairpad/store"
)

// runRoom answers POST /rooms/{roomId}/run {"stdin", "name"} (both optional; name is who
// started it, as the room's watchers see it): it runs the room's code in its language and
// answers with the finished run. Editors only.
func (s *Server) runRoom(w http.ResponseWriter, r *http.Request) error {
	rn := s.runner
	if rn.opts.Sandbox == nil {
		return httpapi.Unavailable("running code is off on this server: "+rn.opts.Off, nil)
	}
	g, err := s.resolve(r.Context(), r.PathValue("roomId"))
	if err != nil {
		return storeError(err)
	}
	if g.role != room.Editor || g.room.Access.Locked {
		return readOnly(g)
	}
	var req struct {
		Stdin string `json:"stdin"`
		Name  string `json:"name"`
	}
	if err := httpapi.DecodeOptionalJSON(w, r, s.opts.MaxBodyBytes, &req); err != nil {
		return err
	}
	if len(req.Name) > maxStarterName {
		return httpapi.Validation(fmt.Sprintf("name: at most %d bytes", maxStarterName))
	}
	now := time.Now()
	if ok, retry := rn.perAddr.Allow(httpapi.ClientAddr(r, s.opts.TrustedProxies), now); !ok {
		return httpapi.RateLimited("too many runs from this address; slow down", retry)
	}
	if ok, retry := rn.perRoom.Allow(g.room.ID, now); !ok {
		return httpapi.RateLimited("too many runs in this room; slow down", retry)
	}
	// The room stays live here while it runs: its watchers here are the ones to tell.
	live, err := s.rooms.acquire(r.Context(), g.room.ID)
	if err != nil {
		return storeError(err)
	}
	defer s.rooms.release(live)
	reply, err := s.rooms.query(r.Context(), g, "", false)
	if err != nil {
		return roomError(g, err)
	}
	lang, _ := language.Lookup(reply.Language)
	if !rn.runnable(lang.ID) {
		return notRunnable(lang, rn.opts.Sandbox.Languages())
	}
	release, err := rn.slot(r.Context())
	if errors.Is(err, errRunQueueFull) {
		return httpapi.Unavailable("too many runs are waiting on this server; try again shortly", nil)
	}
	if err != nil {
		return storeError(err)
	}
	defer release()
	res, err := s.execute(r.Context(), g.room.ID, req.Name, sandbox.Request{Language: lang.ID, Code: reply.Code, Stdin: req.Stdin})
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusOK, res)
	return nil
}

// notRunnable is the 422 of a room whose language this server cannot run.
func notRunnable(l language.Language, runnable []string) error {
	return &httpapi.Error{
		Status: http.StatusUnprocessableEntity,
		Code:   httpapi.CodeNotRunnable,
		Detail: fmt.Sprintf("this server cannot run %s code; it runs: %s", l.Name, strings.Join(runnable, ", ")),
	}
}

// execute runs req as a run of room started by name, tells the room's watchers as it goes,
// and stores the finished run. The run goes on if the request that started it goes away: the
// others in the room are watching it; its stop route, the sandbox's limits and Shutdown end it.
func (s *Server) execute(ctx context.Context, room, name string, req sandbox.Request) (runResponse, error) {
	rn := s.runner
	id, err := newSecret(9)
	if err != nil {
		return runResponse{}, httpapi.Internal(err)
	}
	start := time.Now()
	info := runInfo{ID: id, Language: req.Language, StartedBy: name, StartedAt: formatRunTime(start)}
	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	defer stop()
	if err := rn.begin(room, info, stop); err != nil {
		return runResponse{}, httpapi.Conflict("a run of this room is in progress: wait for it, or stop it")
	}
	s.metrics.runsRunning.Inc()
	defer s.metrics.runsRunning.Dec()
	var outputs [2]utf8Chunker
	res, err := rn.opts.Sandbox.Run(runCtx, req, func(st sandbox.Stream, b []byte) {
		if text := outputs[st].complete(b); text != "" {
			rn.output(room, runOutput{ID: id, Stream: streamName(st), Data: text})
		}
	})
	stopped := runCtx.Err() != nil
	out := runResponse{runInfo: info, ExitCode: res.ExitCode, Stdout: res.Stdout, Stderr: res.Stderr,
		DurationMs: time.Since(start).Milliseconds(), TimedOut: res.TimedOut, Truncated: res.Truncated}
	if err != nil {
		out.ExitCode, out.Stderr = -1, "the sandbox failed to run the code"
		s.metrics.runs.WithLabelValues(runFailed).Inc()
		rn.finish(room, out)
		return runResponse{}, httpapi.Internal(fmt.Errorf("run: %w", err))
	}
	s.metrics.runs.WithLabelValues(runOutcome(out, stopped)).Inc()
	rn.finish(room, out)
	s.keepRun(ctx, room, out, start, res.Duration)
	return out, nil
}

// keepRun stores a finished run among the room's recent ones; a store that fails loses it
// (logged), not the answer.
func (s *Server) keepRun(ctx context.Context, room string, out runResponse, start time.Time, d time.Duration) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	run := store.Run{ID: out.ID, Language: out.Language, StartedBy: out.StartedBy, StartedAt: start.UTC(),
		Duration: d, ExitCode: out.ExitCode, Stdout: out.Stdout, Stderr: out.Stderr, TimedOut: out.TimedOut, Truncated: out.Truncated}
	if err := s.opts.Store.SaveRun(ctx, room, run, s.runner.opts.Keep); err != nil {
		s.metrics.storeErrors.WithLabelValues(opRun).Inc()
		s.log.Warn().Err(err).Str("room", room).Msg("could not keep a run")
	}
}

// Outcomes of runs, the label of pairpad_runs_total.
const (
	runExited   = "exited"    // the program ended by itself, whatever its exit code
	runTimedOut = "timed_out" // a time limit stopped it
	runStopped  = "stopped"   // someone stopped it
	runFailed   = "failed"    // the sandbox failed
)

func runOutcome(out runResponse, stopped bool) string {
	switch {
	case stopped:
		return runStopped
	case out.TimedOut:
		return runTimedOut
	}
	return runExited
}

func streamName(st sandbox.Stream) string {
	if st == sandbox.Stderr {
		return "stderr"
	}
	return "stdout"
}

// utf8Chunker holds back the incomplete UTF-8 sequence a chunk of output may end with, until
// the next chunk completes it: each chunk is sent as a JSON string, which cannot carry half a
// character.
type utf8Chunker struct{ pending []byte }

func (c *utf8Chunker) complete(b []byte) string {
	buf := append(c.pending, b...)
	cut := len(buf)
	// A sequence is at most 4 bytes: look back at most 3 for the start of an incomplete one.
	for i := len(buf) - 1; i >= 0 && i >= len(buf)-3; i-- {
		if utf8.RuneStart(buf[i]) {
			if !utf8.FullRune(buf[i:]) {
				cut = i
			}
			break
		}
	}
	c.pending = append(c.pending[:0:0], buf[cut:]...)
	return string(buf[:cut])
}

// stopRun answers POST /rooms/{roomId}/runs/{runId}/stop: editors stop a run in progress.
func (s *Server) stopRun(w http.ResponseWriter, r *http.Request) error {
	g, err := s.resolve(r.Context(), r.PathValue("roomId"))
	if err != nil {
		return storeError(err)
	}
	if g.role != room.Editor || g.room.Access.Locked {
		return readOnly(g)
	}
	if !s.runner.stopRun(g.room.ID, r.PathValue("runId")) {
		return httpapi.NotFound("no such run in progress in this room")
	}
	httpapi.WriteJSON(w, http.StatusAccepted, map[string]bool{"stopping": true})
	return nil
}

// listRuns answers GET /rooms/{roomId}/runs: the room's finished runs, newest first, and the
// run in progress with its output so far. Either link.
func (s *Server) listRuns(w http.ResponseWriter, r *http.Request) error {
	g, err := s.resolve(r.Context(), r.PathValue("roomId"))
	if err != nil {
		return storeError(err)
	}
	finished, err := s.finishedRuns(r.Context(), g.room.ID)
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusOK, s.runner.state(g.room.ID, finished))
	return nil
}

func (s *Server) finishedRuns(ctx context.Context, id string) ([]runResponse, error) {
	stored, err := s.opts.Store.Runs(ctx, id, s.runner.opts.Keep)
	if err != nil {
		return nil, storeError(err)
	}
	out := make([]runResponse, len(stored))
	for i, r := range stored {
		out[i] = fromStore(r)
	}
	return out, nil
}

// sseKeepAlive is how often an idle event stream gets a comment, so that proxies keep it.
const sseKeepAlive = 25 * time.Second

// sseWriteTimeout bounds one write to an event stream: a watcher that does not read is dropped.
const sseWriteTimeout = 10 * time.Second

// watchRuns answers GET /rooms/{roomId}/runs/events with server-sent events (either link): a
// runs event first, the state listRuns answers, then start, output and finish events of each
// run as it happens. It keeps the room live at this node while it lasts, and ends when the
// room moves to another node: EventSource then reconnects, to the room's new owner. A
// watcher counts against MaxConnectionsPerAddress, as a room socket does.
func (s *Server) watchRuns(w http.ResponseWriter, r *http.Request) error {
	g, err := s.resolve(r.Context(), r.PathValue("roomId"))
	if err != nil {
		return storeError(err)
	}
	client := httpapi.ClientAddr(r, s.opts.TrustedProxies)
	if !s.addrConns.take(client) {
		return httpapi.RateLimited("too many open connections from this address", 0)
	}
	defer s.addrConns.release(client)
	live, err := s.rooms.acquire(r.Context(), g.room.ID)
	if err != nil {
		return storeError(err)
	}
	defer s.rooms.release(live)
	finished, err := s.finishedRuns(r.Context(), g.room.ID)
	if err != nil {
		return err
	}
	events, unwatch := s.runner.watch(g.room.ID, finished)
	defer unwatch()
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	send := func(chunk string) bool {
		_ = rc.SetWriteDeadline(time.Now().Add(sseWriteTimeout))
		if _, err := fmt.Fprint(w, chunk); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	keepAlive := time.NewTicker(sseKeepAlive)
	defer keepAlive.Stop()
	for {
		var chunk string
		select {
		case e, ok := <-events:
			if !ok {
				return nil
			}
			data, err := json.Marshal(e.data)
			if err != nil {
				return nil
			}
			chunk = "event: " + e.name + "\ndata: " + string(data) + "\n\n"
		case <-keepAlive.C:
			chunk = ": keep-alive\n\n"
		case <-live.exited.Done():
			return nil
		case <-s.stopping.Done():
			return nil
		case <-r.Context().Done():
			return nil
		}
		if !send(chunk) {
			return nil
		}
	}
}
