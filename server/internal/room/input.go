package room

import "time"

// Input is what a Room can be stepped with: Join, Receive, Leave, Committed, Compacted, Tick,
// Query, Access, Evict and Stop. Nothing else is accepted.
type Input interface{ input() }

// Join adds a connection to the room. Its session greets it, and everyone is told the new
// number of connections.
type Join struct {
	Conn    ConnID
	Role    Role
	Session Session
	At      time.Time
	// Address is the client's address, which Options.InboundBytesPerSecond budgets across all
	// its connections to the room; "" gives the connection a budget of its own.
	Address string
	// Link is the id the connection opened the room with. A room that knows its links
	// (Stored.Links, Access) refuses a link not among them, and closes the connection when
	// its link is replaced, with CloseLinkRevoked.
	Link string
}

// Receive hands the room one frame a connection sent.
type Receive struct {
	Conn  ConnID
	Frame Frame
	At    time.Time
}

// Leave removes a connection that ended. The awareness states it announced are removed and
// everyone is told; a connection the room closed itself has left already.
type Leave struct {
	Conn ConnID
}

// Committed reports the outcome of appending the updates of the last Ready.Append. Seq is the
// sequence number of the last of them in the op log. An error is fatal to the room: every
// connection is closed (clients keep their edits and resend them when they reconnect) and the
// room stops.
type Committed struct {
	Seq uint64
	Err error
	At  time.Time // when the commit finished
}

// Compacted reports the outcome of writing the last Ready.Snapshot. A failed compaction is not
// fatal (the log still holds everything); it is tried again after a later commit.
type Compacted struct {
	Err error
}

// Tick tells the room the time; step it when NextTick is due. It expires awareness states
// nobody renewed, sends keepalives and lets sessions send what they held back.
type Tick struct {
	Now time.Time
}

// Query asks for the room's code and language once everything the room accepted before it is
// durable, after setting the language first when Language is not empty (the caller checks it
// is a known one), which Role must be allowed to (else the Reply's Err is ErrReadOnly). The
// answer is a Reply with the same ID.
type Query struct {
	ID       uint64
	Language string
	Role     Role
	Link     string // the id it came with: one the room no longer knows gets ErrLinkRevoked
	History  bool   // also answer the version being written (Reply.Open)
	At       time.Time
}

// Access sets the room's links and lock, as its owner changed them. A connection that joined
// with a link no longer in Links is closed with CloseLinkRevoked (nil Links: any link opens the
// room). Locked makes every connection a viewer, its edits refused, until an Access that is not
// Locked; everyone is told through the awareness state of ServerClientID (LockState).
type Access struct {
	Links  []string
	Locked bool
	At     time.Time
}

// Evict closes every connection with Code and Reason: the room was deleted.
type Evict struct {
	Code   CloseCode
	Reason string
}

// Stop ends the room: what was accepted is committed, the log is compacted, every connection is
// closed as going away, and the last Ready has Stopped set.
type Stop struct{}

func (Join) input()      {}
func (Receive) input()   {}
func (Leave) input()     {}
func (Committed) input() {}
func (Compacted) input() {}
func (Tick) input()      {}
func (Query) input()     {}
func (Access) input()    {}
func (Evict) input()     {}
func (Stop) input()      {}
