package room

// Session is the wire protocol of one connection: it turns the connection's frames into edits
// of the room and the room's events into the connection's frames. Each connection has its own
// Session value, created by NewYjsSession or NewSeedSession; the set of protocols is closed
// (the methods are unexported), so the room knows every rule any of them applies.
//
// The room calls a session only from Step, with the connection it belongs to.
type Session interface {
	// Protocol names the protocol, for logs.
	Protocol() string
	// open greets the connection once it joined.
	open(c *conn)
	// receive handles a frame the connection sent. An error closes the connection: a
	// *closeError says with which code, any other error closes it as malformed.
	receive(c *conn, f Frame) error
	// committed tells the session that the updates of b are durable: relay them.
	committed(c *conn, b *batch)
	// awareness relays an awareness update from another connection, or the room's own
	// removals.
	awareness(c *conn, a *awarenessUpdate)
	// peers tells the session how many connections the room has now.
	peers(c *conn, count *peerCount)
	// tick lets the session send what it held back until now (see conn.wakeAt); keepalive is
	// set when every connection should receive some message.
	tick(c *conn, keepalive bool)
}
