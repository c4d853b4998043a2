package completion

import (
	"strings"

	"github.com/pairpad/pairpad/completion/ngram"
)

// Rule lines (a comment of #, -, = or * out to a fixed width, often with a
// title in front) end where the document's other rule lines end. The n-gram
// models only see the same character over and over; the length is fitted
// here.

// minRule is the shortest run of one character that makes a rule line.
const minRule = 8

// fitRule lengthens or shortens the run of one punctuation character that
// ends text, suggested at byte offset cur of doc, so that the line ends at
// the column where the document's other rule lines of that character end.
func fitRule(doc string, cur int, text string) string {
	if text == "" {
		return text
	}
	ch := text[len(text)-1]
	if ngram.IsIdent(ch) || ch == ' ' || ch == '\t' || ch == '\n' {
		return text
	}
	cut := string(ch)
	lineStart := strings.LastIndexByte(doc[:cur], '\n') + 1
	line := doc[lineStart:cur] + text
	if len(line)-len(strings.TrimRight(line, cut)) < 3 {
		return text
	}
	width, ok := ruleWidth(doc, lineStart, ch)
	if !ok {
		return text
	}
	if more := width - len(line); more >= 0 {
		return text + strings.Repeat(cut, more)
	}
	run := len(text) - len(strings.TrimRight(text, cut))
	if less := len(line) - width; less <= run {
		return text[:len(text)-less]
	}
	return strings.TrimRight(text, cut)
}

// ruleWidth returns the length most of the document's rule lines of ch
// have, but for the line at lineStart; ok is false unless two or more have
// that length.
func ruleWidth(doc string, lineStart int, ch byte) (int, bool) {
	votes := map[int]int{}
	offset := 0
	for line := range strings.Lines(doc) {
		start := offset
		offset += len(line)
		if start == lineStart {
			continue
		}
		line = strings.TrimRight(line, " \t\r\n")
		if len(line)-len(strings.TrimRight(line, string(ch))) >= minRule {
			votes[len(line)]++
		}
	}
	width, most, _ := mostVoted(votes)
	return width, most >= 2
}
