package completion

import (
	"context"
	"unicode/utf16"
)

// Suggestion is the answer to POST /autocomplete: text to insert at the
// cursor. An empty Suggestion with Confidence 0 means "nothing to suggest".
type Suggestion struct {
	Suggestion string  `json:"suggestion"`
	Confidence float64 `json:"confidence"`
	Type       string  `json:"type"`
}

// SuggestionCompletion is the Type of a suggestion that continues the text at
// the cursor.
const SuggestionCompletion = "completion"

// Completer suggests text to insert at a cursor.
//
// cursor counts UTF-16 code units (JavaScript and CodeMirror positions) and
// may lie outside [0, length of code]: implementations clamp it. language is
// a language ID (see server.LookupLanguage); implementations treat an unknown one as
// plain text. Complete never fails: when it cannot help (including when ctx is
// done) it returns an empty suggestion with confidence 0. Implementations must
// be safe for concurrent use.
type Completer interface {
	Complete(ctx context.Context, code string, cursor int, language string) Suggestion
}

// UTF16ToByteOffset converts pos, an offset in UTF-16 code units into s, to a
// byte offset into s. pos is clamped to [0, length of s]; a pos that falls
// between the two halves of a surrogate pair is moved back to the start of
// that character. Invalid UTF-8 bytes count as one unit each (as U+FFFD).
func UTF16ToByteOffset(s string, pos int) int {
	if pos <= 0 {
		return 0
	}
	units := 0
	for i, r := range s {
		n := utf16.RuneLen(r)
		if n < 0 { // not representable (cannot happen for runes from range)
			n = 1
		}
		if units+n > pos {
			return i
		}
		units += n
	}
	return len(s)
}
