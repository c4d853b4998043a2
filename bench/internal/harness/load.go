package harness

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
)

// Report is the part of `pairpad load -json`'s output that the benchmarks read.
type Report struct {
	Connections int   `json:"connections"`
	Expected    int64 `json:"expected"`
	Delivered   int64 `json:"delivered"`
	Latency     struct {
		P50 float64 `json:"p50"`
		P99 float64 `json:"p99"`
	} `json:"latency_ms"`
	Late           int64    `json:"late"`
	Errors         int64    `json:"errors"`
	ErrorSamples   []string `json:"error_samples"`
	GeneratorCores float64  `json:"generator_cores"`
	Server         struct {
		Cores             float64 `json:"cores"`
		CPUPerKeystrokeUS float64 `json:"cpu_per_keystroke_us"`
		RSSPerConn        float64 `json:"rss_per_conn_bytes"`
	} `json:"server"`
	// MachineBusy is how busy the machine's cores were during the load, in % (MachineBusy),
	// where the caller measured it; not in the load's report.
	MachineBusy float64 `json:"-"`
}

// Load runs `bin load args -json`, its errors going to stderr, and returns its report. A load
// that lost keystrokes exits 1 but reports: that is a report, and no error. The error reports
// a load that printed no report.
func Load(ctx context.Context, bin string, args []string) (*Report, error) {
	cmd := exec.CommandContext(ctx, bin, append(append([]string{"load"}, args...), "-json")...)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	var r Report
	if jerr := json.Unmarshal(out, &r); jerr != nil {
		return nil, fmt.Errorf("pairpad load printed no report (%v, %v)", err, jerr)
	}
	return &r, nil
}

// Share is the share of the expected deliveries that were made, in %.
func (r *Report) Share() float64 {
	if r.Expected == 0 {
		return 0
	}
	return 100 * float64(r.Delivered) / float64(r.Expected)
}

// Summary is what people want to see of a run beside its RESULT lines, the generator's own
// CPU use among it: a saturated generator measures itself.
func (r *Report) Summary() string {
	s := fmt.Sprintf("%d connections, %d errors", r.Connections, r.Errors)
	if len(r.ErrorSamples) > 0 {
		s += fmt.Sprintf(" (%s)", r.ErrorSamples[0])
	}
	if r.Expected == 0 { // idle
		return s + fmt.Sprintf(", server %.1f KB per connection", r.Server.RSSPerConn/1e3)
	}
	s += fmt.Sprintf(", delivered %.3f%%, p50 %.3f ms, p99 %.3f ms, %d late; server %.2f cores, generator %.2f cores",
		r.Share(), r.Latency.P50, r.Latency.P99, r.Late, r.Server.Cores, r.GeneratorCores)
	if r.MachineBusy > 0 {
		s += fmt.Sprintf(", machine %.0f%% busy", r.MachineBusy)
	}
	return s
}
