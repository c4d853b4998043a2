package main

import (
	"fmt"
	"strings"
	"time"
)

// Markdown formats r as a table with one row per language and every engine's
// figure side by side in each cell ("builtin / baseline").
func (r Report) Markdown() string {
	var b strings.Builder
	names := strings.Join(r.Engines, " / ")
	fmt.Fprintf(&b, "Seed %d, %d samples per language; each cell: %s.\n\n", r.Seed, r.Samples, names)
	b.WriteString("| language | files | samples | chars saved | outside licence notices | next token | wrong shown | empty | p50 | p99 |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for i := 0; i < len(r.Results); i += len(r.Engines) {
		row := r.Results[i : i+len(r.Engines)]
		cell := func(f func(Result) string) string {
			parts := make([]string, len(row))
			for j, res := range row {
				parts[j] = f(res)
			}
			return strings.Join(parts, " / ")
		}
		pct := func(f func(Metrics) float64) string {
			return cell(func(res Result) string { return fmt.Sprintf("%.1f%%", 100*f(res.Metrics)) })
		}
		fmt.Fprintf(&b, "| %s | %d | %d | %s | %s | %s | %s | %s | %s | %s |\n",
			row[0].Language, row[0].Files, row[0].Samples,
			pct(Metrics.CharsSaved), pct(Metrics.CharsSavedOutsideLicenses), pct(Metrics.NextTokenMatch), cell(wrongShare), pct(Metrics.EmptyShare),
			cell(func(res Result) string { return formatDuration(res.P50) }),
			cell(func(res Result) string { return formatDuration(res.P99) }))
	}
	r.reliability(&b)
	return b.String()
}

// reliability writes, for every engine, how often its shown suggestions were
// accepted in each confidence band, over all languages: a calibrated engine
// is right about as often as it says.
func (r Report) reliability(b *strings.Builder) {
	all := r.Results[len(r.Results)-len(r.Engines):]
	b.WriteString("\nShare of shown suggestions accepted, by the confidence the engine gave (all languages):\n\n")
	b.WriteString("| engine |")
	for i, lo := range ConfidenceBands {
		hi := 1.0
		if i+1 < len(ConfidenceBands) {
			hi = ConfidenceBands[i+1]
		}
		fmt.Fprintf(b, " %.1f–%.1f |", lo, hi)
	}
	b.WriteString("\n|---|" + strings.Repeat("---:|", len(ConfidenceBands)) + "\n")
	for _, res := range all {
		fmt.Fprintf(b, "| %s |", res.Engine)
		for _, band := range res.Reliability {
			if band.Shown == 0 {
				b.WriteString(" – |")
				continue
			}
			fmt.Fprintf(b, " %.0f%% of %d |", 100*ratio(band.Accepted, band.Shown), band.Shown)
		}
		b.WriteString("\n")
	}
}

func formatDuration(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%.1f µs", float64(d)/float64(time.Microsecond))
	default:
		return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
	}
}

// wrongShare is "n/a" when nothing was shown: 0% would read as "always right".
func wrongShare(r Result) string {
	if r.Shown == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f%%", 100*r.WrongShare())
}
