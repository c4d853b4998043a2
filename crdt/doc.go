// Package crdt is a Go implementation of the Yjs CRDT, wire-compatible with yjs 13.6 (update
// format v1): documents hold shared types (Text, Map, Array and the XML types) whose concurrent
// edits merge without conflicts, and exchange updates that any unmodified Yjs peer can apply.
//
// The package is a pure state machine: bytes and local edits go in, updates and state come out.
// It does no I/O, starts no goroutines and reads no clock or randomness of its own; client ids are
// passed in. A Doc is not safe for concurrent use: its owner serializes access.
//
// Vocabulary follows Yjs so that readers of the Yjs sources find their way: an ID is
// {Client, Clock}; an Item carries content with an Origin (the item to its left when it was
// created) and a RightOrigin; a StateVector maps each client to the next clock expected from it;
// a DeleteSet lists deleted ID ranges; EncodeStateAsUpdate writes everything a peer lacks.
//
// Positions and lengths of text count UTF-16 code units, as JavaScript and CodeMirror do.
package crdt
