package load

import (
	"context"
	"encoding/json"
	"errors"
	"io"
)

// ErrFailed reports a run that lost keystrokes, had errors (failed or closed connections) or
// left a room's clients with different texts.
var ErrFailed = errors.New("load: keystrokes lost, connections failed or rooms diverged")

// Main runs `pairpad load` with the arguments after "load": it parses the flags (see the
// README, or -h), runs, and writes the report to stdout, as JSON with -json. After writing it,
// it returns ErrFailed if the run was not correct (Report.OK).
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	opts, asJSON, err := parseFlags(args, stderr)
	if err != nil {
		return err
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
