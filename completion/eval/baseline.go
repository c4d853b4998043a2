package main

import (
	"context"
	"strings"

	"github.com/pairpad/pairpad/completion"
	"github.com/pairpad/pairpad/internal/utf16x"
)

// Baseline is the engine the original pairpad described ("mock implementation
// with pattern matching", "not context-aware beyond simple patterns"): when the
// text before the cursor ends with one of a few fixed triggers it suggests a
// fixed text, whatever the language or the rest of the file; otherwise nothing.
// It is the yardstick the built-in engine must beat. The zero value is ready to
// use and safe for concurrent use.
type Baseline struct{}

// baselinePatterns are the fixed trigger → suggestion pairs, tried in order.
// The first is the seed's documented example (POST /autocomplete with
// "def hello():\n    print(" answers "'Hello, World!')"); the others are the
// usual companions of such a mock.
var baselinePatterns = []struct{ trigger, suggestion string }{
	{"console.log(", "'Hello');"},
	{"print(", "'Hello, World!')"},
	{"def ", "function_name():"},
	{"for ", "i in range(10):"},
	{"if ", "condition:"},
}

// Complete implements completion.Completer.
func (Baseline) Complete(ctx context.Context, code string, cursor int, language string) completion.Suggestion {
	s := completion.Suggestion{Type: completion.SuggestionCompletion}
	if ctx.Err() != nil {
		return s
	}
	before := code[:utf16x.ByteOffset(code, cursor)]
	for _, p := range baselinePatterns {
		if strings.HasSuffix(before, p.trigger) {
			s.Suggestion, s.Confidence = p.suggestion, 0.85
			return s
		}
	}
	return s
}
