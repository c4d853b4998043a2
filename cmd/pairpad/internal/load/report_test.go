package load

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSummarize(t *testing.T) {
	oneToHundred := make([]int64, 100)
	for i := range oneToHundred {
		oneToHundred[i] = int64(100-i) * 1e6 // 100 ms down to 1 ms
	}
	for _, tc := range []struct {
		name    string
		samples []int64
		want    Latency
	}{
		{"none", nil, Latency{}},
		{"one", []int64{2_500_000}, Latency{P50: 2.5, P90: 2.5, P99: 2.5, Max: 2.5}},
		{"two", []int64{3e6, 1e6}, Latency{P50: 1, P90: 3, P99: 3, Max: 3}},
		{"1 to 100 ms", oneToHundred, Latency{P50: 50, P90: 90, P99: 99, Max: 100}},
		{"rounded to the microsecond", []int64{1_234_567}, Latency{P50: 1.235, P90: 1.235, P99: 1.235, Max: 1.235}},
		{"one outlier in a hundred is the max, not the p99", append(make([]int64, 99), 1e9), Latency{Max: 1000}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := summarize(tc.samples)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("summarize mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReportOK(t *testing.T) {
	good := Report{Rooms: 2, Clients: 3, Connections: 6, Expected: 10, Delivered: 10}
	for _, tc := range []struct {
		name   string
		change func(r *Report)
		want   bool
	}{
		{"all delivered", func(*Report) {}, true},
		{"one lost", func(r *Report) { r.Delivered-- }, false},
		{"an error", func(r *Report) { r.Errors = 1 }, false},
		{"a room diverged", func(r *Report) { r.Diverged = 1 }, false},
		{"a client never synced", func(r *Report) { r.Connections-- }, false},
	} {
		r := good
		tc.change(&r)
		if got := r.OK(); got != tc.want {
			t.Errorf("%s: OK() = %v, want %v", tc.name, got, tc.want)
		}
	}
}
