package server

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
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

// historyReader resolves the request's room for someone who may read its history and restore
// it: an editor, or its owner (with any link and the owner's token), who restores as an editor.
func (s *Server) historyReader(r *http.Request) (grant, error) {
	g, err := s.resolve(r.Context(), r.PathValue("roomId"))
	if err != nil {
		return grant{}, storeError(err)
	}
	if g.role != room.Editor {
		if checkOwner(r, g.room) != nil {
			return grant{}, httpapi.Forbidden("a room's history is for its editors")
		}
		g.role = room.Editor
	}
	return g, nil
}

// historyAt is historyReader for a route that names an entry: it also returns the entry's seq.
func (s *Server) historyAt(r *http.Request) (grant, uint64, error) {
	g, err := s.historyReader(r)
	if err != nil {
		return grant{}, 0, err
	}
	seq, err := strconv.ParseUint(r.PathValue("seq"), 10, 64)
	if err != nil {
		return grant{}, 0, httpapi.Validation("the seq must be a whole number")
	}
	return g, seq, nil
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
	reply, err := s.rooms.query(r.Context(), g, "", true)
	if err != nil {
		return roomError(g, err)
	}
	if open := reply.Open; open != nil && (before == 0 || open.ToSeq < before) {
		versions = append(versions, versionOf(storeVersion(*open)))
	}
	var stored []store.Version
	if left := int(limit) - len(versions); left > 0 {
		if stored, err = s.opts.Store.Versions(r.Context(), g.room.ID, before, left); err != nil {
			return storeError(err)
		}
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
	g, seq, err := s.historyAt(r)
	if err != nil {
		return err
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

// rebuildDoc returns room's document right after entry seq, and when that entry was accepted.
func (s *Server) rebuildDoc(ctx context.Context, rm store.Room, seq uint64) (*room.Doc, time.Time, error) {
	doc, at, err := docAt(ctx, s.opts.Store, rm.ID, seq)
	switch {
	case errors.Is(err, store.ErrTrimmed):
		return nil, time.Time{}, httpapi.NotFound(fmt.Sprintf("entry %d is older than the room's history keeps", seq))
	case errors.Is(err, errNoEntry):
		return nil, time.Time{}, httpapi.NotFound(fmt.Sprintf("the room has no entry %d", seq))
	case errors.Is(err, errBadEntry):
		return nil, time.Time{}, httpapi.Internal(err)
	case err != nil:
		return nil, time.Time{}, storeError(err)
	}
	if at.IsZero() && seq > 0 { // a checkpoint's: its entry says when
		if e, err := s.opts.Store.Entries(ctx, rm.ID, seq-1, seq, 1); err == nil && len(e) == 1 {
			at = e[0].Time
		}
	}
	if at.IsZero() {
		at = rm.CreatedAt
	}
	return doc, at, nil
}

var (
	errNoEntry  = errors.New("history: no such entry")
	errBadEntry = errors.New("history: an entry does not apply")
)

// docAt returns room id's document right after entry seq, from the newest checkpoint at or
// before it and the entries since, and when that entry was accepted (zero for a checkpoint's).
func docAt(ctx context.Context, st store.History, id string, seq uint64) (*room.Doc, time.Time, error) {
	cp, err := st.Checkpoint(ctx, id, seq)
	if err != nil {
		return nil, time.Time{}, err
	}
	doc, err := room.Rebuild(cp.State)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("%w: checkpoint %d: %w", errBadEntry, cp.Seq, err)
	}
	var at time.Time
	last := cp.Seq
	for last < seq {
		entries, err := st.Entries(ctx, id, last, seq, entriesPage)
		if err != nil {
			return nil, time.Time{}, err
		}
		if len(entries) == 0 {
			break
		}
		for _, e := range entries {
			if err := doc.Apply(e.Update); err != nil {
				return nil, time.Time{}, fmt.Errorf("%w: entry %d: %w", errBadEntry, e.Seq, err)
			}
			at, last = e.Time, e.Seq
		}
	}
	if last != seq {
		return nil, time.Time{}, errNoEntry
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
	seq, err := s.rooms.restore(r.Context(), g, t.Code, *req.Seq)
	switch {
	case errors.Is(err, room.ErrRoomFull):
		return &httpapi.Error{Status: http.StatusRequestEntityTooLarge, Code: httpapi.CodePayloadTooLarge,
			Detail: "the restored code would pass the room's size limit (MAX_ROOM_BYTES)"}
	case errors.Is(err, room.ErrTooManyRestores):
		return httpapi.RateLimited("the room takes a restore a second, in bursts of five", time.Second)
	case err != nil:
		return roomError(g, err)
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
	playbackDefault = 500
	playbackPage    = 1000
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
	g, seq, err := s.historyAt(r)
	if err != nil {
		return err
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

// recoverVersion stores the version a crash left unsaved: the entries after the newest version
// stored, up to lastSeq (a room stores each version as it ends, and loses the one it was
// writing). A failure is logged: only the timeline lacks it.
func (r *liveRoom) recoverVersion(ctx context.Context, lastSeq uint64) {
	st := r.m.store
	stored, err := st.Versions(ctx, r.id, 0, 1)
	if err != nil || len(stored) > 0 && stored[0].ToSeq >= lastSeq {
		return
	}
	var after uint64
	if len(stored) > 0 {
		after = stored[0].ToSeq
	}
	doc, _, err := docAt(ctx, st, r.id, after)
	if err != nil {
		return // trimmed, or a room from before history
	}
	entries, err := st.Entries(ctx, r.id, after, lastSeq, entriesPage)
	if err != nil || len(entries) == 0 {
		return
	}
	start := doc.CodeVersion()
	v := store.Version{FromSeq: entries[0].Seq, From: entries[0].Time}
	for _, e := range entries {
		if err := doc.Apply(e.Update); err != nil {
			return
		}
		if len(v.Authors) < store.MaxVersionAuthors && !slices.Contains(v.Authors, e.Author) {
			v.Authors = append(v.Authors, e.Author)
		}
		v.ToSeq, v.To = e.Seq, e.Time
	}
	v.Added, v.Removed = start.Changes(doc.CodeVersion())
	if err := st.PutVersion(ctx, r.id, v); err != nil {
		r.log.Warn().Err(err).Msg("store the version a crash left unsaved")
		return
	}
	r.log.Info().Uint64("from_seq", v.FromSeq).Uint64("to_seq", v.ToSeq).Msg("stored the version a crash left unsaved")
}
