package completion

import (
	"context"
	"maps"
	"slices"

	"regexp"
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

// completionRule suggests text when the line before the cursor matches re.
type completionRule struct {
	re         *regexp.Regexp
	suggestion string
	confidence float64
}

func rule(pattern, suggestion string, confidence float64) completionRule {
	return completionRule{regexp.MustCompile(pattern), suggestion, confidence}
}

// builtinRules holds each language's rules, tried in order before the generic
// bracket closer. Each pattern matches the end of the text before the cursor on
// the current line. Never modified after initialisation.
var builtinRules = map[string][]completionRule{
	"python": {
		rule(`(?:^|[^\w.])print\($`, "'Hello, World!')", 0.85),
		rule(`^\s*(?:else|try|finally)$`, ":", 0.8),
		rule(`^\s*if\s+__name__\s*==\s*$`, `"__main__":`, 0.9),
	},
	"javascript": {
		rule(`console\.log\($`, "'Hello, World!');", 0.85),
	},
	"typescript": {
		rule(`console\.log\($`, "'Hello, World!');", 0.85),
	},
	"go": {
		rule(`fmt\.Println\($`, `"Hello, World!")`, 0.85),
	},
	"java": {
		rule(`System\.out\.println\($`, `"Hello, World!");`, 0.85),
		rule(`^\s*public\s+static\s+void\s+main\($`, "String[] args) {", 0.85),
	},
	"c": {
		rule(`(?:^|\W)printf\($`, `"Hello, World!\n");`, 0.85),
		rule(`^\s*int\s+main\($`, "void) {", 0.8),
	},
	"cpp": {
		rule(`std::cout\s*<<\s*$`, `"Hello, World!" << std::endl;`, 0.85),
		rule(`^\s*int\s+main\($`, ") {", 0.8),
	},
	"csharp": {
		rule(`Console\.WriteLine\($`, `"Hello, World!");`, 0.85),
	},
	"rust": {
		rule(`println!\($`, `"Hello, World!");`, 0.85),
	},
	"kotlin": {
		rule(`(?:^|[^\w.])println\($`, `"Hello, World!")`, 0.85),
	},
	"swift": {
		rule(`(?:^|[^\w.])print\($`, `"Hello, World!")`, 0.85),
	},
	"ruby": {
		rule(`^\s*puts\s+$`, "'Hello, World!'", 0.85),
	},
	"php": {
		rule(`^\s*echo\s+$`, "'Hello, World!';", 0.85),
	},
	"shell": {
		rule(`^\s*echo\s+$`, `"Hello, World!"`, 0.85),
	},
}

// lineComment is the line-comment marker per language; text after it gets no
// suggestions.
var lineComment = map[string]string{
	"python": "#", "ruby": "#", "shell": "#",
	"javascript": "//", "typescript": "//", "go": "//", "java": "//", "c": "//", "cpp": "//",
	"csharp": "//", "rust": "//", "kotlin": "//", "swift": "//", "php": "//",
	"sql": "--",
}

// knownLanguages are the language IDs the builtin rules understand: the
// server's catalogue (server.Languages; a server test checks they agree).
// Any other ID is plain text.
var knownLanguages = map[string]bool{
	"python": true, "javascript": true, "typescript": true, "go": true, "java": true,
	"c": true, "cpp": true, "csharp": true, "rust": true, "kotlin": true, "swift": true,
	"ruby": true, "php": true, "shell": true, "sql": true, "html": true, "css": true,
	"json": true, "markdown": true, "plaintext": true,
}

// Languages returns the IDs of the languages the built-in engine knows,
// sorted; the server's catalogue must name the same ones.
func Languages() []string {
	return slices.Sorted(maps.Keys(knownLanguages))
}

// proseLanguages get no suggestions: brackets and apostrophes in prose are
// not code.
var proseLanguages = map[string]bool{"markdown": true, "plaintext": true}

// minLineStartConfidence is the least confidence shown at the start of a
// line: below it, more than a third of suggestions there were wrong (make
// eval's table of line starts).
const minLineStartConfidence = 0.7

// closers are the characters an editor may have auto-inserted after the cursor.
const closers = ")]}'\"`;:"

// Complete implements Completer.
func (Builtin) Complete(ctx context.Context, code string, cursor int, language string) Suggestion {
	none := Suggestion{Type: SuggestionCompletion}
	if ctx.Err() != nil || proseLanguages[language] {
		return none
	}
	if !knownLanguages[language] {
		return none // unknown: plain text
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
	comment := inComment(before, lineComment[language], language == "rust")
	lang := languageModel(language)
	doc, cur := docWindow(code, off)
	text, confidence := predictLine(doc, cur, lang, comment)
	if lineStart && confidence < minLineStartConfidence {
		text = ""
	}
	text, ok := beforeClosers(text, already)
	if !ok && !comment && !lineStart {
		text, confidence = blockSkeleton(code, off, before, language, lang)
		text, ok = beforeClosers(text, already)
	}
	if !ok && !comment && !lineStart {
		text, confidence = ruleFor(language, before)
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

// ruleFor returns the suggestion of the first of language's rules that
// matches before, the line up to the cursor, or "" when none does.
func ruleFor(language, before string) (string, float64) {
	for _, r := range builtinRules[language] {
		if r.re.MatchString(before) {
			return r.suggestion, r.confidence
		}
	}
	return "", 0
}

// inComment reports whether the end of line lies in a line comment (marker
// is the language's, or "" for none), skipping markers inside string
// literals. In Rust a single quote may be a lifetime, so only double quotes
// and backquotes count there.
func inComment(line, marker string, rust bool) bool {
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
		if c == '"' || c == '`' || (c == '\'' && !rust) {
			quote = c
		}
	}
	return false
}
