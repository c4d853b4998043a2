// Package load is `pairpad load`: a load generator that drives any y-websocket server (or a
// Hocuspocus 3.x server) with rooms of clients that type, and measures how long each keystroke
// takes to reach the other clients of its room.
//
// Every client is a real Yjs peer: a crdt.Doc with a client id of its own, synced with its room
// (sync step 1 and 2), that announces an awareness state and types one letter at a time at a
// random position of the room's "code" text, each keystroke sent as a sync update.
//
// A keystroke is identified by its client id and clock, the clock at which its letter was
// inserted. A client has received keystroke (c, k) once its document's state vector for c
// reaches k+1 after applying a message; so an update the server relays for several keystrokes
// at once counts for each of them. Latency is the time from just before the keystroke is sent
// to the moment a receiver has applied it, both on this process's monotonic clock. A keystroke
// is expected at each of the other clients of its room; the report gives delivered/expected,
// the latency's percentiles, the errors, and the CPU this process used, so that a saturated
// generator shows.
//
// Keystrokes follow a schedule per client (Options.Rate, at a random offset per client), kept
// by a few scheduler goroutines; a keystroke sent more than LateAfter after its slot counts as
// late. Each connection has one reader goroutine. The keystrokes of the warm-up are sent but
// not measured.
//
// With Options.PID the report includes the server process's CPU time during the measurement
// (per keystroke too) and its resident memory (per connection too), read from /proc.
package load
