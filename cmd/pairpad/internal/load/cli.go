package load

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"runtime/debug"
)

// ErrFailed reports a run that lost keystrokes, had errors (failed or closed connections) or
// left a room's clients with different texts.
var ErrFailed = errors.New("load: keystrokes lost, connections failed or rooms diverged")

// generatorGCPercent is the garbage collector's GOGC in `pairpad load` (unless GOGC is set): a
// collection takes one of the generator's cores from its readers, and the keystrokes that
// arrive meanwhile count it as latency. At the default of 100 a 200-room run collected every
// second or so and its p99 was 1.5 to 2 times what it is at 400, which costs memory instead.
const generatorGCPercent = 400

// Main runs `pairpad load` with the arguments after "load": it parses the flags (see the
// README, or -h), runs, and writes the report to stdout, as JSON with -json. After writing it,
// it returns ErrFailed if the run was not correct (Report.OK).
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	opts, asJSON, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(generatorGCPercent)
	}
	rep, err := Run(ctx, opts)
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(rep)
	} else {
		err = rep.WriteText(stdout)
	}
	if err != nil {
		return err
	}
	if !rep.OK() {
		return ErrFailed
	}
	return nil
}
