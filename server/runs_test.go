package server

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pairpad/pairpad/language"
	"github.com/pairpad/pairpad/sandbox"
)

// newSandbox returns the machine's sandbox, or skips the test when bwrap is missing, unless
// REQUIRE_SANDBOX=1 (as in CI): then it fails.
func newSandbox(t *testing.T) *sandbox.Sandbox {
	t.Helper()
	sb, err := sandbox.New(sandbox.Options{Limits: sandbox.Limits{WallTime: 20 * time.Second}})
	if errors.Is(err, sandbox.ErrUnavailable) && os.Getenv("REQUIRE_SANDBOX") != "1" {
		t.Skipf("no sandbox here (REQUIRE_SANDBOX=1 makes this a failure): %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return sb
}

// setCode makes room id's code code, through a seed client, and waits until the room has it.
func (ts *testServer) setCode(t *testing.T, id, code string) {
	t.Helper()
	c := dialSeed(t, ts, id)
	defer c.closeNow()
	await(t, ts.sig, "the seed client's first code", func() bool { return c.Count() > 0 })
	c.sendCode(code)
	await(t, ts.sig, "the room's code", func() bool { return c.Code() == code })
}

// sseEvent is one server-sent event.
type sseEvent struct {
	name string
	data map[string]any
}

// watchEvents opens room link's run events and returns them as they come; the stream ends
// with the test.
func (ts *testServer) watchEvents(t *testing.T, link string) <-chan sseEvent {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", ts.URL+"/rooms/"+link+"/runs/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("GET runs/events = %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	events := make(chan sseEvent, 1024)
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(events)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var e sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				e.name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &e.data); err != nil {
					t.Errorf("event %s: data %q: %v", e.name, line, err)
				}
			case line == "" && e.name != "":
				events <- e
				e = sseEvent{}
			}
		}
	})
	t.Cleanup(func() { cancel(); resp.Body.Close(); wg.Wait() })
	return events
}

// next returns the next event, which must come within d.
func next(t *testing.T, events <-chan sseEvent, d time.Duration) sseEvent {
	t.Helper()
	select {
	case e, ok := <-events:
		if !ok {
			t.Fatal("the event stream ended")
		}
		return e
	case <-time.After(d):
		t.Fatalf("no event within %v", d)
	}
	return sseEvent{}
}

const pythonRun = `import sys, time
print("hello", flush=True)
time.sleep(0.5)
print(input().upper(), flush=True)
print("oops", file=sys.stderr, flush=True)
sys.exit(3)
`

// TestRunRoom runs a room's code while another user watches: the watcher sees the start, the
// first line before the program ends, and the finished run, which the POST answers too and the
// store keeps.
func TestRunRoom(t *testing.T) {
	sb := newSandbox(t)
	ts := newTestServer(t, Options{Run: RunOptions{Sandbox: sb}})
	r := ts.createOwnedRoom(t)
	ts.setCode(t, r.id, pythonRun)
	events := ts.watchEvents(t, r.view) // a viewer watches
	if e := next(t, events, 5*time.Second); e.name != "runs" || len(e.data["runs"].([]any)) != 0 || e.data["active"] != nil {
		t.Fatalf("first event = %+v, want runs with none", e)
	}

	type answer struct {
		status int
		body   map[string]any
	}
	done := make(chan answer, 1)
	go func() {
		status, body := ts.do(t, "POST", "/rooms/"+r.id+"/run", `{"stdin":"shout\n","name":"Alice"}`)
		done <- answer{status, body}
	}()
	start := next(t, events, 10*time.Second)
	if start.name != "start" || start.data["startedBy"] != "Alice" || start.data["language"] != "python" {
		t.Fatalf("event = %+v, want the start of Alice's python run", start)
	}
	runID := start.data["runId"].(string)
	var stdout, stderr strings.Builder
	var finish sseEvent
	// collect reads events until until holds, adding each output to its stream.
	collect := func(until func() bool) {
		t.Helper()
		for !until() {
			e := next(t, events, 20*time.Second)
			switch {
			case e.name == "output" && e.data["runId"] == runID && e.data["stream"] == "stdout":
				stdout.WriteString(e.data["data"].(string))
			case e.name == "output" && e.data["runId"] == runID && e.data["stream"] == "stderr":
				stderr.WriteString(e.data["data"].(string))
			case e.name == "finish":
				finish = e
			default:
				t.Fatalf("unexpected event %+v", e)
			}
		}
	}
	// The program sleeps 0.5 s after its first line (which Python writes in two pieces).
	collect(func() bool { return stdout.String() == "hello\n" || finish.name != "" })
	if finish.name != "" {
		t.Fatalf("the run finished before its first line reached the watcher: the output is not live")
	}
	select {
	case a := <-done:
		t.Fatalf("the run answered %v as soon as its first line reached the watcher: the output is not live", a)
	default:
	}
	collect(func() bool { return finish.name != "" })
	a := <-done
	if a.status != http.StatusOK {
		t.Fatalf("POST run = %d %v", a.status, a.body)
	}
	want := map[string]any{"runId": runID, "exitCode": 3.0, "stdout": "hello\nSHOUT\n", "stderr": "oops\n",
		"timedOut": false, "truncated": false, "language": "python", "startedBy": "Alice"}
	for k, v := range want {
		if a.body[k] != v || finish.data[k] != v {
			t.Errorf("%s: answer %v, finish event %v, want %v", k, a.body[k], finish.data[k], v)
		}
	}
	if stdout.String() != want["stdout"] || stderr.String() != want["stderr"] {
		t.Errorf("streamed stdout %q stderr %q", stdout.String(), stderr.String())
	}
	if ms := a.body["durationMs"].(float64); ms < 500 {
		t.Errorf("durationMs = %v, the program sleeps 500 ms", ms)
	}

	status, got := ts.do(t, "GET", "/rooms/"+r.view+"/runs", "")
	runs, _ := got["runs"].([]any)
	if status != http.StatusOK || len(runs) != 1 || runs[0].(map[string]any)["stdout"] != "hello\nSHOUT\n" || got["active"] != nil {
		t.Fatalf("GET runs = %d %v", status, got)
	}
	stored, err := ts.store.Runs(t.Context(), r.id, 10)
	if err != nil || len(stored) != 1 || stored[0].ID != runID || stored[0].ExitCode != 3 || stored[0].Stderr != "oops\n" {
		t.Fatalf("the store keeps %+v (%v)", stored, err)
	}
}

// TestRunRefusals covers who may not run, and when.
func TestRunRefusals(t *testing.T) {
	sb := newSandbox(t)
	ts := newTestServer(t, Options{Run: RunOptions{Sandbox: sb, RoomRate: RateLimit{Rate: 0.001, Burst: 2}}})
	r := ts.createOwnedRoom(t)

	status, got := ts.do(t, "POST", "/rooms/"+r.view+"/run", "")
	wantStatus(t, "run with the view link", status, got, http.StatusForbidden, "read_only")
	status, got = ts.do(t, "POST", "/rooms/nosuchroom/run", "")
	wantStatus(t, "run of an unknown room", status, got, http.StatusNotFound, "not_found")
	status, got = ts.do(t, "POST", "/rooms/"+r.id+"/run", `{"name":"`+strings.Repeat("n", 65)+`"}`)
	wantStatus(t, "run with a long name", status, got, http.StatusUnprocessableEntity, "validation")

	// A run in progress: a second one is a conflict; stopping it ends it at once.
	ts.setCode(t, r.id, "import time\ntime.sleep(30)\n")
	events := ts.watchEvents(t, r.id)
	next(t, events, 5*time.Second)
	done := make(chan map[string]any, 1)
	go func() { _, body := ts.do(t, "POST", "/rooms/"+r.id+"/run", ""); done <- body }()
	start := next(t, events, 10*time.Second)
	status, got = ts.do(t, "POST", "/rooms/"+r.id+"/run", "")
	wantStatus(t, "a second run", status, got, http.StatusConflict, "conflict")
	status, got = ts.do(t, "POST", "/rooms/"+r.view+"/runs/"+start.data["runId"].(string)+"/stop", "")
	wantStatus(t, "stop with the view link", status, got, http.StatusForbidden, "read_only")
	stopped := time.Now()
	if status, got = ts.do(t, "POST", "/rooms/"+r.id+"/runs/"+start.data["runId"].(string)+"/stop", ""); status != http.StatusAccepted {
		t.Fatalf("stop = %d %v", status, got)
	}
	body := <-done
	if time.Since(stopped) > 5*time.Second || body["exitCode"] == 0.0 || body["timedOut"] == true {
		t.Errorf("the stopped run answered %v after %v", body, time.Since(stopped))
	}
	status, got = ts.do(t, "POST", "/rooms/"+r.id+"/runs/"+start.data["runId"].(string)+"/stop", "")
	wantStatus(t, "stop of a finished run", status, got, http.StatusNotFound, "not_found")

	// The room's burst of 2 is spent: the run above, and the one refused as a conflict.
	status, got = ts.do(t, "POST", "/rooms/"+r.id+"/run", "")
	wantStatus(t, "a run past the room's rate", status, got, http.StatusTooManyRequests, "rate_limited")

	// A locked room runs nothing, even for its editors.
	ts.doAs(t, r.token, "PATCH", "/rooms/"+r.id, `{"locked":true}`)
	status, got = ts.do(t, "POST", "/rooms/"+r.id+"/run", "")
	wantStatus(t, "run in a locked room", status, got, http.StatusForbidden, "read_only")
}

// TestRunCannotReachServer: a run's socket to the server's own port fails (no network in the
// sandbox), and the server goes on.
func TestRunCannotReachServer(t *testing.T) {
	sb := newSandbox(t)
	ts := newTestServer(t, Options{Run: RunOptions{Sandbox: sb}})
	id := ts.createRoom(t, "python")
	port := ts.Listener.Addr().(*net.TCPAddr).Port
	ts.setCode(t, id, fmt.Sprintf("import urllib.request\nprint(urllib.request.urlopen('http://127.0.0.1:%d/health', timeout=2).read())\n", port))
	status, got := ts.do(t, "POST", "/rooms/"+id+"/run", "")
	if status != http.StatusOK || got["exitCode"] == 0.0 || strings.Contains(got["stdout"].(string), "ok") ||
		!strings.Contains(got["stderr"].(string), "Connection refused") {
		t.Errorf("a run that calls the server: %d %v", status, got)
	}
	if status, _ := ts.do(t, "GET", "/health", ""); status != http.StatusOK {
		t.Errorf("GET /health after the run = %d", status)
	}
}

// TestRunLanguages: GET /languages says which languages run, and a room in another one gets a
// 422 that names those that do.
func TestRunLanguages(t *testing.T) {
	sb := newSandbox(t)
	ts := newTestServer(t, Options{Run: RunOptions{Sandbox: sb}})
	var langs []languageResponse
	getJSON(t, ts.URL+"/languages", &langs)
	var notRunnable string
	for _, l := range langs {
		if l.Runnable != slices.Contains(sb.Languages(), l.ID) {
			t.Errorf("%s: runnable %v, the sandbox runs %v", l.ID, l.Runnable, sb.Languages())
		}
		if !l.Runnable {
			notRunnable = l.ID
		}
	}
	if notRunnable == "" {
		t.Skip("every language of the catalogue runs on this machine")
	}
	id := ts.createRoom(t, notRunnable)
	status, got := ts.do(t, "POST", "/rooms/"+id+"/run", "")
	wantStatus(t, "run of "+notRunnable, status, got, http.StatusUnprocessableEntity, "language_not_runnable")
	if l, _ := language.Lookup(notRunnable); !strings.Contains(got["detail"].(string), l.Name) {
		t.Errorf("detail %q does not name %s", got["detail"], l.Name)
	}
}

// TestRunOff: without a sandbox, a run is a 503 that says why, and no language is runnable.
func TestRunOff(t *testing.T) {
	ts := newTestServer(t, Options{Run: RunOptions{Off: "RUN_ENABLED is false"}})
	id := ts.createRoom(t, "python")
	status, got := ts.do(t, "POST", "/rooms/"+id+"/run", "")
	wantStatus(t, "run with running off", status, got, http.StatusServiceUnavailable, "unavailable")
	if !strings.Contains(got["detail"].(string), "RUN_ENABLED is false") {
		t.Errorf("detail %q does not say why", got["detail"])
	}
	var langs []languageResponse
	getJSON(t, ts.URL+"/languages", &langs)
	for _, l := range langs {
		if l.Runnable {
			t.Errorf("%s is runnable with running off", l.ID)
		}
	}
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}
