package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/pairpad/pairpad/server/internal/room"
	"github.com/pairpad/pairpad/store"
	"github.com/pairpad/pairpad/store/embedded"
)

// With RoomTTL, a sweep deletes the rooms nobody opened for that long, and only those: a room
// opened within it stays, and so does a live room opened before it, which the sweep marks
// opened. A client of the deleted room gets 404, or 4404 on a socket. The test runs the sweep
// itself, at a time of its choosing: the server's own sweeps run at its start, before any of
// these rooms exists, and then not for an hour.
func TestRoomExpiry(t *testing.T) {
	t.Parallel()
	const ttl = 24 * time.Hour
	ts := newTestServer(t, Options{RoomTTL: ttl})
	old, recent, live := ts.createRoom(t, ""), ts.createRoom(t, ""), ts.createRoom(t, "")
	y := dialYjs(t, ts, live, 1)
	await(t, ts.sig, "the live room to sync", func() bool { return y.String() != "" })

	now := time.Now().Add(30 * 24 * time.Hour)
	opened := map[string]time.Time{
		old:    now.Add(-ttl - time.Millisecond),
		recent: now.Add(-ttl + time.Millisecond),
		live:   now.Add(-2 * ttl), // since it loaded, which marked it opened at the real time
	}
	for id, at := range opened {
		if err := ts.store.MarkOpened(t.Context(), id, at); err != nil {
			t.Fatal(err)
		}
	}
	ts.srv.expirer.sweep(t.Context(), now)

	for id, want := range map[string]int{old: http.StatusNotFound, recent: http.StatusOK, live: http.StatusOK} {
		if status, _ := ts.do(t, "GET", "/rooms/"+id, ""); status != want {
			t.Errorf("GET /rooms/%s = %d, want %d", id, status, want)
		}
	}
	if got := dialYjs(t, ts, old, 2).closeCode(t); got != closeUnknownRoom {
		t.Errorf("a socket to the expired room: close %v, want %v", got, closeUnknownRoom)
	}
	if room, err := ts.store.Room(t.Context(), live); err != nil || room.OpenedAt.Sub(now).Abs() >= time.Millisecond {
		t.Errorf("the live room after the sweep: %+v, %v; want it marked opened at the sweep's time %v", room, err, now)
	}
	if got := ts.scrape(t)["pairpad_rooms_expired_total"]; got != 1 {
		t.Errorf("pairpad_rooms_expired_total = %v, want 1", got)
	}
	if y.String() == "" || y.closed() {
		t.Error("the live room's client was disconnected")
	}
}

// A sweep deletes every expired room, batch after batch, however many live rooms opened long
// ago fill its batches: here the whole first one (the embedded store lists rooms in id order).
func TestRoomExpiryBatches(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Options{})
	m := ts.srv.rooms
	const expired = expiryBatch + 5
	long := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	initial, err := room.Initial("", "python")
	if err != nil {
		t.Fatal(err)
	}
	for i := range expired {
		if err := ts.store.CreateRoom(t.Context(), store.Room{ID: fmt.Sprint("b-expired-", i), CreatedAt: long}, nil); err != nil {
			t.Fatal(err)
		}
	}
	var live []*liveRoom
	for i := range expiryBatch {
		id := fmt.Sprint("a-live-", i)
		if err := ts.store.CreateRoom(t.Context(), store.Room{ID: id, CreatedAt: long}, initial); err != nil {
			t.Fatal(err)
		}
		r, err := m.acquire(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		live = append(live, r)
		if err := ts.store.MarkOpened(t.Context(), id, long); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now()
	deleted, err := m.expireRooms(t.Context(), now.Add(-time.Hour), now)
	if err != nil || deleted != expired {
		t.Errorf("expireRooms = %d, %v; want %d, nil", deleted, err, expired)
	}
	if n, err := ts.store.CountRooms(t.Context()); err != nil || n != expiryBatch {
		t.Errorf("CountRooms after the sweep = %d, %v; want the %d live rooms", n, err, expiryBatch)
	}
	for _, r := range live {
		m.release(r)
	}
}

// blockingDeleteStore holds DeleteRoom until the test lets it go.
type blockingDeleteStore struct {
	store.Store
	entered chan struct{} // receives when DeleteRoom is called
	proceed chan struct{} // closed to let it go on
}

func (s *blockingDeleteStore) DeleteRoom(ctx context.Context, id string) error {
	s.entered <- struct{}{}
	<-s.proceed
	return s.Store.DeleteRoom(ctx, id)
}

// While the store deletes a room, the room does not load: a client that asks for it then gets
// it once the deletion is over, as not found. deleteIdle leaves a live room alone.
func TestDeleteIdleExcludesLoading(t *testing.T) {
	t.Parallel()
	st, err := embedded.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	bs := &blockingDeleteStore{Store: st, entered: make(chan struct{}), proceed: make(chan struct{})}
	ts := serveStore(t, bs, Options{})
	m := ts.srv.rooms
	doomed, kept := ts.createRoom(t, ""), ts.createRoom(t, "")

	r, err := m.acquire(t.Context(), kept)
	if err != nil {
		t.Fatal(err)
	}
	if deleted, err := m.deleteIdle(t.Context(), kept); deleted || err != nil {
		t.Errorf("deleteIdle of a live room = %v, %v; want false, nil", deleted, err)
	}
	m.release(r)

	type result struct {
		deleted bool
		err     error
	}
	deleting := make(chan result, 1)
	go func() {
		deleted, err := m.deleteIdle(t.Context(), doomed)
		deleting <- result{deleted, err}
	}()
	<-bs.entered
	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := m.acquire(cancelled, doomed); !errors.Is(err, context.Canceled) {
		t.Errorf("acquire during the deletion: err = %v, want it to wait (here, until its context ends)", err)
	}
	m.mu.Lock()
	loading := m.live[doomed] != nil
	m.mu.Unlock()
	if loading {
		t.Error("the room was loading during its deletion")
	}
	if deleted, err := m.deleteIdle(t.Context(), doomed); deleted || err != nil {
		t.Errorf("a second deleteIdle during the deletion = %v, %v; want false, nil", deleted, err)
	}
	acquired := make(chan error, 1)
	go func() {
		r, err := m.acquire(t.Context(), doomed)
		if err == nil {
			m.release(r)
		}
		acquired <- err
	}()
	close(bs.proceed)
	if res := <-deleting; !res.deleted || res.err != nil {
		t.Errorf("deleteIdle = %v, %v; want true, nil", res.deleted, res.err)
	}
	if err := <-acquired; !isNotFound(err) {
		t.Errorf("acquire of the room being deleted: err = %v, want ErrNotFound", err)
	}
	if status, _ := ts.do(t, "GET", "/rooms/"+kept, ""); status != http.StatusOK {
		t.Errorf("GET of the room kept = %d, want 200", status)
	}
}

func TestSweepInterval(t *testing.T) {
	for ttl, want := range map[time.Duration]time.Duration{
		time.Nanosecond:  time.Second,
		30 * time.Second: 3 * time.Second,
		2 * time.Hour:    12 * time.Minute,
		720 * time.Hour:  time.Hour,
	} {
		if got := sweepInterval(ttl); got != want {
			t.Errorf("sweepInterval(%v) = %v, want %v", ttl, got, want)
		}
	}
}

// TestRoomLinger: a room stays loaded for RoomOptions.Linger after its last user left, so a
// client that comes back meanwhile finds it loaded (one load in all), then it unloads.
func TestRoomLinger(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Options{Rooms: RoomOptions{Linger: 2 * time.Second}})
	id := ts.createRoom(t, "python")
	for range 3 {
		l := dialSeed(t, ts, id)
		await(t, ts.sig, "the code", func() bool { return l.Code() != "" })
		l.closeNow()
		await(t, ts.sig, "the socket to go", func() bool { return l.closed() })
	}
	if got := ts.scrape(t)["pairpad_room_load_seconds_count"]; got != 1 {
		t.Errorf("the room loaded %v times for three users one after the other, want 1", got)
	}
	if n := ts.srv.rooms.count(); n != 1 {
		t.Errorf("%d rooms live right after the last user left, want 1", n)
	}
	ts.awaitIdle(t) // within awaitTimeout: the linger is over
}
