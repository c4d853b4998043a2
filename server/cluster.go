package server

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/pairpad/pairpad/server/internal/httpapi"
	"github.com/pairpad/pairpad/store"
)

// Several nodes share one store that implements store.Leases (Postgres). A room is owned by
// at most one node at a time, through its lease: the node that loads it takes the lease,
// renews it every third of LeaseDuration while the room is live, and releases it when the
// room unloads, with an announcement (store.Leases.WatchReleases) so that a node waiting for
// the room need not wait for the expiry. Every append and snapshot of the room carries the
// lease's epoch, and the store refuses it once the lease has moved on: a node that was paused
// past its lease cannot write when it wakes up. A node that cannot renew a lease stops serving
// the room (its sockets are closed with 1012, and clients reconnect).
//
// A socket or a REST write that reaches a node that does not own its room is carried to the
// owner over an internal connection that CLUSTER_SECRET authenticates; a REST read of a room's
// code is answered from the store. Nothing needs to be sticky in front of the nodes.

// ClusterOptions make a server one node among several that share its Store, when the Store
// implements store.Leases; without them the Store's rooms still get leases (a second server
// on the same database cannot write a room this one owns), but no routing.
type ClusterOptions struct {
	// Node is this node's identity in rooms' leases: a node that restarts with the same
	// identity takes its rooms' leases back at once, where another waits for them to expire.
	// Two live nodes must never share one. Default: AdvertiseURL, else a random identity.
	Node string
	// AdvertiseURL is how other nodes reach this one (http://host:port). Empty: they cannot.
	AdvertiseURL string
	// Secret authenticates the nodes to each other. Empty: no routing; a room another node
	// owns is refused (sockets with 1013, REST writes with 503).
	Secret string
	// LeaseDuration is how long a room's lease lasts without renewal (default 10 s): the
	// longest a room waits for a new owner after its owner died without releasing it.
	LeaseDuration time.Duration
}

// DefaultLeaseDuration is ClusterOptions.LeaseDuration's default.
const DefaultLeaseDuration = 10 * time.Second

// Headers of the requests one node makes to another.
const (
	// clusterHeader carries CLUSTER_SECRET.
	clusterHeader = "X-Pairpad-Cluster"
	// clientHeader carries the address of the client whose request is forwarded, which the
	// owner counts against the client's limits.
	clientHeader = "X-Pairpad-Client"
)

// closeRoomMoved closes the sockets of a room whose lease this node lost: the clients
// reconnect, and find the room's new owner.
const closeRoomMoved = 1012

// ownedElsewhere reports a room whose lease another node holds.
type ownedElsewhere struct{ lease store.Lease }

func (e *ownedElsewhere) Error() string {
	return fmt.Sprintf("room %s is owned by node %s", e.lease.Room, e.lease.Node)
}

// cluster is this node's part in sharing rooms with others: its identity, its leases and
// the announcements of other nodes' releases.
type cluster struct {
	leases store.Leases
	node   string // the identity in leases
	addr   string // ADVERTISE_URL
	secret string
	ttl    time.Duration
	log    zerolog.Logger

	mu      sync.Mutex
	waiters map[string][]chan struct{} // by room: who waits for its lease's release

	stop context.CancelFunc
	done sync.WaitGroup
}

// newCluster returns the cluster of a server whose store is st, or nil if st has no leases.
func newCluster(st store.Store, opts ClusterOptions, log zerolog.Logger) *cluster {
	leases, ok := st.(store.Leases)
	if !ok {
		return nil
	}
	if opts.LeaseDuration <= 0 {
		opts.LeaseDuration = DefaultLeaseDuration
	}
	node := cmp.Or(opts.Node, opts.AdvertiseURL)
	if node == "" {
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		node = "unadvertised-" + hex.EncodeToString(b)
	}
	return &cluster{leases: leases, node: node, addr: opts.AdvertiseURL, secret: opts.Secret, ttl: opts.LeaseDuration,
		log: log.With().Str("node", node).Logger(), waiters: make(map[string][]chan struct{})}
}

// routes reports whether this node carries requests to other nodes.
func (c *cluster) routes() bool { return c != nil && c.secret != "" && c.addr != "" }

// trusted reports whether r comes from another node of the cluster.
func (c *cluster) trusted(r *http.Request) bool {
	got := r.Header.Get(clusterHeader)
	return c != nil && c.secret != "" && got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(c.secret)) == 1
}

// acquire takes room's lease for this node and returns its epoch, and until when this node
// may count on it by its own clock; an *ownedElsewhere error if another node holds it.
func (c *cluster) acquire(ctx context.Context, room string) (epoch uint64, until time.Time, err error) {
	start := time.Now()
	l, err := c.leases.AcquireLease(ctx, room, c.node, c.addr, c.ttl)
	if err != nil {
		return 0, time.Time{}, err
	}
	if l.Node != c.node {
		return 0, time.Time{}, &ownedElsewhere{lease: l}
	}
	return l.Epoch, start.Add(c.ttl), nil
}

// ownerElsewhere returns the lease of room id if another node holds it.
func (c *cluster) ownerElsewhere(ctx context.Context, id string) (store.Lease, bool) {
	l, err := c.leases.LeaseOf(ctx, id)
	if err != nil || !l.Held || l.Node == c.node {
		return store.Lease{}, false
	}
	return l, true
}

// watch passes other nodes' releases to waitRelease's callers until stop.
func (c *cluster) watch() {
	ctx, cancel := context.WithCancel(context.Background())
	c.stop = cancel
	c.done.Add(1)
	go func() {
		defer c.done.Done()
		for ctx.Err() == nil {
			err := c.leases.WatchReleases(ctx, c.released)
			if ctx.Err() != nil {
				return
			}
			c.log.Warn().Err(err).Msg("watching rooms' lease releases; retrying")
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}()
}

func (c *cluster) shutdown() {
	if c.stop != nil {
		c.stop()
	}
	c.done.Wait()
}

// released wakes whoever waits for room's lease.
func (c *cluster) released(room string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, ch := range c.waiters[room] {
		close(ch)
	}
	delete(c.waiters, room)
}

// waitRelease waits until room's lease is released, d has passed, or ctx ends.
func (c *cluster) waitRelease(ctx context.Context, room string, d time.Duration) {
	ch := make(chan struct{})
	c.mu.Lock()
	c.waiters[room] = append(c.waiters[room], ch)
	c.mu.Unlock()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ch:
	case <-t.C:
	case <-ctx.Done():
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, w := range c.waiters[room] {
		if w == ch {
			c.waiters[room] = append(c.waiters[room][:i], c.waiters[room][i+1:]...)
			break
		}
	}
	if len(c.waiters[room]) == 0 {
		delete(c.waiters, room)
	}
}

// retryWait is how long a node waits before it asks again for a room whose owner it cannot
// reach: until the lease is released (announced), expires, or this much has passed.
func retryWait(l store.Lease) time.Duration {
	return min(max(l.Remaining+20*time.Millisecond, 50*time.Millisecond), time.Second)
}

// errNoRoute reports a room another node owns, which this node cannot carry requests to.
var errNoRoute = errors.New("the room is served by another node, which this node cannot reach (ADVERTISE_URL and CLUSTER_SECRET)")

// fromNodes serves the requests other nodes carry here with mux itself: they passed the host
// and origin checks of the node that took them. Every other request goes to public.
func (s *Server) fromNodes(mux, public http.Handler) http.Handler {
	if !s.rooms.cluster.routes() {
		return public
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.rooms.cluster.trusted(r) {
			mux.ServeHTTP(w, r)
			return
		}
		public.ServeHTTP(w, r)
	})
}

// atOwner serves a request about a room (its roomId) at the node that owns the room: here, if
// this node owns it or nobody does (this node then takes it), or at the owner, to which the
// request is forwarded. A request forwarded here is served here.
func (s *Server) atOwner(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := s.rooms.cluster
		if c == nil || c.trusted(r) {
			next.ServeHTTP(w, r)
			return
		}
		g, err := s.resolve(r.Context(), r.PathValue("roomId"))
		if err != nil {
			next.ServeHTTP(w, r) // which says why
			return
		}
		lease, ok := s.leaseElsewhere(r.Context(), g.room.ID)
		if !ok {
			// The handler resolves the link again: from the request's context.
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), resolvedKey{}, g)))
			return
		}
		if !c.routes() {
			s.writeError(w, r, httpapi.Unavailable(errNoRoute.Error(), nil))
			return
		}
		s.forward(w, r, lease.Addr)
	})
}

// leaseElsewhere returns room id's lease if it is not live here and another node holds it.
func (s *Server) leaseElsewhere(ctx context.Context, id string) (store.Lease, bool) {
	if s.rooms.cluster == nil || s.rooms.isLive(id) {
		return store.Lease{}, false
	}
	return s.rooms.cluster.ownerElsewhere(ctx, id)
}

// forward carries r to the node at addr and its answer back; an owner it cannot reach is a
// 503 that says to try again.
func (s *Server) forward(w http.ResponseWriter, r *http.Request, addr string) {
	target, err := url.Parse(addr)
	if err != nil {
		s.writeError(w, r, httpapi.Internal(err))
		return
	}
	client := httpapi.ClientAddr(r, s.opts.TrustedProxies)
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.Host = r.Host
			pr.Out.Header.Set(clusterHeader, s.rooms.cluster.secret)
			pr.Out.Header.Set(clientHeader, client)
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			s.writeError(w, r, httpapi.Unavailable("the node that serves the room is unreachable; try again", err))
		},
	}
	proxy.ServeHTTP(w, r)
}

// writeError answers r with err, as the API's handlers do.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	httpapi.Handle(s.log, func(http.ResponseWriter, *http.Request) error { return err }).ServeHTTP(w, r)
}
