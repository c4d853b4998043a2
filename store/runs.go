package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Run is one finished run of a room's code.
type Run struct {
	// ID is the run's id, chosen by the server: unique in its room, 1 to MaxRunIDBytes bytes.
	ID        string
	Language  string
	StartedBy string    // who started it: the name the server was given, maybe empty
	StartedAt time.Time // kept to the microsecond
	Duration  time.Duration
	ExitCode  int
	Stdout    string
	Stderr    string
	TimedOut  bool
	Truncated bool
}

// Limits of a Run that CheckRun checks.
const (
	MaxRunIDBytes = 64
	MaxRunOutput  = 1 << 20 // Stdout and Stderr together, in bytes
)

// ErrInvalidRun reports a Run that CheckRun refuses.
var ErrInvalidRun = errors.New("store: invalid run")

// CheckRun returns an error wrapping ErrInvalidRun if r may not be saved.
func CheckRun(r Run) error {
	switch {
	case r.ID == "" || len(r.ID) > MaxRunIDBytes:
		return fmt.Errorf("%w: its id has %d bytes, want 1 to %d", ErrInvalidRun, len(r.ID), MaxRunIDBytes)
	case len(r.Stdout)+len(r.Stderr) > MaxRunOutput:
		return fmt.Errorf("%w: %d bytes of output, more than %d", ErrInvalidRun, len(r.Stdout)+len(r.Stderr), MaxRunOutput)
	}
	return nil
}

// Runs keeps each room's most recent runs. It follows Log's rules: safe for concurrent use, ctx
// honoured, and ErrNotFound for a room CreateRoom did not create or DeleteRoom deleted.
type Runs interface {
	// SaveRun records run as room id's newest run, and drops the room's runs older than its
	// newest keep (keep >= 1), atomically. A run with the ID of one the room has replaces it
	// (and becomes the newest). A run CheckRun refuses is an error wrapping ErrInvalidRun,
	// and changes nothing.
	SaveRun(ctx context.Context, id string, run Run, keep int) error
	// Runs returns room id's runs, newest saved first, at most limit (limit must be positive).
	Runs(ctx context.Context, id string, limit int) ([]Run, error)
}
