package server

import (
	"context"
	"fmt"
	"time"
)

// expiryBatch is how many rooms a sweep asks the store for at a time.
const expiryBatch = 100

// sweepInterval is how often rooms are swept for a RoomTTL of ttl: every tenth of it, so that
// a room outlives its TTL by a tenth at most, but at least every hour and at most every second.
func sweepInterval(ttl time.Duration) time.Duration {
	return min(max(ttl/10, time.Second), time.Hour)
}

// expireRooms deletes every room not opened since before and not live, a batch at a time, and
// returns how many it deleted. A live room opened before then is in use: it is marked opened at
// now instead, so that the next batch does not list it again, and every batch makes progress.
func (m *rooms) expireRooms(ctx context.Context, before, now time.Time) (deleted int, err error) {
	for {
		ids, err := m.roomsOpenedBefore(ctx, before)
		if err != nil {
			return deleted, err
		}
		for _, id := range ids {
			gone, err := m.deleteIdle(ctx, id)
			switch {
			case isNotFound(err):
				// Deleted meanwhile, by a call other than this sweep.
			case err != nil:
				return deleted, fmt.Errorf("delete room %q: %w", id, err)
			case gone:
				deleted++
				m.metrics.roomsExpired.Inc()
				m.log.Info().Str("room", id).Time("opened_before", before).Msg("room expired: deleted")
			default:
				if err := m.markOpened(ctx, id, now); err != nil && !isNotFound(err) {
					return deleted, fmt.Errorf("mark live room %q opened: %w", id, err)
				}
			}
		}
		if len(ids) < expiryBatch {
			return deleted, nil
		}
	}
}

// roomsOpenedBefore returns a batch of the rooms not opened since before.
func (m *rooms) roomsOpenedBefore(ctx context.Context, before time.Time) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, m.opts.StoreTimeout)
	defer cancel()
	ids, err := m.store.RoomsOpenedBefore(ctx, before, expiryBatch)
	if err != nil {
		return nil, fmt.Errorf("list rooms opened before %v: %w", before, err)
	}
	return ids, nil
}

// markOpened records that room id was opened at t.
func (m *rooms) markOpened(ctx context.Context, id string, t time.Time) error {
	ctx, cancel := context.WithTimeout(ctx, m.opts.StoreTimeout)
	defer cancel()
	return m.store.MarkOpened(ctx, id, t)
}

// expirer deletes the rooms nobody opened for a TTL: it sweeps them once when it starts, then
// every sweepInterval, until shutdown.
type expirer struct {
	rooms *rooms
	ttl   time.Duration
	stop  context.CancelFunc
	done  chan struct{} // closed once run has returned
}

func startExpirer(m *rooms, ttl time.Duration) *expirer {
	ctx, stop := context.WithCancel(context.Background())
	e := &expirer{rooms: m, ttl: ttl, stop: stop, done: make(chan struct{})}
	go e.run(ctx)
	return e
}

func (e *expirer) run(ctx context.Context) {
	defer close(e.done)
	ticker := time.NewTicker(sweepInterval(e.ttl))
	defer ticker.Stop()
	for {
		e.sweep(ctx, time.Now())
		select {
		case <-ticker.C:
		case <-ctx.Done():
			return
		}
	}
}

// sweep deletes the rooms nobody opened in the TTL before now. A failure is logged, and the
// next sweep tries again.
func (e *expirer) sweep(ctx context.Context, now time.Time) {
	n, err := e.rooms.expireRooms(ctx, now.Add(-e.ttl), now)
	if err != nil && ctx.Err() == nil {
		e.rooms.metrics.storeErrors.WithLabelValues(opExpire).Inc()
		e.rooms.log.Error().Err(err).Int("deleted", n).Msg("expire rooms: the sweep stopped; the next one tries again")
		return
	}
	if n > 0 {
		e.rooms.log.Info().Int("deleted", n).Dur("ttl", e.ttl).Msg("expired rooms deleted")
	}
}

// shutdown stops the sweeps, cancelling one that is running, and waits for it to return.
func (e *expirer) shutdown() {
	e.stop()
	<-e.done
}
