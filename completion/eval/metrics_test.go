package main

import (
	"context"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/google/go-cmp/cmp"
)

func TestScore(t *testing.T) {
	tests := []struct {
		name, suggestion, hidden string
		want                     Outcome
	}{
		{"empty", "", "x)", Outcome{Hidden: 2}},
		{"exact", "):", "):", Outcome{Hidden: 2, Accepted: 2, Shown: true, NextToken: true}},
		{"prefix", "err != nil", "err != nil {", Outcome{Hidden: 12, Accepted: 10, Shown: true, NextToken: true}},
		{"only first line counts", ") {\n\treturn", ") {", Outcome{Hidden: 3, Accepted: 3, Shown: true, NextToken: true}},
		{"longer than hidden", "'Hello, World!')", "'x')", Outcome{Hidden: 4, Shown: true, Wrong: true, NextToken: true}},
		{"wrong token", "i in range(10):", "name in names:", Outcome{Hidden: 14, Shown: true, Wrong: true}},
		{"same token, wrong text", "name in range(10):", "name in names:", Outcome{Hidden: 14, Shown: true, Wrong: true, NextToken: true}},
		{"leading line break", "\n\treturn", "return", Outcome{Hidden: 6, Shown: true, Wrong: true, NextToken: true}},
		{"runes not bytes", "é)", "é) + 1", Outcome{Hidden: 6, Accepted: 2, Shown: true, NextToken: true}},
		{"space before token", " := 1", " := 2", Outcome{Hidden: 5, Shown: true, Wrong: true, NextToken: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Score(tt.suggestion, tt.hidden)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Score(%q, %q) mismatch (-want +got):\n%s", tt.suggestion, tt.hidden, diff)
			}
		})
	}
}

func TestFirstToken(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"   ", ""},
		{"foo_bar1(x)", "foo_bar1"},
		{"  3.14)", "3.14"},
		{"0x1F, 2", "0x1F"},
		{"!= nil", "!"},
		{"'Hello')", "'"},
		{"été = 1", "été"},
	}
	for _, tt := range tests {
		if got := firstToken(tt.in); got != tt.want {
			t.Errorf("firstToken(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMetricsRatios(t *testing.T) {
	var m Metrics
	for i, o := range []Outcome{
		Score("", "abc"),           // empty
		Score("ab", "abc"),         // accepted 2 of 3, but token ab is not abc
		Score("x", "abcd"),         // wrong
		Score("abcd", "abcd, e f"), // accepted 4 of 9
	} {
		o.Confidence = []float64{0, 0.55, 0.95, 0.99}[i]
		m.add(o)
	}
	want := Metrics{Samples: 4, Shown: 3, Wrong: 1, Empty: 1, NextToken: 1, HiddenChars: 19, AcceptedChars: 6}
	want.Reliability[1] = Band{Shown: 1, Accepted: 1}
	want.Reliability[5] = Band{Shown: 2, Accepted: 1}
	if diff := cmp.Diff(want, m); diff != "" {
		t.Fatalf("metrics mismatch (-want +got):\n%s", diff)
	}
	got := []float64{m.CharsSaved(), m.NextTokenMatch(), m.WrongShare(), m.EmptyShare()}
	if diff := cmp.Diff([]float64{6.0 / 19, 0.25, 1.0 / 3, 0.25}, got); diff != "" {
		t.Errorf("ratios mismatch (-want +got):\n%s", diff)
	}
	if got := (Metrics{}).WrongShare(); got != 0 {
		t.Errorf("WrongShare with nothing shown = %v, want 0", got)
	}
}

func TestPercentiles(t *testing.T) {
	tests := []struct {
		n        int
		p50, p99 time.Duration
	}{
		{0, 0, 0},
		{1, 1, 1},
		{2, 1, 2},
		{100, 50, 99},
		{1000, 500, 990},
	}
	for _, tt := range tests {
		d := make([]time.Duration, tt.n)
		for i := range d {
			d[i] = time.Duration(tt.n - i) // reversed: percentiles sorts
		}
		p50, p99 := percentiles(d)
		if p50 != tt.p50 || p99 != tt.p99 {
			t.Errorf("percentiles(1..%d) = %v, %v; want %v, %v", tt.n, p50, p99, tt.p50, tt.p99)
		}
	}
}

func TestBaseline(t *testing.T) {
	tests := []struct{ code, want string }{
		{"def hello():\n    print(", "'Hello, World!')"},
		{"def ", "function_name():"},
		{"    for ", "i in range(10):"},
		{"if ", "condition:"},
		{"console.log(", "'Hello');"},
		{"x = 1", ""},
		{"fmt.Println(", ""},
	}
	for _, tt := range tests {
		got := Baseline{}.Complete(context.Background(), tt.code+"\nmore", len(utf16.Encode([]rune(tt.code))), "python")
		if got.Suggestion != tt.want {
			t.Errorf("Baseline.Complete(%q) = %q, want %q", tt.code, got.Suggestion, tt.want)
		}
	}
}
