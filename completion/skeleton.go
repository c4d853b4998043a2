package completion

import (
	"strings"

	"github.com/pairpad/pairpad/completion/ngram"
)

// emptyBodyConfidence is the confidence in a brace skeleton whose body the
// models cannot predict: the closing brace alone is still due.
const emptyBodyConfidence = 0.5

// blockSkeleton completes the block that before, the line up to the cursor
// at byte offset off of code, opens, when the lines below do not hold its
// body yet: a line break, the body's first line as the models predict it,
// one level deeper, and in brace languages the closing brace. p is the
// language, lang its model. It returns "" when the line opens no block.
func blockSkeleton(code string, off int, before string, p *profile, lang *ngram.Model) (string, float64) {
	line := strings.TrimRight(before, " \t")
	brace := p.Braces && strings.HasSuffix(line, "{") &&
		strings.Count(line, "{") > strings.Count(line, "}") && !inString(line[:len(line)-1], p.Quotes)
	if !brace && (p.blockLine == nil || !p.blockLine.MatchString(line)) {
		return "", 0
	}
	indent := before[:len(before)-len(strings.TrimLeft(before, " \t"))]
	if hasBody(code, off, len(indent)) {
		return "", 0
	}
	inner := indent + indentUnit(code, p.TabIndent, indent)

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

// inString reports whether the end of line is inside a string literal, which
// opens with one of quotes (or opens an interpolation, as "${" does in
// JavaScript, TypeScript, Kotlin and PHP): a brace there opens no block.
// Quotes escaped with a backslash do not count.
func inString(line, quotes string) bool {
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
		case strings.IndexByte(quotes, c) >= 0:
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

// indentUnit is one level of indentation: a tab in a language indented with
// tabs (Go) or where the line is indented with tabs, else the smallest step between the indentation of
// consecutive lines of the document near the start (4 spaces by default).
func indentUnit(code string, tabs bool, indent string) string {
	if tabs || strings.Contains(indent, "\t") {
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
