package server

import (
	"io"
	"net/http"
	"regexp"
	"strconv"
	"testing"

	"github.com/pairpad/pairpad/crdt"
)

// scrape returns the value of every sample of GET /metrics, keyed by name and labels as written.
func (ts *testServer) scrape(t *testing.T) map[string]float64 {
	t.Helper()
	resp, err := http.Get(ts.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics = %d, %v", resp.StatusCode, err)
	}
	samples := make(map[string]float64)
	for _, m := range regexp.MustCompile(`(?m)^([a-z_]+(?:\{[^}]*\})?) (\S+)$`).FindAllStringSubmatch(string(body), -1) {
		v, err := strconv.ParseFloat(m[2], 64)
		if err != nil {
			t.Fatalf("sample %s: %v", m[0], err)
		}
		samples[m[1]] = v
	}
	return samples
}

// The metrics follow what happened: a live room, its connections by protocol, the updates it
// committed and the frames it relayed.
func TestMetrics(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Options{})
	id := ts.createRoom(t, "")
	a := dialYjs(t, ts, id, 1)
	b := dialYjs(t, ts, id, 2)
	l := dialSeed(t, ts, id)
	await(t, ts.sig, "everyone to sync", func() bool { return a.String() != "" && b.String() != "" && l.Count() == 3 })
	a.edit(func(tx *crdt.Transaction, x *crdt.Text) error { return x.Insert(tx, 0, "metrics ") })
	await(t, ts.sig, "b to get a's edit", func() bool { return b.String() == a.String() })

	got := ts.scrape(t)
	for name, check := range map[string]func(float64) bool{
		`pairpad_rooms_live`:                      func(v float64) bool { return v == 1 },
		`pairpad_connections{protocol="yjs"}`:     func(v float64) bool { return v == 2 },
		`pairpad_connections{protocol="json"}`:    func(v float64) bool { return v == 1 },
		`pairpad_updates_in_total`:                func(v float64) bool { return v >= 1 },
		`pairpad_commit_seconds_count`:            func(v float64) bool { return v >= 1 },
		`pairpad_commit_rooms_count`:              func(v float64) bool { return v >= 1 },
		`pairpad_update_durable_seconds_count`:    func(v float64) bool { return v >= 1 },
		`pairpad_frames_out_total`:                func(v float64) bool { return v >= 6 },
		`pairpad_bytes_out_total`:                 func(v float64) bool { return v > 0 },
		`pairpad_room_load_seconds_count`:         func(v float64) bool { return v == 1 },
		`pairpad_send_queue_overflows_total`:      func(v float64) bool { return v == 0 },
		`pairpad_store_errors_total{op="append"}`: func(v float64) bool { return v == 0 },
		`go_goroutines`:                           func(v float64) bool { return v > 0 },
		`process_resident_memory_bytes`:           func(v float64) bool { return v > 0 },
	} {
		if v, ok := got[name]; !ok || !check(v) {
			t.Errorf("%s = %v (present: %v)", name, v, ok)
		}
	}

	for _, c := range []interface{ closeNow() }{a, b, l} {
		c.closeNow()
	}
	ts.awaitIdle(t)
	got = ts.scrape(t)
	if got[`pairpad_rooms_live`] != 0 || got[`pairpad_compaction_seconds_count`] != 1 {
		t.Errorf("after everyone left: rooms live %v, compactions %v; want 0 and 1", got[`pairpad_rooms_live`], got[`pairpad_compaction_seconds_count`])
	}
}
