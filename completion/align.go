package completion

import "strings"

// Code aligned in columns (gofmt's const blocks and struct fields, tables
// in any language) puts the next token where the lines around put theirs: a
// suggestion made after a blank is padded to that column, which the n-gram
// models, counting tokens, cannot know.

// maxAlignLines is how many lines on each side of the cursor vote.
const maxAlignLines = 4

// alignColumn pads or trims the blanks at the start of text, suggested at
// byte offset cur of doc, so that the text after them starts at the column
// the lines around agree on.
func alignColumn(doc string, cur int, text string) string {
	pad, ok := alignedPadding(doc, cur)
	rest := strings.TrimLeft(text, " ")
	if !ok || rest == "" {
		return text
	}
	return strings.Repeat(" ", pad) + rest
}

// alignedPadding returns how many more spaces put the token after the
// blanks before byte offset cur of doc in the column where the lines around
// put theirs. The cursor is after the n-th gap (run of blanks) of its line;
// each neighbouring line votes for the column where its own n-th gap ends.
// The lines must agree, and one of them must pad its gap to more than one
// space, or they are not aligned.
func alignedPadding(doc string, cur int) (int, bool) {
	if cur == 0 || doc[cur-1] != ' ' {
		return 0, false
	}
	lineStart := strings.LastIndexByte(doc[:cur], '\n') + 1
	line := doc[lineStart:cur]
	n := len(gapEnds(line + "x")) // the cursor's gap ends where the next token starts
	if n == 0 {
		return 0, false // the blanks are the indentation
	}
	votes, padded := map[int]int{}, false
	for _, other := range neighbours(doc, lineStart) {
		if ends := gapEnds(other); len(ends) >= n && ends[n-1] >= len(line) {
			c := ends[n-1]
			votes[c]++
			padded = padded || c >= 2 && other[c-2] == ' '
		}
	}
	target, best, all := mostVoted(votes)
	if !padded || best < 2 || 2*best <= all {
		return 0, false
	}
	return target - len(line), true
}

// mostVoted returns the value with the most votes (the smallest on a tie),
// its votes, and all votes cast.
func mostVoted(votes map[int]int) (value, most, all int) {
	for v, n := range votes {
		all += n
		if n > most || n == most && v < value {
			value, most = v, n
		}
	}
	return value, most, all
}

// gapEnds returns the offsets in line where its gaps, the runs of blanks
// after the indentation, end.
func gapEnds(line string) []int {
	var ends []int
	i := len(line) - len(strings.TrimLeft(line, " \t"))
	for i < len(line) {
		if line[i] != ' ' && line[i] != '\t' {
			i++
			continue
		}
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		if i < len(line) {
			ends = append(ends, i)
		}
	}
	return ends
}

// neighbours returns up to maxAlignLines lines on each side of the line
// starting at lineStart, up to the nearest blank line on each side.
func neighbours(doc string, lineStart int) []string {
	var out []string
	// Above.
	end := lineStart - 1
	for range maxAlignLines {
		if end <= 0 {
			break
		}
		start := strings.LastIndexByte(doc[:end], '\n') + 1
		line := doc[start:end]
		if strings.TrimSpace(line) == "" {
			break
		}
		out = append(out, line)
		end = start - 1
	}
	// Below.
	start := strings.IndexByte(doc[lineStart:], '\n')
	if start < 0 {
		return out
	}
	start += lineStart + 1
	for range maxAlignLines {
		if start >= len(doc) {
			break
		}
		end := strings.IndexByte(doc[start:], '\n')
		if end < 0 {
			end = len(doc) - start
		}
		line := doc[start : start+end]
		if strings.TrimSpace(line) == "" {
			break
		}
		out = append(out, line)
		start += end + 1
	}
	return out
}
