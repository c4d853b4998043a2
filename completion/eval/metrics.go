package main

import (
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Outcome is how one suggestion fared against the hidden rest of its line.
type Outcome struct {
	Hidden    int  // characters (runes) hidden after the cursor
	Accepted  int  // characters of the suggestion's first line, when the hidden text starts with it
	Shown     bool // the suggestion is not empty
	Wrong     bool // shown but not accepted
	NextToken bool // the suggestion's first token equals the hidden text's first token
	// Confidence is the engine's confidence in the suggestion.
	Confidence float64
	// License is set when the hidden text is part of the file's licence notice.
	License bool
}

// tokenRe defines a token for next-token match: an identifier, a number, or
// any other single non-space character; leading white space is skipped.
var tokenRe = regexp.MustCompile(`^\s*([\p{L}_][\p{L}\p{N}_]*|\p{N}[\p{L}\p{N}_.]*|\S)`)

// firstToken returns the first token of s, or "" when s has none.
func firstToken(s string) string {
	m := tokenRe.FindStringSubmatch(s)
	if m == nil {
		return ""
	}
	return m[1]
}

// Score compares suggestion with hidden, the text that followed the cursor up
// to the end of its line. A suggestion whose first line is empty (it starts
// with a line break) is shown and wrong: inserted mid-line it would split it.
func Score(suggestion, hidden string) Outcome {
	o := Outcome{Hidden: utf8.RuneCountInString(hidden), Shown: suggestion != ""}
	if !o.Shown {
		return o
	}
	first, _, _ := strings.Cut(suggestion, "\n")
	if first != "" && strings.HasPrefix(hidden, first) {
		o.Accepted = utf8.RuneCountInString(first)
	} else {
		o.Wrong = true
	}
	tok := firstToken(suggestion)
	o.NextToken = tok != "" && tok == firstToken(hidden)
	return o
}

// Metrics sums the outcomes of one engine on one language (or on all).
type Metrics struct {
	Samples       int
	Shown         int
	Wrong         int
	Empty         int
	NextToken     int
	HiddenChars   int
	AcceptedChars int
	// LicenseHidden and LicenseAccepted are the part of HiddenChars and
	// AcceptedChars in licence notices.
	LicenseHidden, LicenseAccepted int
	P50, P99                       time.Duration // latency of one Complete call
	// Reliability counts, per confidence band (see ConfidenceBands), the
	// suggestions shown and those accepted.
	Reliability [len(ConfidenceBands)]Band
}

// ConfidenceBands are the lower bounds of the confidence bands Reliability
// counts, in increasing order.
var ConfidenceBands = [...]float64{0, 0.5, 0.6, 0.7, 0.8, 0.9}

// Band counts the suggestions shown with a confidence in one band, and those
// that were accepted.
type Band struct{ Shown, Accepted int }

// band returns the index of the confidence band c falls in.
func band(c float64) int {
	i := len(ConfidenceBands) - 1
	for i > 0 && c < ConfidenceBands[i] {
		i--
	}
	return i
}

// add counts one outcome.
func (m *Metrics) add(o Outcome) {
	m.Samples++
	m.HiddenChars += o.Hidden
	m.AcceptedChars += o.Accepted
	if o.License {
		m.LicenseHidden += o.Hidden
		m.LicenseAccepted += o.Accepted
	}
	if o.Shown {
		b := &m.Reliability[band(o.Confidence)]
		b.Shown++
		if !o.Wrong {
			b.Accepted++
		}
		m.Shown++
	} else {
		m.Empty++
	}
	if o.Wrong {
		m.Wrong++
	}
	if o.NextToken {
		m.NextToken++
	}
}

// merge adds the counts of n (not its latencies).
func (m *Metrics) merge(n Metrics) {
	m.Samples += n.Samples
	m.Shown += n.Shown
	m.Wrong += n.Wrong
	m.Empty += n.Empty
	m.NextToken += n.NextToken
	m.HiddenChars += n.HiddenChars
	m.AcceptedChars += n.AcceptedChars
	m.LicenseHidden += n.LicenseHidden
	m.LicenseAccepted += n.LicenseAccepted
	for i, b := range n.Reliability {
		m.Reliability[i].Shown += b.Shown
		m.Reliability[i].Accepted += b.Accepted
	}
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// CharsSaved is accepted characters / hidden characters.
func (m Metrics) CharsSaved() float64 { return ratio(m.AcceptedChars, m.HiddenChars) }

// CharsSavedOutsideLicenses is CharsSaved without the samples in licence
// notices, which every file repeats and a language model learns by heart.
func (m Metrics) CharsSavedOutsideLicenses() float64 {
	return ratio(m.AcceptedChars-m.LicenseAccepted, m.HiddenChars-m.LicenseHidden)
}

// NextTokenMatch is the share of samples whose next token was suggested.
func (m Metrics) NextTokenMatch() float64 { return ratio(m.NextToken, m.Samples) }

// WrongShare is the share of shown suggestions that were wrong (0 when none was shown).
func (m Metrics) WrongShare() float64 { return ratio(m.Wrong, m.Shown) }

// EmptyShare is the share of samples with no suggestion.
func (m Metrics) EmptyShare() float64 { return ratio(m.Empty, m.Samples) }

// percentiles returns the p50 and p99 of d (nearest rank); it sorts d.
func percentiles(d []time.Duration) (p50, p99 time.Duration) {
	if len(d) == 0 {
		return 0, 0
	}
	slices.Sort(d)
	rank := func(p int) time.Duration { return d[(len(d)*p+99)/100-1] }
	return rank(50), rank(99)
}
