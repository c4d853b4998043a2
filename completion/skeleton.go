package completion

import (
	"regexp"
	"strings"

	"github.com/pairpad/pairpad/completion/ngram"
)

// braceLanguages close their blocks with a brace.
var braceLanguages = map[string]bool{
	"go": true, "javascript": true, "typescript": true, "java": true, "c": true, "cpp": true,
	"csharp": true, "rust": true, "kotlin": true, "swift": true, "php": true, "css": true,
}

// pythonBlock matches a Python line that opens a block.
var pythonBlock = regexp.MustCompile(`^\s*(async\s+)?(def|class|if|elif|else|for|while|with|try|except|finally|match|case)\b.*:$`)

// emptyBodyConfidence is the confidence in a brace skeleton whose body the
// models cannot predict: the closing brace alone is still due.
const emptyBodyConfidence = 0.5

// blockSkeleton completes the block that before, the line up to the cursor
// at byte offset off of code, opens, when the lines below do not hold its
// body yet: a line break, the body's first line as the models predict it,
// one level deeper, and in brace languages the closing brace. It returns ""
// when the line opens no block.
func blockSkeleton(code string, off int, before, language string, lang *ngram.Model) (string, float64) {
	line := strings.TrimRight(before, " \t")
	brace := braceLanguages[language] && strings.HasSuffix(line, "{") &&
		strings.Count(line, "{") > strings.Count(line, "}") && !inString(line[:len(line)-1], language)
	if !brace && !(language == "python" && pythonBlock.MatchString(line)) {
		return "", 0
	}
	indent := before[:len(before)-len(strings.TrimLeft(before, " \t"))]
	if hasBody(code, off, len(indent)) {
		return "", 0
	}
	inner := indent + indentUnit(code, language, indent)

	// Predict the body's first line as if it had been started, in the
	// scanned window only (code may be megabytes long).
	doc, cur := docWindow(code, off)
	rest := ""
	if i := strings.IndexByte(doc[cur:], '\n'); i >= 0 {
		rest = doc[cur+i:]
	}
	body, confidence := predictLine(doc[:cur]+"\n"+inner+rest, cur+1+len(inner), lang, false)
	switch {
	case brace:
		if body == "" {
			confidence = emptyBodyConfidence
		}
		return "\n" + inner + body + "\n" + indent + "}", confidence
	case body != "":
		return "\n" + inner + body, confidence
	}
	return "", 0
}

// inString reports whether the end of line is inside a string literal (or
// opens an interpolation, as "${" does in JavaScript, TypeScript, Kotlin and
// PHP): a brace there opens no block. Quotes escaped with a backslash do not
// count, nor single quotes in Rust, where they also mark lifetimes.
func inString(line, language string) bool {
	if strings.HasSuffix(line, "$") {
		return true
	}
	var open byte
	for i := 0; i < len(line); i++ {
		switch c := line[i]; {
		case c == '\\' && open != 0:
			i++
		case open != 0:
			if c == open {
				open = 0
			}
		case c == '"' || c == '`' || c == '\'' && language != "rust":
			open = c
		}
	}
	return open != 0
}

// hasBody reports whether the first non-blank line after the cursor's line
// is indented deeper than indent bytes: the block already has a body.
func hasBody(code string, off, indent int) bool {
	rest := code[off:]
	for {
		i := strings.IndexByte(rest, '\n')
		if i < 0 {
			return false
		}
		rest = rest[i+1:]
		line, _, _ := strings.Cut(rest, "\n")
		if strings.TrimSpace(line) != "" {
			return len(line)-len(strings.TrimLeft(line, " \t")) > indent
		}
	}
}

// indentUnit is one level of indentation: a tab in Go or where the line is
// indented with tabs, else the smallest step between the indentation of
// consecutive lines of the document near the start (4 spaces by default).
func indentUnit(code, language, indent string) string {
	if language == "go" || strings.Contains(indent, "\t") {
		return "\t"
	}
	step, prev := 0, 0
	for line := range strings.Lines(code[:min(len(code), windowBytes)]) {
		if strings.TrimSpace(line) == "" {
			continue
		}
		depth := len(line) - len(strings.TrimLeft(line, " "))
		if d := depth - prev; d > 0 && (step == 0 || d < step) {
			step = d
		}
		prev = depth
	}
	if step == 0 {
		step = 4
	}
	return strings.Repeat(" ", step)
}
