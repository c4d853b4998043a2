package completion

import (
	"strings"
	"unicode/utf8"

	"github.com/pairpad/pairpad/internal/utf16x"
)

// Prompt is what a code model is asked to fill in: the text before the cursor
// (Prefix) and after it (Suffix), each cut to a budget, and the language ID.
type Prompt struct {
	Language string
	Prefix   string
	Suffix   string
}

// Budget bounds a Prompt, in tokens, approximated as BytesPerToken bytes each.
// Zero fields mean the defaults (1500 before, 500 after).
type Budget struct {
	Before, After int
}

// BytesPerToken approximates the size of a token for budgets: code tokenizers
// average about four bytes per token.
const BytesPerToken = 4

func (b Budget) withDefaults() Budget {
	if b.Before <= 0 {
		b.Before = 1500
	}
	if b.After <= 0 {
		b.After = 500
	}
	return b
}

// NewPrompt cuts code around cursor (UTF-16 units, clamped) to b. The prefix
// keeps the lines closest to the cursor and the suffix the lines after it,
// cut at line boundaries; a single line longer than the budget is cut at a
// character boundary.
func NewPrompt(code string, cursor int, language string, b Budget) Prompt {
	b = b.withDefaults()
	off := utf16x.ByteOffset(code, cursor)
	return Prompt{
		Language: language,
		Prefix:   tail(code[:off], b.Before*BytesPerToken),
		Suffix:   head(code[off:], b.After*BytesPerToken),
	}
}

// tail returns the end of s within max bytes, starting at a line if it can.
func tail(s string, max int) string {
	if len(s) <= max {
		return s
	}
	t := s[len(s)-max:]
	if i := strings.IndexByte(t, '\n'); i >= 0 {
		return t[i+1:]
	}
	for len(t) > 0 && !utf8.RuneStart(t[0]) {
		t = t[1:]
	}
	return t
}

// head returns the start of s within max bytes, ending at a line if it can.
func head(s string, max int) string {
	if len(s) <= max {
		return s
	}
	h := s[:max]
	if i := strings.LastIndexByte(h, '\n'); i >= 0 {
		return h[:i+1]
	}
	for len(h) > 0 && !utf8.RuneStart(s[len(h)]) {
		h = h[:len(h)-1]
	}
	return h
}

// maxLines is how many lines a model's suggestion may span: the rest of the
// current line and a few more. Longer answers are cut, not dropped.
const maxLines = 4

// clean turns a model's raw answer into a suggestion: at most maxLines lines,
// trailing space trimmed, and nothing from the first line that repeats the
// text already after the cursor.
func clean(text, suffix string) string {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	lines := strings.SplitAfter(text, "\n")
	if len(lines) > maxLines {
		lines = lines[:maxLines]
	}
	// The model often writes the code that already follows the cursor: stop
	// at the first line that repeats the next non-blank line of the suffix.
	next := ""
	for l := range strings.SplitSeq(suffix, "\n") {
		if next = strings.TrimSpace(l); next != "" {
			break
		}
	}
	if next != "" {
		for i, l := range lines {
			if i > 0 && strings.TrimSpace(l) == next {
				lines = lines[:i]
				break
			}
		}
	}
	text = strings.TrimRight(strings.Join(lines, ""), " \t\r\n")
	// The rest of the cursor's line: an answer that ends with it (an editor's
	// auto-closed bracket) must not insert it twice.
	rest, _, _ := strings.Cut(suffix, "\n")
	if rest = strings.TrimSpace(rest); rest != "" && !strings.Contains(text, "\n") {
		text = strings.TrimRight(strings.TrimSuffix(text, rest), " \t")
	}
	if strings.TrimSpace(text) == "" {
		return ""
	}
	return text
}
