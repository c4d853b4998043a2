package server

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strings"
	"time"

	"github.com/pairpad/pairpad/server/internal/httpapi"
	"github.com/pairpad/pairpad/server/internal/room"
	"github.com/pairpad/pairpad/store"
)

// Access is by capability, without accounts. A room has three secrets, each of 128 random bits
// or more: its edit link (the room id of the seed's API, which edits), its view link (which
// reads), and its owner's token, returned once by POST /rooms and kept by the store only as a
// hash. Every route that names a room takes either link; the role it gives goes to the room's
// core, which checks it in one place (room.Room.mayEdit). The owner, with the token as a bearer
// credential, may list and replace the links, lock the room (everyone is a viewer) and
// delete it.

// grant is what a request or a socket may do in a room: the role its link gives.
type grant struct {
	room store.Room
	link string // the id it named
	role room.Role
}

// resolvedKey keys, in a request's context, the grant its room link resolved to (atOwner
// resolves it before the handler does).
type resolvedKey struct{}

// resolve returns the grant of link: an editor's for the room's edit link, a viewer's for
// its view link; store.ErrNotFound for any other id.
func (s *Server) resolve(ctx context.Context, link string) (grant, error) {
	if g, ok := ctx.Value(resolvedKey{}).(grant); ok && g.link == link {
		return g, nil
	}
	rm, err := s.opts.Store.RoomByLink(ctx, link)
	if err != nil {
		return grant{}, err
	}
	g := grant{room: rm, link: link, role: room.Viewer}
	if link == rm.Access.EditID {
		g.role = room.Editor
	}
	return g, nil
}

// newSecret returns a random secret of n bytes, base64url without padding.
func newSecret(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// ownerTokenBytes is the length of an owner's token: 256 random bits.
const ownerTokenBytes = 32

// hashToken returns what the store keeps of an owner's token.
func hashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// newAccess returns the access of a new room whose id is its edit link, and its owner's token.
func newAccess(id string) (store.Access, string, error) {
	view, err := newRoomID()
	if err != nil {
		return store.Access{}, "", err
	}
	token, err := newSecret(ownerTokenBytes)
	if err != nil {
		return store.Access{}, "", err
	}
	return store.Access{EditID: id, ViewID: view, OwnerHash: hashToken(token)}, token, nil
}

// checkOwner returns nil if the request carries the room's owner token as a bearer credential:
// a 401 if it carries none, a 403 if another (or the room has no owner).
func checkOwner(r *http.Request, rm store.Room) error {
	auth := r.Header.Get("Authorization")
	token, ok := strings.CutPrefix(auth, "Bearer ")
	if auth == "" || !ok || token == "" {
		return httpapi.Unauthorized("this needs the room's owner token: Authorization: Bearer <ownerToken>")
	}
	if rm.Access.OwnerHash == nil || subtle.ConstantTimeCompare(hashToken(token), rm.Access.OwnerHash) != 1 {
		return httpapi.Forbidden("that is not this room's owner token")
	}
	return nil
}

// owned resolves the request's room and checks that it comes from the room's owner.
func (s *Server) owned(r *http.Request) (grant, error) {
	g, err := s.resolve(r.Context(), r.PathValue("roomId"))
	if err != nil {
		return grant{}, storeError(err)
	}
	return g, checkOwner(r, g.room)
}

// linksResponse is what the owner sees of a room's access.
type linksResponse struct {
	EditID string `json:"editId"`
	ViewID string `json:"viewId,omitempty"`
	Locked bool   `json:"locked"`
}

func links(a store.Access) linksResponse {
	return linksResponse{EditID: a.EditID, ViewID: a.ViewID, Locked: a.Locked}
}

// getLinks answers GET /rooms/{roomId}/links, for the owner.
func (s *Server) getLinks(w http.ResponseWriter, r *http.Request) error {
	g, err := s.owned(r)
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusOK, links(g.room.Access))
	return nil
}

// rotateLink answers POST /rooms/{roomId}/links/rotate {"role"}, for the owner: the link of
// that role is replaced by a new one, and the old one stops working at once (its sockets are
// closed with 4410).
func (s *Server) rotateLink(w http.ResponseWriter, r *http.Request) error {
	g, err := s.owned(r)
	if err != nil {
		return err
	}
	var req struct {
		Role string `json:"role"`
	}
	if err := httpapi.DecodeJSON(w, r, s.opts.MaxBodyBytes, &req); err != nil {
		return err
	}
	if req.Role != "editor" && req.Role != "viewer" {
		return httpapi.Validation(`"role" must be "editor" or "viewer"`)
	}
	id, err := newRoomID()
	if err != nil {
		return httpapi.Internal(err)
	}
	a, err := s.rooms.changeAccess(r.Context(), g.room.ID, func(a *store.Access) {
		if req.Role == "editor" {
			a.EditID = id
		} else {
			a.ViewID = id
		}
	})
	if err != nil {
		return storeError(err)
	}
	s.log.Info().Str("room", g.room.ID).Str("role", req.Role).Msg("link rotated")
	httpapi.WriteJSON(w, http.StatusOK, links(a))
	return nil
}

// setLocked locks or unlocks a room for its owner (PATCH /rooms/{roomId} {"locked"}).
func (s *Server) setLocked(r *http.Request, g grant, locked bool) (grant, error) {
	if err := checkOwner(r, g.room); err != nil {
		return g, err
	}
	a, err := s.rooms.changeAccess(r.Context(), g.room.ID, func(a *store.Access) { a.Locked = locked })
	if err != nil {
		return g, storeError(err)
	}
	g.room.Access = a
	s.log.Info().Str("room", g.room.ID).Bool("locked", locked).Msg("room locked")
	return g, nil
}

// deleteRoom answers DELETE /rooms/{roomId}, for the owner: its sockets are closed with 4404,
// and its document, history and links are gone.
func (s *Server) deleteRoom(w http.ResponseWriter, r *http.Request) error {
	g, err := s.owned(r)
	if err != nil {
		return err
	}
	if err := s.rooms.deleteLive(r.Context(), g.room.ID); err != nil {
		return storeError(err)
	}
	s.log.Info().Str("room", g.room.ID).Msg("room deleted by its owner")
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// roomLinks returns the links that open a room, for its core (room.Stored.Links).
func roomLinks(a store.Access) []string {
	if a.ViewID == "" {
		return []string{a.EditID}
	}
	return []string{a.EditID, a.ViewID}
}

// changeAccess changes room id's access with change, stores it and hands it to the room if it is
// live: sockets whose link was replaced are closed, and a lock takes effect at once. A room that
// loads meanwhile reads the new access from the store. Changes are made one at a time, each on
// the access as stored, so that two (a lock and a rotation) never undo each other.
func (m *rooms) changeAccess(ctx context.Context, id string, change func(a *store.Access)) (store.Access, error) {
	ctx, cancel := context.WithTimeout(ctx, m.opts.StoreTimeout)
	defer cancel()
	m.accessMu.Lock()
	defer m.accessMu.Unlock()
	rm, err := m.store.Room(ctx, id)
	if err != nil {
		return store.Access{}, err
	}
	a := rm.Access
	change(&a)
	if err := m.store.SetAccess(ctx, id, a); err != nil {
		return store.Access{}, err
	}
	m.mu.Lock()
	r := m.live[id]
	m.mu.Unlock()
	if r == nil {
		return a, nil
	}
	err = r.post(ctx, envelope{input: room.Access{Links: roomLinks(a), Locked: a.Locked, At: time.Now()}})
	if err == errRoomClosed {
		return a, nil // it stopped: the next instance loads the new access
	}
	return a, err
}
