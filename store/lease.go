package store

import (
	"context"
	"errors"
	"time"
)

// ErrLeaseLost reports a write fenced by a lease epoch (Batch.Epoch, Snapshot.Epoch) that is no
// longer in force: another node took the room's lease, or it expired. Nothing was written.
var ErrLeaseLost = errors.New("store: the room's lease has moved on")

// Lease is who owns a room among the nodes that share a store: at most one node at a time,
// until Expires. Each change of owner increases Epoch, and a node fences its writes to the room
// with the epoch it acquired (Batch.Epoch, Snapshot.Epoch), so that a node that lost the lease
// without knowing it (paused, partitioned) cannot write after another took over.
type Lease struct {
	Room string
	// Node is the owner's identity and Addr where other nodes reach it (its ADVERTISE_URL).
	Node, Addr string
	// Epoch increases by one each time a node acquires the lease; it never goes back, even
	// after a release. 0 means no node ever held the lease.
	Epoch uint64
	// Held reports whether the lease is in force now, by the store's clock; Remaining is how
	// long it still is (0 when it is not). Nodes never compare their clocks with the store's.
	Held      bool
	Remaining time.Duration
}

// Leases give rooms their owners: a Store shared by several nodes (Postgres) implements it,
// and the embedded store, for one node only, does not. Every method honours ctx.
//
// A write fenced with an epoch (Batch.Epoch, Snapshot.Epoch not 0) is made only if the room's
// lease has that epoch and is held at the moment of the write; otherwise it fails with
// ErrLeaseLost and changes nothing. A write fenced so and AcquireLease serialize: once
// AcquireLease returns a new epoch, no write fenced with an older one is made, and every one
// that was is visible to a Load that starts after it.
type Leases interface {
	// AcquireLease takes room's lease for node, reachable at addr, for ttl, if no other node
	// holds it (never held, released, or expired); a node may take a lease it holds again
	// (after a restart, or to load the room anew). Taking it increases the epoch. It returns
	// the lease in force afterwards: node's (Lease.Node == node) or the other holder's. An
	// unknown room is ErrNotFound.
	AcquireLease(ctx context.Context, room, node, addr string, ttl time.Duration) (Lease, error)
	// RenewLeases extends, by ttl from now, every lease of rooms that node holds, each at
	// the epoch given, and returns the rooms it renewed; a room not among them is lost to node.
	RenewLeases(ctx context.Context, node string, epochs map[string]uint64, ttl time.Duration) (renewed []string, err error)
	// ReleaseLease ends node's lease of room at epoch, if it still holds it, so that another
	// node may take it at once, and announces it to WatchReleases. The epoch stays.
	ReleaseLease(ctx context.Context, room, node string, epoch uint64) error
	// LeaseOf returns room's lease (Held false when nobody holds it).
	LeaseOf(ctx context.Context, room string) (Lease, error)
	// WatchReleases calls released with the id of every room whose lease any node releases
	// (ReleaseLease), until ctx ends; it returns then, or with an error when it cannot watch
	// (the caller may call it again). Announcements carry the room id only, and may be lost
	// while the store is unreachable: they save waiting for an expiry, never replace it.
	WatchReleases(ctx context.Context, released func(room string)) error
}
