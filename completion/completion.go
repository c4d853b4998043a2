package completion

import "context"

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
// a language ID (see package language); implementations treat an unknown one as
// plain text. Complete never fails: when it cannot help (including when ctx is
// done) it returns an empty suggestion with confidence 0. Implementations must
// be safe for concurrent use.
type Completer interface {
	Complete(ctx context.Context, code string, cursor int, language string) Suggestion
}
