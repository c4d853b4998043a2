package completion

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/pairpad/pairpad/internal/utf16x"
)

func TestNewPrompt(t *testing.T) {
	long := strings.Repeat("x = 1\n", 2000) // 12000 bytes
	tests := []struct {
		name   string
		code   string
		cursor int
		budget Budget
		want   Prompt
	}{
		{"whole file fits", "a\nb|c\nd", 3, Budget{}, Prompt{"go", "a\nb", "|c\nd"}},
		{"cursor clamped high", "ab", 99, Budget{}, Prompt{"go", "ab", ""}},
		{"cursor clamped low", "ab", -4, Budget{}, Prompt{"go", "", "ab"}},
		{"cut at lines", "l1\nl2\nl3|r1\nr2\nr3", 8, Budget{Before: 1, After: 1}, Prompt{"go", "l3", "|r1\n"}},
		{"one long line cut at characters", strings.Repeat("é", 10) + strings.Repeat("ü", 10), 10, Budget{Before: 1, After: 1},
			Prompt{"go", "éé", "üü"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := NewPrompt(tt.code, tt.cursor, "go", tt.budget)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("NewPrompt mismatch (-want +got):\n%s", diff)
			}
		})
	}
	p := NewPrompt(long+long, utf8.RuneCountInString(long), "go", Budget{})
	if len(p.Prefix) > 1500*BytesPerToken || len(p.Suffix) > 500*BytesPerToken ||
		!strings.HasPrefix(p.Prefix, "x = 1\n") || !strings.HasSuffix(p.Suffix, "x = 1\n") {
		t.Errorf("default budget: prefix %d bytes, suffix %d bytes, not cut at lines", len(p.Prefix), len(p.Suffix))
	}
}

func TestClean(t *testing.T) {
	tests := []struct {
		name, text, suffix, want string
	}{
		{"plain", "a + b", "\n", "a + b"},
		{"trailing space", "a + b  \n\n", "", "a + b"},
		{"whitespace only", " \n\t", "", ""},
		{"at most four lines", "1\n2\n3\n4\n5\n6", "", "1\n2\n3\n4"},
		{"repeats the closer after the cursor", `"Hello")`, ")", `"Hello"`},
		{"stops at the suffix's next line", "x = 1\n    return x\nprint(f())", "\n    return x\n", "x = 1"},
		{"CRLF", "a\r\nb", "", "a\nb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := clean(tt.text, tt.suffix); got != tt.want {
				t.Errorf("clean(%q, %q) = %q, want %q", tt.text, tt.suffix, got, tt.want)
			}
		})
	}
}

// FuzzPrompt checks that any code and cursor give a prompt within the budget
// that splits the code at the cursor, and that cleaning any answer never panics.
func FuzzPrompt(f *testing.F) {
	f.Add("def f():\n    return 1\n", 10, "a + b\n\n")
	f.Add("😀\n😀", 1, "\r\n")
	f.Add("\xff\xfe(", -3, "")
	f.Fuzz(func(t *testing.T, code string, cursor int, answer string) {
		b := Budget{Before: 2, After: 2}
		p := NewPrompt(code, cursor, "go", b)
		off := utf16x.ByteOffset(code, cursor)
		if len(p.Prefix) > 8 || len(p.Suffix) > 8 || !strings.HasSuffix(code[:off], p.Prefix) || !strings.HasPrefix(code[off:], p.Suffix) {
			t.Errorf("NewPrompt(%q, %d) = %q", code, cursor, p)
		}
		if got := clean(answer, p.Suffix); strings.Count(got, "\n") >= maxLines {
			t.Errorf("clean(%q) = %q: more than %d lines", answer, got, maxLines)
		}
	})
}
