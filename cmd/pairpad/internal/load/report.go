package load

import (
	"fmt"
	"io"
	"math"
	"slices"
	"time"
)

// Report is what a run measured. Its JSON form is the output of `pairpad load -json`.
type Report struct {
	Mode     Mode    `json:"mode"`
	Protocol string  `json:"protocol"`
	URL      string  `json:"url"`
	Rooms    int     `json:"rooms"`
	Clients  int     `json:"clients"`
	Rate     float64 `json:"rate"`
	Seconds  float64 `json:"duration_s"`
	// Connections is how many of the Rooms*Clients connections synced.
	Connections int `json:"connections"`
	// Keystrokes is how many keystrokes were sent during the measurement.
	Keystrokes int64 `json:"keystrokes"`
	// Expected counts a keystroke once for every other client of its room; Delivered counts
	// those that arrived before the run ended (at most 5 s after the measurement).
	Expected  int64 `json:"expected"`
	Delivered int64 `json:"delivered"`
	// Latency is the time from sending a keystroke to its arrival at another client, over
	// every delivery.
	Latency Latency `json:"latency_ms"`
	// Late counts the keystrokes sent more than LateAfter after their slot in the schedule: a
	// generator that cannot keep up shows here.
	Late      int64   `json:"late"`
	MaxLateMS float64 `json:"max_late_ms"`
	// Joins and JoinLatency (dial to synced) are the churning clients' (Churn mode).
	Joins       int64    `json:"joins,omitempty"`
	JoinLatency *Latency `json:"join_ms,omitempty"`
	// Errors counts failed dials and syncs, connections the server closed or broke, and
	// messages that could not be read; ErrorSamples are the first few.
	Errors       int64    `json:"errors"`
	ErrorSamples []string `json:"error_samples,omitempty"`
	// Diverged counts the rooms whose connected clients hold different texts at the end.
	Diverged int `json:"diverged_rooms"`
	// GeneratorCores is the CPU the load generator used during the measurement, in cores, out
	// of GeneratorCPUs.
	GeneratorCores float64 `json:"generator_cores"`
	GeneratorCPUs  int     `json:"generator_cpus"`
	// GeneratorRSSPerConn is the growth of the generator's resident memory while it connected,
	// per connection.
	GeneratorRSSPerConn float64 `json:"generator_rss_per_conn_bytes"`
	// Server is the server process's use of the machine, with Options.PID.
	Server *ServerUsage `json:"server,omitempty"`
}

// ServerUsage is what the server process used: CPU during the measurement, resident memory
// at its end.
type ServerUsage struct {
	Cores float64 `json:"cores"`
	// CPUPerKeystrokeUS is CPU time per keystroke sent during the measurement (each one relayed
	// to every other client of its room), in microseconds.
	CPUPerKeystrokeUS float64 `json:"cpu_per_keystroke_us,omitempty"`
	RSSBytes          int64   `json:"rss_bytes"`
	// RSSPerConn is the growth of the resident memory from before the clients connected to the
	// end of the measurement, per connection.
	RSSPerConn float64 `json:"rss_per_conn_bytes"`
}

// LateAfter is how far behind its slot a keystroke may be sent before it counts as late.
const LateAfter = 5 * time.Millisecond

// Latency summarizes durations, in milliseconds.
type Latency struct {
	P50 float64 `json:"p50"`
	P90 float64 `json:"p90"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// summarize returns the nearest-rank percentiles of samples (nanoseconds): the p-th percentile
// is the smallest sample that at least p% of the samples do not exceed. It sorts samples.
// No samples give zeros.
func summarize(samples []int64) Latency {
	if len(samples) == 0 {
		return Latency{}
	}
	slices.Sort(samples)
	rank := func(p float64) float64 {
		i := int(math.Ceil(p/100*float64(len(samples)))) - 1
		return ms(samples[max(i, 0)])
	}
	return Latency{P50: rank(50), P90: rank(90), P99: rank(99), Max: ms(samples[len(samples)-1])}
}

// ms turns nanoseconds into milliseconds, rounded to the microsecond.
func ms(ns int64) float64 { return math.Round(float64(ns)/1e3) / 1e3 }

// Share is Delivered/Expected, 1 when nothing was expected.
func (r *Report) Share() float64 {
	if r.Expected == 0 {
		return 1
	}
	return float64(r.Delivered) / float64(r.Expected)
}

// OK tells whether the run was correct: every keystroke delivered, no errors, every room's
// clients agree.
func (r *Report) OK() bool {
	return r.Delivered == r.Expected && r.Errors == 0 && r.Diverged == 0 && r.Connections == r.Rooms*r.Clients
}

// WriteText writes the report for people.
func (r *Report) WriteText(w io.Writer) error {
	p := &printer{w: w}
	p.printf("pairpad load: %s, %d rooms x %d clients", r.Mode, r.Rooms, r.Clients)
	if r.Mode != Idle {
		p.printf(" x %g keystrokes/s", r.Rate)
	}
	p.printf(" for %gs, %s %s\n", r.Seconds, r.Protocol, r.URL)
	p.printf("connections  %d of %d synced\n", r.Connections, r.Rooms*r.Clients)
	if r.Mode != Idle {
		p.printf("keystrokes   %d sent, %d of %d deliveries (%.3f%%)\n", r.Keystrokes, r.Delivered, r.Expected, 100*r.Share())
		p.printf("latency      %s\n", r.Latency)
		p.printf("late         %d keystrokes sent more than %v after their slot (worst %.3f ms)\n", r.Late, LateAfter, r.MaxLateMS)
	}
	if r.JoinLatency != nil {
		p.printf("joins        %d, dial to synced %s\n", r.Joins, *r.JoinLatency)
	}
	p.printf("errors       %d", r.Errors)
	for _, e := range r.ErrorSamples {
		p.printf("; %s", e)
	}
	p.printf("\ndiverged     %d rooms\n", r.Diverged)
	p.printf("generator    %.2f of %d cores, %.1f KB per connection\n", r.GeneratorCores, r.GeneratorCPUs, r.GeneratorRSSPerConn/1e3)
	if s := r.Server; s != nil {
		p.printf("server       %.2f cores", s.Cores)
		if s.CPUPerKeystrokeUS > 0 {
			p.printf(", %.1f µs CPU per keystroke", s.CPUPerKeystrokeUS)
		}
		p.printf(", RSS %.1f MB, %.1f KB per connection\n", float64(s.RSSBytes)/1e6, s.RSSPerConn/1e3)
	}
	return p.err
}

func (l Latency) String() string {
	return fmt.Sprintf("p50 %.3f ms  p90 %.3f ms  p99 %.3f ms  max %.3f ms", l.P50, l.P90, l.P99, l.Max)
}

// printer keeps the first write error, so that WriteText checks once.
type printer struct {
	w   io.Writer
	err error
}

func (p *printer) printf(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}
