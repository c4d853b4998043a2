package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/jackc/pgx/v5"

	"github.com/pairpad/pairpad/crdt"
	"github.com/pairpad/pairpad/crdt/protocol"
)

// Failover timing. A client reconnects reconnectDelay after its connection ends: y-websocket
// backs off from 100 ms to 2.5 s, which would measure its backoff rather than the cluster.
const (
	reconnectDelay = 100 * time.Millisecond
	dialTimeout    = 2 * time.Second
	writeTimeout   = 5 * time.Second
	// settleTimeout is how long every client has, before the kill, to get a keystroke through.
	settleTimeout = 30 * time.Second
	// overBar is how long past the bar the benchmark waits for the clients to recover.
	overBar = 30 * time.Second
)

// measureFailover runs typing rooms through the proxy in front of a fresh cluster, kills the
// node that owns the most of them, and prints how long its rooms' clients took to get a
// keystroke through again.
func (b *bench) measureFailover(ctx context.Context) error {
	c, err := b.startCluster(ctx, nodes, true)
	if err != nil {
		return err
	}
	defer c.stop()
	names, err := createRooms(ctx, "http://"+c.addr, b.failoverRooms)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	errs := make(chan error, len(names)*b.failoverBy)
	defer func() { cancel(); wg.Wait() }()
	rooms := map[string]*room{}
	var all []*client
	for _, name := range names {
		r := &room{name: name}
		for range b.failoverBy {
			cl, err := newClient(r, uint64(len(all)+1), "ws://"+c.addr+"/yjs/"+name)
			if err != nil {
				return err
			}
			r.clients = append(r.clients, cl)
			all = append(all, cl)
			wg.Go(func() {
				if err := cl.run(ctx, b.rate); err != nil {
					errs <- err
				}
			})
		}
		rooms[name] = r
	}

	// Before the kill every client must get a keystroke through: the cluster works.
	if n, err := waitAll(ctx, errs, settleTimeout, all, func(cl *client) bool { return cl.acked > 0 }); err != nil {
		return err
	} else if n < len(all) {
		return fmt.Errorf("failover: before any kill, %d of %d clients had no keystroke reach another client of their room within %v; are rooms routed to their owner across nodes? logs %s",
			len(all)-n, len(all), settleTimeout, c.logs())
	}
	owners, err := leaseOwners(ctx, c.databaseURL, names)
	if err != nil {
		return err
	}
	victim, owned, err := mostOwning(c.urls, owners)
	if err != nil {
		return err
	}
	var measured []*client
	for _, name := range owned {
		measured = append(measured, rooms[name].clients...)
	}
	fmt.Fprintf(os.Stderr, "failover: killing node %d (%s), owner of %d of %d rooms; its log %s\n",
		victim+1, c.urls[victim], len(owned), len(names), c.nodes[victim].LogPath)

	killed := time.Now()
	c.nodes[victim].Kill()
	for _, name := range owned {
		rooms[name].arm()
	}
	bar := b.lease + 5*time.Second
	n, err := waitAll(ctx, errs, bar+overBar, measured, func(cl *client) bool { return !cl.recovered.IsZero() })
	if err != nil {
		return err
	}
	input := fmt.Sprintf("rooms=%d,clients=%d,lease=%v", len(owned), len(measured), b.lease)
	barText := fmt.Sprintf("bar: every client of a killed node's rooms gets a keystroke through within lease duration + 5 s (%g ms)", ms(bar))
	if n < len(measured) {
		fmt.Printf("RESULT failover %s three-nodes=n/a bar=%.0f ms\n", input, ms(bar))
		fmt.Printf("%s: %d of %d clients had not after %v, NOT MET\n", barText, len(measured)-n, len(measured), bar+overBar)
		return nil
	}
	times := recoveries(measured, killed)
	slowest := times[len(times)-1]
	fmt.Fprintf(os.Stderr, "failover: clients recovered after p50 %.0f ms, slowest %.0f ms\n", ms(times[len(times)/2]), ms(slowest))
	fmt.Printf("RESULT failover %s three-nodes=%.0f bar=%.0f ms\n", input, ms(slowest), ms(bar))
	fmt.Printf("%s: %.0f ms, %s\n", barText, ms(slowest), verdict(slowest <= bar))
	return nil
}

// waitAll waits until done holds for every client (read under its room's lock), for at most
// timeout, and returns how many it held for then. It returns the first error of a client.
func waitAll(ctx context.Context, errs <-chan error, timeout time.Duration, clients []*client, done func(*client) bool) (int, error) {
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		n := 0
		for _, cl := range clients {
			cl.room.mu.Lock()
			if done(cl) {
				n++
			}
			cl.room.mu.Unlock()
		}
		if n == len(clients) || time.Now().After(deadline) {
			return n, nil
		}
		select {
		case <-ctx.Done():
			return n, ctx.Err()
		case err := <-errs:
			return n, err
		case <-tick.C:
		}
	}
}

// recoveries returns how long after killed each client recovered, shortest first.
func recoveries(clients []*client, killed time.Time) []time.Duration {
	var times []time.Duration
	for _, cl := range clients {
		cl.room.mu.Lock()
		times = append(times, cl.recovered.Sub(killed))
		cl.room.mu.Unlock()
	}
	slices.Sort(times)
	return times
}

// createRooms creates n rooms with POST /rooms at base and returns their ids.
func createRooms(ctx context.Context, base string, n int) ([]string, error) {
	var names []string
	for range n {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/rooms", strings.NewReader(`{"language":"python"}`))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, fmt.Errorf("create a room: %w", err)
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		var room struct {
			RoomID string `json:"roomId"`
		}
		if err != nil || resp.StatusCode != http.StatusCreated || json.Unmarshal(body, &room) != nil || room.RoomID == "" {
			return nil, fmt.Errorf("create a room: POST %s/rooms = %s %q (%v)", base, resp.Status, body, err)
		}
		names = append(names, room.RoomID)
	}
	return names, nil
}

// leaseOwners returns, by room, the address (ADVERTISE_URL) of the node whose lease on it is
// in force, from the nodes' table room_leases.
func leaseOwners(ctx context.Context, databaseURL string, rooms []string) (map[string]string, error) {
	conn, err := pgx.Connect(ctx, databaseURL)
	if err != nil {
		return nil, err
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT room_id, addr FROM room_leases WHERE room_id = ANY($1) AND expires_at > now()`, rooms)
	if err != nil {
		return nil, fmt.Errorf("failover: find the rooms' owners in room_leases: %w", err)
	}
	owners := map[string]string{}
	for rows.Next() {
		var room, addr string
		if err := rows.Scan(&room, &addr); err != nil {
			return nil, err
		}
		owners[room] = strings.TrimSuffix(addr, "/")
	}
	return owners, rows.Err()
}

// mostOwning returns the index in urls of the node that owns the most rooms, and its rooms.
func mostOwning(urls []string, owners map[string]string) (int, []string, error) {
	owned := make([][]string, len(urls))
	for room, addr := range owners {
		i := slices.Index(urls, addr)
		if i < 0 {
			return 0, nil, fmt.Errorf("failover: room_leases names %q as an owner, which is none of the nodes %q", addr, urls)
		}
		owned[i] = append(owned[i], room)
	}
	most := 0
	for i := range owned {
		if len(owned[i]) > len(owned[most]) {
			most = i
		}
	}
	if len(owned[most]) == 0 {
		return 0, nil, errors.New("failover: room_leases holds no lease in force on the rooms")
	}
	slices.Sort(owned[most])
	return most, owned[most], nil
}

// room is a room of the failover and its clients.
type room struct {
	name    string
	clients []*client // set before the clients start

	mu sync.Mutex // guards armed and the clients' acked, killClock and recovered
	// armed is set once the room's owner was killed: the clients' recovery is measured.
	armed bool
}

// arm records each client's clock, once the owner is dead, and starts measuring.
func (r *room) arm() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, cl := range r.clients {
		cl.mu.Lock()
		cl.killClock = cl.doc.StateVector()[cl.id]
		cl.mu.Unlock()
	}
	r.armed = true
}

// received records what client by has applied, state vector sv, at now.
func (r *room) received(by *client, sv crdt.StateVector, now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, cl := range r.clients {
		if cl == by || sv[cl.id] <= cl.acked {
			continue
		}
		cl.acked = sv[cl.id]
		if r.armed && cl.recovered.IsZero() && cl.acked > cl.killClock {
			cl.recovered = now
		}
	}
}

// client is a y-websocket client that types into its room's "code" text and reconnects when
// its connection ends, as the web app does. Keystrokes typed while it is disconnected reach
// the room with the sync of its next connection.
type client struct {
	id   uint64
	room *room
	url  string

	mu   sync.Mutex // guards doc, text and conn
	doc  *crdt.Doc
	text *crdt.Text
	// conn is the connection keystrokes go to: set once the server asked for the client's
	// state (its sync step 1) and got it, nil between connections.
	conn *websocket.Conn

	// Guarded by room.mu.
	acked     uint64    // the client's clock as the other clients of its room have applied it
	killClock uint64    // its clock once the owner was dead: the keystrokes typed after
	recovered time.Time // when another client first applied a keystroke typed after the kill
}

func newClient(r *room, id uint64, url string) (*client, error) {
	doc, err := crdt.NewDoc(crdt.Options{ClientID: id})
	if err != nil {
		return nil, err
	}
	text, err := doc.GetText("code")
	if err != nil {
		return nil, err
	}
	return &client{id: id, room: r, url: url, doc: doc, text: text}, nil
}

// run types rate keystrokes per second and keeps the client connected until ctx ends. It
// returns an error only for a local failure; connections that fail are made again.
func (c *client) run(ctx context.Context, rate float64) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	typed := make(chan error, 1)
	go func() { typed <- c.typeAway(ctx, rate); cancel() }()
	for ctx.Err() == nil {
		_ = c.session(ctx) // a connection ends in an error, the reason to reconnect
		select {
		case <-ctx.Done():
		case <-time.After(reconnectDelay):
		}
	}
	return <-typed
}

// session connects, syncs and applies what the server sends until the connection ends.
func (c *client) session(ctx context.Context) error {
	dialCtx, cancel := context.WithTimeout(ctx, dialTimeout)
	conn, _, err := websocket.Dial(dialCtx, c.url, nil)
	cancel()
	if err != nil {
		return err
	}
	defer conn.CloseNow()
	defer func() {
		c.mu.Lock()
		c.conn = nil
		c.mu.Unlock()
	}()
	conn.SetReadLimit(64 << 20)
	c.mu.Lock()
	sv := c.doc.EncodeStateVector()
	c.mu.Unlock()
	if err := write(ctx, conn, protocol.EncodeSyncStep1(sv)); err != nil {
		return err
	}
	for {
		_, msg, err := conn.Read(ctx)
		if err != nil {
			return err
		}
		if err := c.handle(ctx, conn, msg); err != nil {
			return err
		}
	}
}

// handle applies a message of the server.
func (c *client) handle(ctx context.Context, conn *websocket.Conn, msg []byte) error {
	m, err := protocol.DecodeMessage(msg)
	switch {
	case errors.Is(err, protocol.ErrUnknownMessageType):
		return nil // y-websocket ignores them too
	case err != nil:
		return err
	case m.Type == protocol.MessageAuth:
		return fmt.Errorf("permission denied: %s", m.Reason)
	case m.Type != protocol.MessageSync:
		return nil
	case m.SyncType == protocol.SyncStep1:
		// Answer with what the server lacks and send keystrokes from now on, in one step so
		// that none falls between: the ones typed offline are in the answer.
		c.mu.Lock()
		defer c.mu.Unlock()
		update, err := c.doc.EncodeStateAsUpdate(m.Payload)
		if err != nil {
			return err
		}
		c.conn = conn
		return write(ctx, conn, protocol.EncodeSyncStep2(update))
	}
	c.mu.Lock()
	err = c.doc.ApplyUpdate(m.Payload)
	sv := c.doc.StateVector()
	c.mu.Unlock()
	if err != nil {
		return err
	}
	c.room.received(c, sv, time.Now())
	return nil
}

// typeAway types a letter at a random position rate times a second, from a random offset,
// until ctx ends, connected or not.
func (c *client) typeAway(ctx context.Context, rate float64) error {
	interval := time.Duration(float64(time.Second) / rate)
	select {
	case <-ctx.Done():
		return nil
	case <-time.After(rand.N(interval)):
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		if err := c.keystroke(ctx); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// keystroke types one letter and sends it if the client is connected; a failed send closes
// the connection, which the client then makes again.
func (c *client) keystroke(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	pos := rand.IntN(c.text.Len() + 1)
	update, err := c.doc.Transact(func(tx *crdt.Transaction) error {
		return c.text.Insert(tx, pos, string(rune('a'+rand.IntN(26))))
	})
	if err != nil {
		return fmt.Errorf("client %d: type: %w", c.id, err)
	}
	if c.conn != nil {
		if err := write(ctx, c.conn, protocol.EncodeSyncUpdate(update)); err != nil {
			c.conn.CloseNow()
		}
	}
	return nil
}

func write(ctx context.Context, conn *websocket.Conn, msg []byte) error {
	ctx, cancel := context.WithTimeout(ctx, writeTimeout)
	defer cancel()
	return conn.Write(ctx, websocket.MessageBinary, msg)
}
