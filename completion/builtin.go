package completion

import (
	"context"
	"regexp"
	"strings"
)

// Builtin is a small rule-based Completer that needs no network: it completes
// the rest of the current line from language-aware patterns (closing a
// function signature, a hello-world print call, unclosed brackets and quotes).
// It only suggests at the end of a line, or before closing characters an
// editor inserted automatically, and stays silent when unsure. The zero value
// is ready to use.
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
		rule(`^\s*(?:async\s+)?def\s+[A-Za-z_]\w*\([^()]*$`, "):", 0.7),
		rule(`^\s*class\s+[A-Za-z_]\w*\([^()]*$`, "):", 0.6),
		rule(`^\s*(?:else|try|finally)$`, ":", 0.8),
		rule(`^\s*if\s+__name__\s*==\s*$`, `"__main__":`, 0.9),
	},
	"javascript": {
		rule(`console\.log\($`, "'Hello, World!');", 0.85),
		rule(`^\s*(?:export\s+)?(?:async\s+)?function\s*\*?\s*[A-Za-z_$][\w$]*\s*\([^()]*$`, ") {", 0.7),
	},
	"typescript": {
		rule(`console\.log\($`, "'Hello, World!');", 0.85),
		rule(`^\s*(?:export\s+)?(?:async\s+)?function\s*\*?\s*[A-Za-z_$][\w$]*\s*(?:<[^<>]*>)?\([^()]*$`, ") {", 0.7),
	},
	"go": {
		rule(`fmt\.Println\($`, `"Hello, World!")`, 0.85),
		rule(`^\s*func\s+(?:\([^()]*\)\s*)?[A-Za-z_]\w*\s*(?:\[[^\[\]]*\])?\([^()]*$`, ") {", 0.7),
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
		rule(`^\s*(?:pub\s+)?(?:async\s+)?fn\s+[A-Za-z_]\w*\s*(?:<[^<>]*>)?\([^()]*$`, ") {", 0.7),
	},
	"kotlin": {
		rule(`(?:^|[^\w.])println\($`, `"Hello, World!")`, 0.85),
		rule(`^\s*fun\s+[A-Za-z_]\w*\([^()]*$`, ") {", 0.7),
	},
	"swift": {
		rule(`(?:^|[^\w.])print\($`, `"Hello, World!")`, 0.85),
		rule(`^\s*func\s+[A-Za-z_]\w*\([^()]*$`, ") {", 0.7),
	},
	"ruby": {
		rule(`^\s*puts\s+$`, "'Hello, World!'", 0.85),
	},
	"php": {
		rule(`^\s*echo\s+$`, "'Hello, World!';", 0.85),
		rule(`^\s*(?:public\s+|private\s+|protected\s+)?(?:static\s+)?function\s+[A-Za-z_]\w*\([^()]*$`, ") {", 0.7),
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
// server's catalogue (server.Languages). Any other ID is plain text.
var knownLanguages = map[string]bool{
	"python": true, "javascript": true, "typescript": true, "go": true, "java": true,
	"c": true, "cpp": true, "csharp": true, "rust": true, "kotlin": true, "swift": true,
	"ruby": true, "php": true, "shell": true, "sql": true, "html": true, "css": true,
	"json": true, "markdown": true, "plaintext": true,
}

// proseLanguages get no suggestions: brackets and apostrophes in prose are
// not code.
var proseLanguages = map[string]bool{"markdown": true, "plaintext": true}

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
	off := UTF16ToByteOffset(code, cursor)
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
	if strings.TrimSpace(before) == "" {
		return none
	}

	st := scanLine(before, lineComment[language], language == "rust")
	if st.comment {
		return none
	}
	text, confidence := "", 0.0
	for _, r := range builtinRules[language] {
		if r.re.MatchString(before) {
			text, confidence = r.suggestion, r.confidence
			break
		}
	}
	if text == "" {
		text, confidence = closeLine(before, st)
	}
	if text == "" || !strings.HasSuffix(text, already) {
		return none
	}
	text = strings.TrimSuffix(text, already)
	if text == "" {
		return none
	}
	return Suggestion{Suggestion: text, Confidence: confidence, Type: SuggestionCompletion}
}

// lineState is what scanning a line up to the cursor found open.
type lineState struct {
	stack      []byte // open brackets, outermost first
	quote      byte   // open quote, or 0
	comment    bool   // the cursor is inside a line comment
	unbalanced bool   // a closer without its opener: unsure what the user means
}

// scanLine scans line for open brackets, an open quote and a line comment
// (comment is the marker, or "" for none). In Rust a single quote may be a
// lifetime, so only double quotes and backquotes count there.
func scanLine(line, comment string, rust bool) lineState {
	var st lineState
	for i := 0; i < len(line); i++ {
		c := line[i]
		if st.quote != 0 {
			switch c {
			case '\\':
				i++ // skip the escaped byte
			case st.quote:
				st.quote = 0
			}
			continue
		}
		if comment != "" && strings.HasPrefix(line[i:], comment) {
			st.comment = true
			return st
		}
		switch c {
		case '"', '`':
			st.quote = c
		case '\'':
			if !rust {
				st.quote = c
			}
		case '(', '[', '{':
			st.stack = append(st.stack, c)
		case ')', ']', '}':
			if len(st.stack) == 0 || st.stack[len(st.stack)-1] != openerOf(c) {
				st.unbalanced = true
				return st
			}
			st.stack = st.stack[:len(st.stack)-1]
		}
	}
	return st
}

// closeLine returns what closes the quote and brackets st found open: the
// quote, then the brackets innermost first. It returns nothing when the line
// is balanced or unbalanced the other way, or when it ends with an opening
// brace (a block whose body comes on the next lines).
func closeLine(line string, st lineState) (string, float64) {
	if st.unbalanced || (st.quote == 0 && len(st.stack) == 0) {
		return "", 0
	}
	if st.quote == 0 && strings.HasSuffix(strings.TrimRight(line, " \t"), "{") {
		return "", 0
	}
	var b strings.Builder
	if st.quote != 0 {
		b.WriteByte(st.quote)
	}
	for i := len(st.stack) - 1; i >= 0; i-- {
		b.WriteByte(closerOf(st.stack[i]))
	}
	return b.String(), 0.5
}

func openerOf(c byte) byte {
	switch c {
	case ')':
		return '('
	case ']':
		return '['
	default:
		return '{'
	}
}

func closerOf(c byte) byte {
	switch c {
	case '(':
		return ')'
	case '[':
		return ']'
	default:
		return '}'
	}
}
