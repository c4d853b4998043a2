package load

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"go.uber.org/goleak"

	"github.com/pairpad/pairpad/server"
	"github.com/pairpad/pairpad/store/embedded"
)

// TestMain fails the package when a run leaves goroutines behind: readers, schedulers or
// churners that outlive Run.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// startPairpad runs a pairpad server on an embedded store in a temporary directory until the
// test ends, and returns its y-websocket base URL.
func startPairpad(t *testing.T) string {
	t.Helper()
	st, err := embedded.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Options{Store: st, Log: zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		ts.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		st.Close()
	})
	return "ws" + strings.TrimPrefix(ts.URL, "http") + "/yjs"
}

// TestLoadAgainstPairpad runs short loads of every mode against a real server and checks that
// they are correct: every keystroke delivered, no errors, every room converged. Speed is for
// make bench-server.
func TestLoadAgainstPairpad(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a server and a load")
	}
	url := startPairpad(t)
	pid := strconv.Itoa(os.Getpid())
	for _, tc := range []struct {
		name  string
		args  []string
		check func(t *testing.T, r *Report)
	}{
		{"type", []string{"-rooms", "5", "-clients", "3", "-rate", "5", "-duration", "2s", "-warmup", "500ms"}, func(t *testing.T, r *Report) {
			if r.Keystrokes < 5*3*5 { // 10 per second would be 150
				t.Errorf("only %d keystrokes measured", r.Keystrokes)
			}
		}},
		{"churn", []string{"-mode", "churn", "-rooms", "3", "-clients", "2", "-duration", "2s", "-warmup", "0", "-pid", pid}, func(t *testing.T, r *Report) {
			if r.Joins == 0 || r.JoinLatency == nil || r.JoinLatency.Max == 0 {
				t.Errorf("no joins measured: %d, %+v", r.Joins, r.JoinLatency)
			}
			if r.Server == nil || r.Server.CPUPerKeystrokeUS <= 0 {
				t.Errorf("no server CPU per keystroke with -pid: %+v", r.Server)
			}
		}},
		{"idle", []string{"-mode", "idle", "-rooms", "4", "-clients", "5", "-duration", "200ms", "-pid", pid}, func(t *testing.T, r *Report) {
			if r.Server == nil || r.Server.RSSBytes == 0 {
				t.Errorf("no server memory with -pid: %+v", r.Server)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			args := append([]string{"-url", url, "-create", "-json"}, tc.args...)
			err := Main(context.Background(), args, &out, os.Stderr)
			var r Report
			if jerr := json.Unmarshal(out.Bytes(), &r); jerr != nil {
				t.Fatalf("Main(%q) = %v, output %q: %v", args, err, out.String(), jerr)
			}
			if err != nil || !r.OK() {
				t.Fatalf("Main(%q) = %v, report:\n%s", args, err, out.String())
			}
			if r.Connections != r.Rooms*r.Clients || r.Delivered != r.Expected {
				t.Fatalf("connections %d, delivered %d of %d", r.Connections, r.Delivered, r.Expected)
			}
			tc.check(t, &r)
		})
	}
}

func TestRunRefusesInvalidOptions(t *testing.T) {
	for _, opts := range []Options{
		{},
		{URL: "http://localhost/yjs"},
		{URL: "ws://localhost/yjs", Protocol: "socket.io"},
		{URL: "ws://localhost/yjs", Mode: "sleep"},
		{URL: "ws://localhost/yjs", Clients: 1},
		{URL: "ws://localhost/yjs", Rooms: -1},
		{URL: "ws://localhost/yjs", Rate: 5000},
	} {
		if _, err := Run(context.Background(), opts); !errors.Is(err, ErrInvalidOptions) {
			t.Errorf("Run(%+v) = %v, want ErrInvalidOptions", opts, err)
		}
	}
}

// TestUnreachableServer checks that connections that fail are errors of the report, and that
// Main says the run failed after writing it.
func TestUnreachableServer(t *testing.T) {
	var out bytes.Buffer
	args := []string{"-url", "ws://127.0.0.1:1/yjs", "-rooms", "2", "-clients", "2", "-json"}
	err := Main(context.Background(), args, &out, os.Stderr)
	var r Report
	if jerr := json.Unmarshal(out.Bytes(), &r); jerr != nil || !errors.Is(err, ErrFailed) {
		t.Fatalf("Main(%q) = %v, want ErrFailed; output %q (%v)", args, err, out.String(), jerr)
	}
	if r.Errors != 4 || r.Connections != 0 || len(r.ErrorSamples) == 0 {
		t.Errorf("errors %d %q, connections %d; want 4 failed dials", r.Errors, r.ErrorSamples, r.Connections)
	}
}
