package completion

import (
	"context"
	"strings"

	"github.com/pairpad/pairpad/internal/utf16x"
)

// Builtin is a Completer that needs no network. It predicts the rest of the
// current line from two token n-gram models, the document around the cursor
// and the language's embedded model (see ngram.go), and, when they say
// nothing, from a few language patterns (a hello-world print call, block
// keywords). It only suggests at the end of a line, or before closing
// characters an editor inserted automatically, and stays silent unless the
// suggestion is likely right: Confidence is the calibrated chance that it is.
// The zero value is ready to use and safe for concurrent use.
type Builtin struct{}

// minLineStartConfidence is the least confidence shown at the start of a
// line: below it, more than a third of suggestions there were wrong (make
// eval's table of line starts).
const minLineStartConfidence = 0.7

// closers are the characters an editor may have auto-inserted after the cursor.
const closers = ")]}'\"`;:"

// Complete implements Completer.
func (Builtin) Complete(ctx context.Context, code string, cursor int, language string) Suggestion {
	none := Suggestion{Type: SuggestionCompletion}
	p := profiles[language]
	if ctx.Err() != nil || p == nil || p.Prose {
		return none // an unknown language is plain text
	}
	off := utf16x.ByteOffset(code, cursor)
	before := code[strings.LastIndexByte(code[:off], '\n')+1 : off]
	after := code[off:]
	if i := strings.IndexByte(after, '\n'); i >= 0 {
		after = after[:i]
	}
	// Text the editor already has after the cursor; a suggestion must end with it.
	already := strings.TrimRight(after, " \t\r")
	if strings.Trim(already, closers) != "" {
		return none // mid-line: the builtin rules only complete line ends
	}
	// At the start of a line (after its indentation) only the models speak,
	// and only when they are fairly sure: nothing typed on the line narrows
	// what comes, and a wrong ghost on every new line would be noise.
	lineStart := strings.TrimSpace(before) == ""
	if lineStart && strings.TrimSpace(code[:off]) == "" {
		return none
	}

	// The models are the better evidence; at the end of a line that opens a
	// block, a skeleton of the block; the rules speak when both are silent
	// (or their suggestion does not fit what the editor already inserted),
	// and neither speaks in a comment or at the start of a line.
	comment := inComment(before, p.LineComment, p.Quotes)
	lang := p.model()
	doc, cur := docWindow(code, off)
	text, confidence := predictLine(doc, cur, lang, comment)
	if lineStart && confidence < minLineStartConfidence {
		text = ""
	}
	text, ok := beforeClosers(text, already)
	if !ok && !comment && !lineStart {
		text, confidence = blockSkeleton(code, off, before, p, lang)
		text, ok = beforeClosers(text, already)
	}
	if !ok && !comment && !lineStart {
		text, confidence = p.ruleFor(before)
		text, ok = beforeClosers(text, already)
	}
	if !ok {
		return none
	}
	return Suggestion{Suggestion: text, Confidence: confidence, Type: SuggestionCompletion}
}

// beforeClosers fits text in front of already, the closing characters the
// editor put after the cursor: text that ends with them loses them, text
// with none of them is kept, and anything else (or an empty result) does not
// fit.
func beforeClosers(text, already string) (string, bool) {
	switch {
	case strings.HasSuffix(text, already):
		text = strings.TrimSuffix(text, already)
	case strings.ContainsAny(text, already):
		return "", false
	}
	return text, text != ""
}

// ruleFor returns the suggestion of the first of the language's rules that
// matches before, the line up to the cursor, or "" when none does.
func (p *profile) ruleFor(before string) (string, float64) {
	for _, r := range p.rules {
		if r.re.MatchString(before) {
			return r.suggestion, r.confidence
		}
	}
	return "", 0
}

// inComment reports whether the end of line lies in a line comment (marker
// is the language's, or "" for none), skipping markers inside string
// literals, which open with one of quotes.
func inComment(line, marker, quotes string) bool {
	var quote byte
	for i := 0; i < len(line); i++ {
		c := line[i]
		if quote != 0 {
			switch c {
			case '\\':
				i++ // skip the escaped byte
			case quote:
				quote = 0
			}
			continue
		}
		if marker != "" && strings.HasPrefix(line[i:], marker) {
			return true
		}
		if strings.IndexByte(quotes, c) >= 0 {
			quote = c
		}
	}
	return false
}
