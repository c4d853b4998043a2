package storetest

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pairpad/pairpad/store"
)

// ownerHash returns the OwnerHash of the owner whose token is token.
func ownerHash(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// CreateRoom keeps a room's Access, and RoomByLink finds the room by its edit and its view link,
// by nothing else: not by its ID once that is not a link, nor by a part of a link.
func testAccess(t *testing.T, s store.Store) {
	rooms := []store.Room{
		{ID: "default", CreatedAt: created},
		{ID: "full", CreatedAt: created, Access: store.Access{EditID: "full-edit", ViewID: "full-view", OwnerHash: ownerHash("o"), Locked: true}},
		{ID: "same", CreatedAt: created, Access: store.Access{EditID: "same"}},
		{ID: "view", CreatedAt: created, Access: store.Access{EditID: "view-edit", ViewID: "view"}},
		{ID: "limits", CreatedAt: created, Access: store.Access{
			EditID: strings.Repeat("e", store.MaxLinkLen),
			ViewID: strings.Repeat("é", store.MaxLinkLen/2),
		}},
		{ID: "any text", CreatedAt: created, Access: store.Access{EditID: "a/b c?d=e&✓", ViewID: "ünï\t'\""}},
	}
	for _, r := range rooms {
		mustCreate(t, s, r, nil)
	}
	for _, r := range rooms {
		checkRoom(t, s, r)
	}
	for _, link := range []string{"full", "full-", "full-edit ", "FULL-EDIT", "ful", "", "\xff", "a\x00b", strings.Repeat("e", store.MaxLinkLen+1)} {
		checkNoLink(t, s, link)
	}

	// The owner hash is the caller's: the one passed in, and the one returned.
	owner := ownerHash("p")
	mustCreate(t, s, store.Room{ID: "owned", CreatedAt: created, Access: store.Access{EditID: "owned", OwnerHash: owner}}, nil)
	owner[0] ^= 0xff
	got, err := s.RoomByLink(t.Context(), "owned")
	if err != nil {
		t.Fatal(err)
	}
	got.Access.OwnerHash[0] ^= 0xff
	checkRoom(t, s, store.Room{ID: "owned", CreatedAt: created, Access: store.Access{EditID: "owned", OwnerHash: ownerHash("p")}})
}

// SetAccess replaces a room's Access whole: a link it replaces stops finding the room at once,
// the new one finds it, and the room's ID, log, snapshot and times stay.
func testSetAccess(t *testing.T, s store.Store) {
	mustCreate(t, s, store.Room{ID: "r", CreatedAt: created}, []byte("init"))
	mustAppend(t, s, "r", []byte("a"))
	other := store.Room{ID: "other", CreatedAt: created, Access: store.Access{EditID: "other-edit", ViewID: "other-view"}}
	mustCreate(t, s, other, nil)
	steps := []struct {
		name   string
		access store.Access
		gone   []string // links that no longer find the room
	}{
		{"add a view link", store.Access{EditID: "r", ViewID: "v1"}, nil},
		{"rotate the edit link", store.Access{EditID: "e1", ViewID: "v1"}, []string{"r"}},
		{"rotate the view link", store.Access{EditID: "e1", ViewID: "v2"}, []string{"v1"}},
		{"lock", store.Access{EditID: "e1", ViewID: "v2", Locked: true}, nil},
		{"set an owner", store.Access{EditID: "e1", ViewID: "v2", OwnerHash: ownerHash("a"), Locked: true}, nil},
		{"change the owner, unlock", store.Access{EditID: "e1", ViewID: "v2", OwnerHash: ownerHash("b")}, nil},
		{"swap the links", store.Access{EditID: "v2", ViewID: "e1", OwnerHash: ownerHash("b")}, nil},
		{"drop the view link and the owner", store.Access{EditID: "v2"}, []string{"e1"}},
		{"back to the id and the first view link", store.Access{EditID: "r", ViewID: "v1"}, []string{"v2"}},
		{"change nothing", store.Access{EditID: "r", ViewID: "v1"}, nil},
	}
	for _, st := range steps {
		if err := s.SetAccess(t.Context(), "r", st.access); err != nil {
			t.Fatalf("%s: SetAccess: %v", st.name, err)
		}
		checkRoom(t, s, store.Room{ID: "r", CreatedAt: created, Access: st.access})
		for _, link := range st.gone {
			checkNoLink(t, s, link)
		}
	}
	checkLoad(t, s, "r", store.Snapshot{State: []byte("init")}, entries(1, "a"))
	if got := mustAppend(t, s, "r", []byte("b")); got != 2 {
		t.Errorf("Append after SetAccess = %d, want 2", got)
	}
	checkRoom(t, s, other)

	// The room's ID is its key whatever its links; MarkOpened keeps its access.
	locked := store.Access{EditID: "e2", Locked: true}
	if err := s.SetAccess(t.Context(), "r", locked); err != nil {
		t.Fatal(err)
	}
	checkNoLink(t, s, "r")
	opened := created.Add(time.Hour)
	if err := s.MarkOpened(t.Context(), "r", opened); err != nil {
		t.Fatal(err)
	}
	checkRoom(t, s, store.Room{ID: "r", CreatedAt: created, OpenedAt: opened, Access: locked})
	checkLoad(t, s, "r", store.Snapshot{State: []byte("init")}, entries(1, "a", "b"))
}

// A link is one room's, in one role: CreateRoom and SetAccess refuse a link another room holds,
// in either role, and one room's two links being one, with ErrExists, and change nothing. A
// room's ID that is no longer a link is free.
func testLinksTaken(t *testing.T, s store.Store) {
	a := store.Room{ID: "a", CreatedAt: created, Access: store.Access{EditID: "a-edit", ViewID: "a-view"}}
	b := store.Room{ID: "b", CreatedAt: created, Access: store.Access{EditID: "b-edit", ViewID: "b-view", Locked: true}}
	mustCreate(t, s, a, []byte("init-a"))
	mustCreate(t, s, b, nil)
	creates := []struct {
		name string
		room store.Room
	}{
		{"edit link another room's edit link", store.Room{ID: "new", Access: store.Access{EditID: "a-edit"}}},
		{"edit link another room's view link", store.Room{ID: "new", Access: store.Access{EditID: "a-view"}}},
		{"view link another room's edit link", store.Room{ID: "new", Access: store.Access{EditID: "n", ViewID: "b-edit"}}},
		{"view link another room's view link", store.Room{ID: "new", Access: store.Access{EditID: "n", ViewID: "b-view"}}},
		{"the id, the edit link, another room's link", store.Room{ID: "a-view"}},
		{"edit and view links the same", store.Room{ID: "new", Access: store.Access{EditID: "n", ViewID: "n"}}},
		{"the id taken, the links free", store.Room{ID: "a", Access: store.Access{EditID: "n", ViewID: "m"}}},
	}
	for _, tt := range creates {
		tt.room.CreatedAt = created
		if err := s.CreateRoom(t.Context(), tt.room, []byte("lost")); !errors.Is(err, store.ErrExists) {
			t.Errorf("CreateRoom, %s: err = %v, want ErrExists", tt.name, err)
		}
	}
	sets := []struct {
		name   string
		access store.Access
	}{
		{"edit link another room's edit link", store.Access{EditID: "b-edit"}},
		{"edit link another room's view link", store.Access{EditID: "b-view", ViewID: "a-view"}},
		{"view link another room's edit link", store.Access{EditID: "a-edit", ViewID: "b-edit"}},
		{"view link another room's view link", store.Access{EditID: "n", ViewID: "b-view"}},
		{"edit and view links the same", store.Access{EditID: "n", ViewID: "n"}},
		{"edit and view links the same, the room's own", store.Access{EditID: "a-edit", ViewID: "a-edit"}},
	}
	for _, tt := range sets {
		if err := s.SetAccess(t.Context(), "a", tt.access); !errors.Is(err, store.ErrExists) {
			t.Errorf("SetAccess, %s: err = %v, want ErrExists", tt.name, err)
		}
	}
	for _, id := range []string{"new", "a-view"} {
		if _, err := s.Room(t.Context(), id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Room(%q) after the refused calls: err = %v, want ErrNotFound", id, err)
		}
	}
	for _, link := range []string{"n", "m", "new"} {
		checkNoLink(t, s, link)
	}
	if n, err := s.CountRooms(t.Context()); err != nil || n != 2 {
		t.Errorf("CountRooms = %d, %v; want 2", n, err)
	}
	checkRoom(t, s, a)
	checkRoom(t, s, b)
	checkLoad(t, s, "a", store.Snapshot{State: []byte("init-a")}, nil)

	a.Access = store.Access{EditID: "b", ViewID: "a-edit"}
	if err := s.SetAccess(t.Context(), "a", a.Access); err != nil {
		t.Fatalf("SetAccess to the ID of a room that has other links: %v", err)
	}
	checkRoom(t, s, a)
	checkRoom(t, s, b)
}

// CreateRoom and SetAccess refuse what CheckAccess refuses, with ErrInvalidAccess, and change
// nothing.
func testInvalidAccess(t *testing.T, s store.Store) {
	r := store.Room{ID: "r", CreatedAt: created, Access: store.Access{EditID: "r-edit", ViewID: "r-view"}}
	mustCreate(t, s, r, nil)
	tests := []struct {
		name   string
		access store.Access
	}{
		{"edit link one byte too long", store.Access{EditID: strings.Repeat("e", store.MaxLinkLen+1)}},
		{"multi-byte view link past the limit", store.Access{EditID: "e", ViewID: strings.Repeat("é", store.MaxLinkLen/2) + "x"}},
		{"edit link not UTF-8", store.Access{EditID: "\xff"}},
		{"view link not UTF-8", store.Access{EditID: "e", ViewID: "a\xc3"}},
		{"edit link with a NUL byte", store.Access{EditID: "a\x00b"}},
		{"view link with a NUL byte", store.Access{EditID: "e", ViewID: "\x00"}},
		{"owner hash too short", store.Access{EditID: "e", OwnerHash: make([]byte, sha256.Size-1)}},
		{"owner hash too long", store.Access{EditID: "e", OwnerHash: make([]byte, sha256.Size+1)}},
		{"empty owner hash, not nil", store.Access{EditID: "e", OwnerHash: []byte{}}},
	}
	for _, tt := range tests {
		room := store.Room{ID: "new", CreatedAt: created, Access: tt.access}
		if err := s.CreateRoom(t.Context(), room, nil); !errors.Is(err, store.ErrInvalidAccess) {
			t.Errorf("CreateRoom, %s: err = %v, want ErrInvalidAccess", tt.name, err)
		}
		if err := s.SetAccess(t.Context(), "r", tt.access); !errors.Is(err, store.ErrInvalidAccess) {
			t.Errorf("SetAccess, %s: err = %v, want ErrInvalidAccess", tt.name, err)
		}
	}
	if err := s.SetAccess(t.Context(), "r", store.Access{ViewID: "v"}); !errors.Is(err, store.ErrInvalidAccess) {
		t.Errorf("SetAccess with no edit link: err = %v, want ErrInvalidAccess", err)
	}
	long := store.Room{ID: strings.Repeat("r", store.MaxLinkLen+1), CreatedAt: created}
	if err := s.CreateRoom(t.Context(), long, nil); !errors.Is(err, store.ErrInvalidAccess) {
		t.Errorf("CreateRoom of an id too long to be its edit link: err = %v, want ErrInvalidAccess", err)
	}
	for _, id := range []string{"new", long.ID} {
		if _, err := s.Room(t.Context(), id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Room(%q) after the refused calls: err = %v, want ErrNotFound", id, err)
		}
	}
	checkNoLink(t, s, "e")
	checkRoom(t, s, r)
}

// Rooms created at once, each with an id and an edit link of its own and the same view link:
// one gets the view link, the others ErrExists. Then the rooms that lost, created without it,
// all ask SetAccess for another link at once: one gets it.
func testConcurrentLinks(t *testing.T, s store.Store) {
	const rooms = 8
	room := func(i int, viewID string) store.Room {
		return store.Room{ID: fmt.Sprint("room-", i), CreatedAt: created, Access: store.Access{EditID: fmt.Sprint("edit-", i), ViewID: viewID}}
	}
	first := oneWins(t, "CreateRoom", rooms, func(i int) error { return s.CreateRoom(t.Context(), room(i, "contested"), nil) })
	checkRoom(t, s, room(first, "contested"))
	for i := range rooms {
		if i != first {
			checkNoLink(t, s, fmt.Sprint("edit-", i))
			mustCreate(t, s, room(i, ""), nil)
		}
	}
	set := oneWins(t, "SetAccess", rooms, func(i int) error {
		return s.SetAccess(t.Context(), fmt.Sprint("room-", i), room(i, "contested-2").Access)
	})
	checkRoom(t, s, room(set, "contested-2"))
	if set != first {
		checkRoom(t, s, room(first, "contested"))
	}
}

// oneWins runs call(0) to call(n-1) at once and returns the one that succeeded; the others
// must fail with ErrExists.
func oneWins(t *testing.T, name string, n int, call func(i int) error) int {
	t.Helper()
	results := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { results[i] = call(i) })
	}
	wg.Wait()
	winner := -1
	for i, err := range results {
		switch {
		case err == nil && winner >= 0:
			t.Fatalf("%s succeeded for both %d and %d", name, winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, store.ErrExists):
			t.Fatalf("%s %d: err = %v, want nil or ErrExists", name, i, err)
		}
	}
	if winner < 0 {
		t.Fatalf("no %s succeeded", name)
	}
	return winner
}
