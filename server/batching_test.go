package server

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pairpad/pairpad/crdt"
	"github.com/pairpad/pairpad/store"
	"github.com/pairpad/pairpad/store/embedded"
)

// countingStore counts the appends reaching the real store.
type countingStore struct {
	store.Store
	appends, updates atomic.Int64
}

func (s *countingStore) Append(ctx context.Context, id string, entries []store.Entry) (uint64, error) {
	s.appends.Add(1)
	s.updates.Add(int64(len(entries)))
	return s.Store.Append(ctx, id, entries)
}

// A burst of small updates in one room costs far fewer commits than updates: the room appends
// whatever accumulated while the previous commit ran, in one go.
func TestGroupCommit(t *testing.T) {
	st, err := embedded.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cs := &countingStore{Store: st}
	ts := serveStore(t, cs, Options{})
	id := ts.createRoom(t, "")
	clients := []*yclient{dialYjs(t, ts, id, 21), dialYjs(t, ts, id, 22), dialYjs(t, ts, id, 23)}
	eventually(t, "sync", func() bool { return clients[2].String() != "" })
	before := cs.updates.Load()
	beforeAppends := cs.appends.Load()
	const perClient = 400
	done := make(chan struct{})
	for _, c := range clients {
		go func() {
			for range perClient {
				c.edit(func(tx *crdt.Transaction, x *crdt.Text) { x.Insert(tx, 0, "x") })
			}
			done <- struct{}{}
		}()
	}
	for range clients {
		<-done
	}
	eventually(t, "every update to be committed", func() bool { return cs.updates.Load()-before >= 3*perClient })
	updates, appends := cs.updates.Load()-before, cs.appends.Load()-beforeAppends
	t.Logf("%d updates in %d appends", updates, appends)
	if appends*4 > updates {
		t.Errorf("%d updates took %d appends: not batched", updates, appends)
	}
	want := strings.Repeat("x", 3*perClient)
	eventually(t, "the clients to converge", func() bool {
		for _, c := range clients {
			if !strings.HasPrefix(c.String(), want) {
				return false
			}
		}
		return true
	})
}

// A legacy client gets at most one code_update per 50 ms, always the latest code.
func TestLegacyUpdatesAreCoalesced(t *testing.T) {
	ts := newTestServer(t, Options{})
	id := ts.createRoom(t, "")
	l := dialLegacy(t, ts, id)
	y := dialYjs(t, ts, id, 31)
	eventually(t, "sync", func() bool { code, _, _, _ := l.state(); return code != "" && y.String() == code })
	_, before, _, _ := l.state()
	start := time.Now()
	for range 300 {
		y.edit(func(tx *crdt.Transaction, x *crdt.Text) { x.Insert(tx, x.Len(), "y") })
		time.Sleep(time.Millisecond)
	}
	eventually(t, "the legacy client to get the latest code", func() bool { code, _, _, _ := l.state(); return code == y.String() })
	elapsed := time.Since(start)
	_, after, _, _ := l.state()
	got, limit := after-before, int(elapsed/(50*time.Millisecond))+2
	t.Logf("%d code_update messages in %v", got, elapsed.Round(time.Millisecond))
	if got > limit {
		t.Errorf("%d code_update messages in %v: more than one per 50 ms", got, elapsed)
	}
}
