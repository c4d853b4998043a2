package server

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/pairpad/pairpad/language"
	"github.com/pairpad/pairpad/server/internal/httpapi"
	"github.com/pairpad/pairpad/server/internal/room"
	"github.com/pairpad/pairpad/store"
)

// History: the op log keeps every entry with its time and author, and the store keeps
// checkpoints of the document between them (store.Snapshot.Checkpoint) and a summary of each
// burst of editing (store.Version). Editors and the owner read it; viewers do not.

// historyPageMax bounds the versions one GET /rooms/{roomId}/history returns; historyPage is
// the default.
const (
	historyPage    = 50
	historyPageMax = 500
)

// versionResponse is one version of GET /rooms/{roomId}/history.
type versionResponse struct {
	Seq     uint64   `json:"seq"` // its last entry: GET /rooms/{roomId}/history/{seq} is its text
	First   uint64   `json:"firstSeq"`
	From    string   `json:"from"`
	To      string   `json:"to"`
	Authors []string `json:"authors"`
	Added   int      `json:"added"`
	Removed int      `json:"removed"`
	Restore uint64   `json:"restore,omitempty"` // the seq whose text it restored
}

func versionOf(v store.Version) versionResponse {
	return versionResponse{Seq: v.ToSeq, First: v.FromSeq, From: formatMillis(v.From), To: formatMillis(v.To),
		Authors: v.Authors, Added: v.Added, Removed: v.Removed, Restore: v.Restore}
}

// formatMillis formats t in RFC 3339 with milliseconds, in UTC.
func formatMillis(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z07:00") }

// historyReader resolves the request's room for someone who may read its history: an editor,
// or its owner (a viewer's link with the owner's token).
func (s *Server) historyReader(r *http.Request) (grant, error) {
	g, err := s.resolve(r.Context(), r.PathValue("roomId"))
	if err != nil {
		return grant{}, storeError(err)
	}
	if g.role != room.Editor && checkOwner(r, g.room) != nil {
		return grant{}, httpapi.Forbidden("a room's history is for its editors")
	}
	return g, nil
}

// getHistory answers GET /rooms/{roomId}/history?before=<seq>&limit=<n>: the versions newest
// first, the one being written first of all.
func (s *Server) getHistory(w http.ResponseWriter, r *http.Request) error {
	g, err := s.historyReader(r)
	if err != nil {
		return err
	}
	before, err := queryUint(r, "before", 0, 1<<63)
	if err != nil {
		return err
	}
	limit, err := queryUint(r, "limit", historyPage, historyPageMax)
	if err != nil {
		return err
	}
	if limit == 0 {
		return httpapi.Validation(`"limit" must be at least 1`)
	}
	var versions []versionResponse
	reply, err := s.rooms.query(r.Context(), g.room.ID, "", g.role, true)
	if err != nil {
		return storeError(err)
	}
	if open := reply.Open; open != nil && (before == 0 || open.ToSeq < before) {
		versions = append(versions, versionOf(storeVersion(*open)))
	}
	stored, err := s.opts.Store.Versions(r.Context(), g.room.ID, before, int(limit)-len(versions))
	if err != nil {
		return storeError(err)
	}
	for _, v := range stored {
		if len(versions) > 0 && v.FromSeq >= versions[0].First {
			continue // the open version, stored meanwhile
		}
		versions = append(versions, versionOf(v))
	}
	if versions == nil {
		versions = []versionResponse{}
	}
	httpapi.WriteJSON(w, http.StatusOK, versions)
	return nil
}

// queryUint reads the query parameter name, def if absent, at most max.
func queryUint(r *http.Request, name string, def, max uint64) (uint64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil || n > max {
		return 0, httpapi.Validation(fmt.Sprintf("%q must be a whole number from 0 to %d", name, max))
	}
	return n, nil
}

// textAt is the room's document right after entry seq.
type textAt struct {
	Seq      uint64 `json:"seq"`
	At       string `json:"at"`
	Code     string `json:"code"`
	Language string `json:"language"`
}

// getHistoryText answers GET /rooms/{roomId}/history/{seq}: the code and language right after
// entry seq.
func (s *Server) getHistoryText(w http.ResponseWriter, r *http.Request) error {
	g, err := s.historyReader(r)
	if err != nil {
		return err
	}
	seq, err := strconv.ParseUint(r.PathValue("seq"), 10, 64)
	if err != nil {
		return httpapi.Validation("the seq must be a whole number")
	}
	t, err := s.rebuild(r.Context(), g.room, seq)
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusOK, t)
	return nil
}

// entriesPage is how many entries rebuild reads at once.
const entriesPage = 4096

// rebuild returns room's code and language right after entry seq.
func (s *Server) rebuild(ctx context.Context, rm store.Room, seq uint64) (textAt, error) {
	doc, at, err := s.rebuildDoc(ctx, rm, seq)
	if err != nil {
		return textAt{}, err
	}
	t := textAt{Seq: seq, At: formatMillis(at), Code: doc.Code(), Language: language.Default}
	if lang, ok := language.Lookup(doc.Language()); ok {
		t.Language = lang.ID
	}
	return t, nil
}

// rebuildDoc returns room's document right after entry seq, and when that entry was accepted:
// the newest checkpoint at or before it, and the entries from there.
func (s *Server) rebuildDoc(ctx context.Context, rm store.Room, seq uint64) (*room.Doc, time.Time, error) {
	cp, err := s.opts.Store.Checkpoint(ctx, rm.ID, seq)
	if errors.Is(err, store.ErrTrimmed) {
		return nil, time.Time{}, httpapi.NotFound(fmt.Sprintf("entry %d is older than the room's history keeps", seq))
	}
	if err != nil {
		return nil, time.Time{}, storeError(err)
	}
	doc, err := room.Rebuild(cp.State)
	if err != nil {
		return nil, time.Time{}, httpapi.Internal(err)
	}
	at, last := rm.CreatedAt, cp.Seq
	for last < seq {
		entries, err := s.opts.Store.Entries(ctx, rm.ID, last, seq, entriesPage)
		if err != nil {
			return nil, time.Time{}, storeError(err)
		}
		if len(entries) == 0 {
			break
		}
		for _, e := range entries {
			if err := doc.Apply(e.Update); err != nil {
				return nil, time.Time{}, httpapi.Internal(fmt.Errorf("history: entry %d: %w", e.Seq, err))
			}
			at, last = e.Time, e.Seq
		}
	}
	if last != seq {
		return nil, time.Time{}, httpapi.NotFound(fmt.Sprintf("the room has no entry %d", seq))
	}
	return doc, at, nil
}

// restoreRoom answers POST /rooms/{roomId}/restore {"seq"}: the code becomes the text right
// after entry seq, as a new edit of the server's on top of the document, which others' typing
// merges with; the answer is the seq of that edit.
func (s *Server) restoreRoom(w http.ResponseWriter, r *http.Request) error {
	g, err := s.historyReader(r)
	if err != nil {
		return err
	}
	var req struct {
		Seq *uint64 `json:"seq"`
	}
	if err := httpapi.DecodeJSON(w, r, s.opts.MaxBodyBytes, &req); err != nil {
		return err
	}
	if req.Seq == nil {
		return httpapi.Validation(`"seq" is required`)
	}
	t, err := s.rebuild(r.Context(), g.room, *req.Seq)
	if err != nil {
		return err
	}
	seq, err := s.rooms.restore(r.Context(), g.room.ID, t.Code, *req.Seq, g.role)
	if errors.Is(err, room.ErrReadOnly) {
		return readOnly(g)
	}
	if err != nil {
		return storeError(err)
	}
	s.log.Info().Str("room", g.room.ID).Uint64("seq", *req.Seq).Uint64("restore_seq", seq).Msg("restored")
	httpapi.WriteJSON(w, http.StatusOK, map[string]uint64{"seq": seq})
	return nil
}

// storeVersion is a room's version as the store keeps it.
func storeVersion(v room.Version) store.Version {
	return store.Version{FromSeq: v.FromSeq, ToSeq: v.ToSeq, From: v.From.UTC().Truncate(time.Millisecond),
		To: v.To.UTC().Truncate(time.Millisecond), Authors: v.Authors, Added: v.Added, Removed: v.Removed, Restore: v.Restore}
}

// playbackPage bounds the entries one GET /rooms/{roomId}/history/{seq}/updates returns;
// playbackDefault is the default.
const (
	playbackDefault = 1000
	playbackPage    = 5000
)

// playbackEntry is one entry of the op log, for a client to replay with Yjs.
type playbackEntry struct {
	Seq    uint64 `json:"seq"`
	At     string `json:"at"`
	Author string `json:"author"`
	Update []byte `json:"update"` // a Yjs update v1, base64 in JSON
}

// getPlayback answers GET /rooms/{roomId}/history/{seq}/updates?limit=<n>: the document's state
// right after entry seq (a Yjs update) and the entries after it, for a client to replay
// keystroke by keystroke.
func (s *Server) getPlayback(w http.ResponseWriter, r *http.Request) error {
	g, err := s.historyReader(r)
	if err != nil {
		return err
	}
	seq, err := strconv.ParseUint(r.PathValue("seq"), 10, 64)
	if err != nil {
		return httpapi.Validation("the seq must be a whole number")
	}
	limit, err := queryUint(r, "limit", playbackDefault, playbackPage)
	if err != nil {
		return err
	}
	if limit == 0 {
		return httpapi.Validation(`"limit" must be at least 1`)
	}
	doc, _, err := s.rebuildDoc(r.Context(), g.room, seq)
	if err != nil {
		return err
	}
	state, err := doc.State()
	if err != nil {
		return httpapi.Internal(err)
	}
	entries, err := s.opts.Store.Entries(r.Context(), g.room.ID, seq, math.MaxInt64, int(limit))
	if err != nil {
		return storeError(err)
	}
	resp := struct {
		Seq     uint64          `json:"seq"`
		State   []byte          `json:"state"`
		Updates []playbackEntry `json:"updates"`
	}{Seq: seq, State: state, Updates: make([]playbackEntry, len(entries))}
	for i, e := range entries {
		resp.Updates[i] = playbackEntry{Seq: e.Seq, At: formatMillis(e.Time), Author: e.Author, Update: e.Update}
	}
	httpapi.WriteJSON(w, http.StatusOK, resp)
	return nil
}
