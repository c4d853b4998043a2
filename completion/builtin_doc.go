package completion

import "strings"

// Completions drawn from the document itself: earlier or later lines that
// start like the current one (repeated line patterns), and identifiers that
// extend the partial word at the cursor (members seen after the same receiver
// first). Everything here is a pure function of the text; nothing is cached.

// windowBytes bounds how much text around the cursor is scanned, so a call
// stays well under a millisecond even on large files.
const windowBytes = 48 << 10

// docWindow returns the text around the cursor that is scanned, cut at line
// boundaries, and the cursor's byte offset within it.
func docWindow(code string, off int) (string, int) {
	start, end := max(0, off-windowBytes), min(len(code), off+windowBytes)
	if start > 0 {
		if i := strings.IndexByte(code[start:off], '\n'); i >= 0 {
			start += i + 1
		}
	}
	if end < len(code) {
		if i := strings.LastIndexByte(code[off:end], '\n'); i >= 0 {
			end = off + i
		}
	}
	return code[start:end], off - start
}

// Thresholds, tuned with completion/eval: below them a suggestion is more
// often wrong than the attention it costs is worth.
const (
	// minPatternShare is the share of the weight of matching lines (or
	// contexts) that must agree on a continuation.
	minPatternShare = 0.6
	// minLonePrefix is how long the start of a line must be for a single
	// earlier line that starts the same way to be trusted.
	minLonePrefix = 16
	// minIdentShare is the share of the weight of candidate identifiers the
	// best one must have.
	minIdentShare = 0.65
)

// proximity weighs an occurrence dist bytes away from the cursor: nearby uses
// count up to nine times as much as distant ones.
func proximity(dist int) float64 {
	if dist < 0 {
		dist = -dist
	}
	return 1 + 8*1024/float64(1024+dist)
}

// continuation is one candidate rest-of-line and its weight.
type continuation struct {
	text   string
	weight float64
}

// linePattern looks for other lines of doc that, once indentation is removed,
// start with prefix (the current line up to the cursor, unindented) and go on.
// It returns the longest run of tokens that a clear majority of those lines
// continue with, and the share of the matching weight that supports it. cur is
// the cursor's offset in doc; its own line is skipped.
func linePattern(doc string, cur int, prefix string) (string, float64, int) {
	if prefix == "" {
		return "", 0, 0
	}
	curStart := strings.LastIndexByte(doc[:cur], '\n') + 1
	var conts []continuation
	for start := 0; start < len(doc); {
		end := strings.IndexByte(doc[start:], '\n')
		if end < 0 {
			end = len(doc)
		} else {
			end += start
		}
		if start != curStart {
			line := strings.TrimLeft(doc[start:end], " \t")
			if len(line) > len(prefix) && strings.HasPrefix(line, prefix) {
				rest := strings.TrimRight(line[len(prefix):], " \t\r")
				if rest != "" {
					conts = append(conts, continuation{rest, proximity(start - cur)})
				}
			}
		}
		start = end + 1
	}
	return commonContinuation(conts)
}

// commonContinuation descends token by token while the heaviest next token
// keeps at least minShare of the total weight. It returns the agreed text, its
// share, and how many candidates support it.
func commonContinuation(conts []continuation) (string, float64, int) {
	const minShare = 0.7
	var total float64
	for _, c := range conts {
		total += c.weight
	}
	if total == 0 {
		return "", 0, 0
	}
	var b strings.Builder
	share, support := 0.0, 0
	pos := 0 // byte offset into every surviving candidate
	for len(conts) > 0 {
		weights := map[string]float64{}
		best, bestW := "", 0.0
		for _, c := range conts {
			tok := nextToken(c.text[pos:])
			weights[tok] += c.weight
			if w := weights[tok]; w > bestW || (w == bestW && tok < best) {
				best, bestW = tok, w
			}
		}
		if best == "" || bestW/total < minShare {
			break
		}
		kept := conts[:0]
		for _, c := range conts {
			if nextToken(c.text[pos:]) == best {
				kept = append(kept, c)
			}
		}
		conts = kept
		b.WriteString(best)
		pos += len(best)
		share, support = bestW/total, len(conts)
	}
	return strings.TrimRight(b.String(), " \t"), share, support
}

// nextToken returns the first token of s: a run of identifier characters, a
// run of blanks, or one other byte; "" at the end.
func nextToken(s string) string {
	if s == "" {
		return ""
	}
	i := 1
	switch {
	case isIdent(s[0]):
		for i < len(s) && isIdent(s[i]) {
			i++
		}
	case s[0] == ' ' || s[0] == '\t':
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
	default:
		for i < len(s) && s[i] >= 0x80 && s[i] < 0xC0 { // keep a UTF-8 sequence whole
			i++
		}
	}
	return s[:i]
}

// isIdent reports whether c may be part of an identifier; bytes of non-ASCII
// UTF-8 sequences count, so letters in any script do.
func isIdent(c byte) bool {
	return c == '_' || c == '$' || c >= 0x80 || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// identCandidates returns the identifiers of doc that extend partial (which
// may be empty after a receiver), weighted by proximity to cur. When recv is
// not empty, only identifiers written as recv.name count.
func identCandidates(doc string, cur int, partial, recv string) []continuation {
	weights := map[string]float64{}
	var order []string
	for i := 0; i < len(doc); {
		if !isIdent(doc[i]) {
			i++
			continue
		}
		j := i + 1
		for j < len(doc) && isIdent(doc[j]) {
			j++
		}
		word := doc[i:j]
		if i != cur-len(partial) && len(word) > len(partial) && strings.HasPrefix(word, partial) &&
			(word[0] < '0' || word[0] > '9') && (recv == "" || hasReceiver(doc, i, recv)) {
			if _, ok := weights[word]; !ok {
				order = append(order, word)
			}
			weights[word] += proximity(i - cur)
		}
		i = j
	}
	out := make([]continuation, 0, len(order))
	for _, w := range order {
		out = append(out, continuation{w[len(partial):], weights[w]})
	}
	return out
}

// hasReceiver reports whether doc[:i] ends with recv followed by a dot, recv
// being a whole word.
func hasReceiver(doc string, i int, recv string) bool {
	if i == 0 || doc[i-1] != '.' || !strings.HasSuffix(doc[:i-1], recv) {
		return false
	}
	j := i - 1 - len(recv)
	return j == 0 || !isIdent(doc[j-1])
}

// identAtEnd splits the end of line into the receiver before a dot (if any)
// and the partial identifier at the cursor.
func identAtEnd(line string) (recv, partial string) {
	i := len(line)
	for i > 0 && isIdent(line[i-1]) {
		i--
	}
	partial = line[i:]
	if i > 0 && line[i-1] == '.' {
		j := i - 1
		for j > 0 && isIdent(line[j-1]) {
			j--
		}
		recv = line[j : i-1]
	}
	return recv, partial
}

// fromDocument completes the line before the cursor (before) from the
// document around the cursor: a repeated line pattern when one clearly
// dominates, else what follows the same last tokens elsewhere, else the
// identifier being typed (or the member after a receiver). It returns "" when
// no candidate clearly dominates.
func fromDocument(code string, off int, before string) (string, float64) {
	doc, cur := docWindow(code, off)
	prefix := strings.TrimLeft(before, " \t")
	if text, share, support := linePattern(doc, cur, prefix); text != "" && (support >= 2 || len(prefix) >= minLonePrefix) && share >= minPatternShare {
		return text, confidenceOf(share, support)
	}
	if text, share, support := suffixPattern(doc, cur, prefix); text != "" {
		return text, confidenceOf(share, support)
	}
	recv, partial := identAtEnd(before)
	if partial == "" && recv == "" {
		return "", 0
	}
	if partial != "" && partial[0] >= '0' && partial[0] <= '9' {
		return "", 0
	}
	cands := identCandidates(doc, cur, partial, recv)
	if len(cands) == 0 && recv != "" && partial != "" {
		cands = identCandidates(doc, cur, partial, "")
	}
	best, share, total := dominant(cands)
	if best == "" || share < minIdentShare || total < 2 {
		return "", 0
	}
	return best, confidenceOf(share, 2)
}

// dominant returns the heaviest candidate, its share of the total weight, and
// the total weight.
func dominant(cands []continuation) (string, float64, float64) {
	var total, bestW float64
	best := ""
	for _, c := range cands {
		total += c.weight
		if c.weight > bestW {
			best, bestW = c.text, c.weight
		}
	}
	if total == 0 {
		return "", 0, 0
	}
	return best, bestW / total, total
}

// confidenceOf maps agreement (share of the weight) and support (how many
// lines agree) to a confidence in (0, 0.95].
func confidenceOf(share float64, support int) float64 {
	c := share * (1 - 1/float64(support+2))
	return min(0.95, max(0.05, c))
}

// maxOccurrences bounds how many matches of one context are examined.
const maxOccurrences = 400

// suffixPattern finds the other places in doc where the text before the
// cursor ends the same way (its last tokens, from the longest such context
// found at least twice to the shortest) and returns what a clear majority of
// them continue with up to their line end. The most specific context that
// occurs decides: when its continuations disagree there is no suggestion.
func suffixPattern(doc string, cur int, prefix string) (string, float64, int) {
	var starts []int // token starts in prefix
	for i := 0; i < len(prefix); {
		tok := nextToken(prefix[i:])
		if tok[0] != ' ' && tok[0] != '\t' {
			starts = append(starts, i)
		}
		i += len(tok)
	}
	for k, s := range starts {
		if k == 0 {
			continue // the whole line: linePattern's job
		}
		key := prefix[s:]
		if len(key) < 3 {
			break
		}
		var conts []continuation
		for from := 0; from < len(doc) && len(conts) < maxOccurrences; {
			i := strings.Index(doc[from:], key)
			if i < 0 {
				break
			}
			i += from
			from = i + 1
			end := i + len(key)
			if end == cur || (i > 0 && isIdent(key[0]) && isIdent(doc[i-1])) {
				continue
			}
			lineEnd := strings.IndexByte(doc[end:], '\n')
			if lineEnd < 0 {
				lineEnd = len(doc)
			} else {
				lineEnd += end
			}
			rest := strings.TrimRight(doc[end:lineEnd], " \t\r")
			conts = append(conts, continuation{rest, proximity(i - cur)})
		}
		if len(conts) < 2 {
			continue
		}
		text, share, support := commonContinuation(conts)
		if text == "" || support < 2 || share < minPatternShare {
			return "", 0, 0
		}
		return text, share, support
	}
	return "", 0, 0
}
