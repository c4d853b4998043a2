package server

import (
	"context"
	"errors"
	"time"

	"github.com/pairpad/pairpad/server/internal/room"
	"github.com/pairpad/pairpad/store"
)

// takeLease takes the room's lease for this node before it loads, if the store has leases.
func (r *liveRoom) takeLease(ctx context.Context) error {
	c := r.m.cluster
	if c == nil {
		return nil
	}
	epoch, until, err := c.acquire(ctx, r.id)
	if err != nil {
		return err
	}
	r.epoch = epoch
	r.leaseUntil.Store(until.UnixNano())
	r.m.metrics.roomsOwned.Inc()
	return nil
}

// releaseLease releases the room's lease once it has unloaded, unless it was lost.
func (r *liveRoom) releaseLease() {
	c := r.m.cluster
	if c == nil || r.epoch == 0 {
		return
	}
	if r.lost.Load() {
		return // counted out when it was lost
	}
	r.m.metrics.roomsOwned.Dec()
	ctx, cancel := context.WithTimeout(context.Background(), r.m.opts.StoreTimeout)
	defer cancel()
	if err := c.leases.ReleaseLease(ctx, r.id, c.node, r.epoch); err != nil {
		r.log.Warn().Err(err).Msg("release the room's lease (it expires instead)")
	}
}

// loseLease stops a room whose lease this node no longer holds, or can no longer count on:
// its connections are closed with closeRoomMoved, and it writes nothing more (the store would
// refuse it anyway).
func (m *rooms) loseLease(r *liveRoom, why string) {
	if r.lost.Swap(true) {
		return
	}
	m.metrics.roomsOwned.Dec()
	m.metrics.leaseLosses.Inc()
	r.log.Warn().Str("why", why).Msg("lost the room's lease: closing its connections")
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), m.opts.StoreTimeout)
		defer cancel()
		_ = r.post(ctx, envelope{input: room.Evict{Code: closeRoomMoved, Reason: "room moved to another node"}})
		m.stopRoom(r)
	}()
}

// fenced reports an error of a write the store refused because the room's lease moved on,
// and marks the room's lease lost.
func (r *liveRoom) fenced(err error) bool {
	if !errors.Is(err, store.ErrLeaseLost) {
		return false
	}
	if !r.lost.Load() {
		r.m.loseLease(r, "the store refused a write: another node took the lease")
	}
	return true
}

// keepLeases renews the leases of the rooms this node owns every third of the lease
// duration, and stops the rooms whose lease it lost or could not renew in time, until ctx
// ends.
func (m *rooms) keepLeases(ctx context.Context) {
	c := m.cluster
	t := time.NewTicker(c.ttl / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		m.renewLeases(ctx)
	}
}

func (m *rooms) renewLeases(ctx context.Context) {
	c := m.cluster
	owned := m.owned()
	m.dropExpired(owned, time.Now()) // before asking: a node that was paused knows already
	if len(owned) == 0 {
		return
	}
	epochs := make(map[string]uint64, len(owned))
	for id, r := range owned {
		epochs[id] = r.epoch
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, c.ttl/3)
	renewed, err := c.leases.RenewLeases(ctx, c.node, epochs, c.ttl)
	cancel()
	if err != nil {
		m.metrics.storeErrors.WithLabelValues(opLease).Inc()
		c.log.Warn().Err(err).Int("rooms", len(owned)).Msg("renew rooms' leases")
		m.dropExpired(owned, time.Now())
		return
	}
	until := start.Add(c.ttl).UnixNano()
	for _, id := range renewed {
		if r := owned[id]; r != nil {
			r.leaseUntil.Store(until)
			delete(owned, id)
		}
	}
	m.metrics.leaseRenewals.Add(float64(len(renewed)))
	for _, r := range owned {
		m.loseLease(r, "another node took the lease")
	}
}

// dropExpired loses the rooms of owned whose lease this node can no longer count on at now,
// and removes them from owned.
func (m *rooms) dropExpired(owned map[string]*liveRoom, now time.Time) {
	for id, r := range owned {
		if now.UnixNano() >= r.leaseUntil.Load() {
			m.loseLease(r, "the lease expired: it could not be renewed in time")
			delete(owned, id)
		}
	}
}

// owned returns the loaded rooms whose lease this node holds.
func (m *rooms) owned() map[string]*liveRoom {
	m.mu.Lock()
	defer m.mu.Unlock()
	owned := make(map[string]*liveRoom)
	for id, r := range m.live {
		select {
		case <-r.loaded:
		default:
			continue
		}
		if r.loadErr == nil && r.epoch != 0 && !r.lost.Load() {
			owned[id] = r
		}
	}
	return owned
}
