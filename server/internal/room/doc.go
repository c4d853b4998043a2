// Package room is the core of a live room: a state machine that holds the room's document, its
// connections and their awareness, and applies every protocol rule, with no I/O of its own. It
// works in the manner of raft's RawNode: the caller steps it with typed inputs (a connection
// joined, sent a frame or left; a commit or a compaction finished; a timer fired; a REST
// request) and then acts on the Ready it returns (frames to send, updates to append, a snapshot
// to write, connections to close, replies to give).
//
// Each connection speaks a wire protocol through its Session: NewYjsSession for y-websocket's
// binary protocol, NewSeedSession for the seed's JSON protocol. A session turns its frames into
// edits of the room and the room's events into its frames; nothing else asks which protocol a
// connection speaks. A connection's Role is checked by the room in one place, conn.applyUpdate.
//
// The durability contract: an update is handed out in Ready.Append and relayed to nobody, nor
// shown in any reply, until the caller has stepped Committed for it.
//
// A Room is not safe for concurrent use: one goroutine owns it. It reads no clock (every input
// that needs the time carries it) and draws no random numbers, so a script of inputs always
// yields the same outputs (see the scripts in testdata).
package room
