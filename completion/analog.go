package completion

import (
	"math"
	"strings"

	"github.com/pairpad/pairpad/completion/ngram"
)

// An analogous line is another line of the document that starts like the
// cursor's line but for one or two identifiers, such as the Decoder class
// beside the Encoder class being written:
//
//	class IncrementalDecoder(codecs.IncrementalDecoder):
//	class IncrementalEncoder(codecs.Incremental‸
//
// Its rest, with the same renaming (Decoder to Encoder), is a likely rest of
// the cursor's line, which the n-gram models cannot know: to them the only
// continuation ever seen is "Decoder".

const (
	// maxAnalogDiffs is how many identifiers may differ between the lines.
	maxAnalogDiffs = 2
	// minAnalogAnchors is how many tokens must be equal.
	minAnalogAnchors = 2
	// maxAnalogLines bounds how many lines are compared, nearest first.
	maxAnalogLines = 4000
)

// analogy is what the analogous lines suggest.
type analogy struct {
	text         string // the rest of the line, renamed
	source       string // the rest of the line as the analogous line has it
	firstRenamed int    // the length of text up to the end of its first renamed identifier
	anchors      int    // equal tokens before the cursor
	identAnchors int    // how many of those are identifiers
	diffs        int    // renamed identifiers before the cursor
	renamed      int    // identifiers renamed in the suggestion
	previous     bool   // the renaming is the one between the lines before
	agree        int    // analogous lines that suggest the same text
	disagree     int    // analogous lines that suggest something else
}

// findAnalogy looks for lines analogous to the cursor's line in the
// tokenized document (toks, with the cursor's line from lineStart to cur in
// toks, and partial the identifier typed at the cursor) and returns the
// nearest one's suggestion. ok is false when no analogous line renames
// anything in its rest.
func findAnalogy(doc string, toks []ngram.Token, lineStart, cur int, partial string) (a analogy, ok bool) {
	k := cur - lineStart
	if k < minAnalogAnchors+1 {
		return analogy{}, false
	}
	lines := lineStarts(doc, toks)
	// The index, in lines, of the cursor's line.
	here := 0
	for here < len(lines) && lines[here] < lineStart {
		here++
	}
	seen := 0
	for d := 1; seen < maxAnalogLines && (here-d >= 0 || here+d < len(lines)); d++ {
		for _, li := range [2]int{here - d, here + d} {
			if li < 0 || li >= len(lines) {
				continue
			}
			seen++
			b, found := analogAt(doc, toks, lines, li, here, k, partial)
			if !found {
				continue
			}
			switch {
			case !ok:
				a, ok = b, true
				a.agree = 1
			case b.text == a.text:
				a.agree++
			default:
				a.disagree++
			}
		}
	}
	return a, ok
}

// lineStarts returns the index in toks of the first token of every line.
func lineStarts(doc string, toks []ngram.Token) []int {
	starts := []int{0}
	for i, t := range toks {
		if doc[t.Start] == '\n' && i+1 < len(toks) {
			starts = append(starts, i+1)
		}
	}
	return starts
}

// analogAt compares line li (an index in lines) with the cursor's line
// (line here, k tokens). When their first k tokens are equal but for one or
// two identifiers, and at least one identifier is equal, it returns the rest
// of line li with the same renaming applied, if that renames something and
// starts with partial. When the first k tokens are all equal, the renaming
// is the one between the lines before them, if those are analogous.
func analogAt(doc string, toks []ngram.Token, lines []int, li, here, k int, partial string) (a analogy, ok bool) {
	at := lines[li]
	if li == here || at+k >= len(toks) {
		return analogy{}, false
	}
	subs, anchors, identAnchors, ok := align(doc, toks, at, lines[here], k)
	if !ok || anchors < minAnalogAnchors || identAnchors == 0 {
		return analogy{}, false
	}
	a.anchors, a.identAnchors, a.diffs = anchors, identAnchors, len(subs)
	if len(subs) == 0 && li > 0 && here > 0 {
		prev, prevHere := lines[li-1], lines[here-1]
		if n := at - prev - 1; n == lines[here]-prevHere-1 && n > 0 {
			if s, _, idents, ok := align(doc, toks, prev, prevHere, n); ok && idents > 0 {
				subs, a.previous = s, true
			}
		}
	}
	if len(subs) == 0 {
		return analogy{}, false
	}
	var b strings.Builder
	j := at + k
	for ; j < len(toks) && doc[toks[j].Start] != '\n'; j++ {
		s := doc[toks[j].Start:toks[j].End]
		if ngram.IsIdent(s[0]) {
			if r, ok := applyRenames(s, subs); ok {
				s = r
				if a.renamed++; a.renamed == 1 {
					a.firstRenamed = b.Len() + len(s)
				}
			}
		}
		b.WriteString(s)
	}
	text := b.String()
	if a.renamed == 0 || !strings.HasPrefix(text, partial) || len(text) == len(partial) {
		return analogy{}, false
	}
	a.text, a.firstRenamed = text[len(partial):], max(0, a.firstRenamed-len(partial))
	if source := doc[toks[at+k].Start:toks[j-1].End]; strings.HasPrefix(source, partial) {
		a.source = source[len(partial):]
	}
	return a, true
}

// echoes reports whether text, suggested by the n-gram models, is the
// analogous line's rest before its renaming: the models copy the line that
// the analogy renames, and are wrong where they disagree with it.
func (a analogy) echoes(text string) bool {
	return text != "" && strings.HasPrefix(a.source, text) && !strings.HasPrefix(a.text, text)
}

// align compares the n tokens from index x with the n from index y. ok is
// false unless they are equal but for at most maxAnalogDiffs identifiers;
// it returns the renames that turn those of x into those of y, and how many
// tokens, and identifiers, are equal.
func align(doc string, toks []ngram.Token, x, y, n int) (subs []rename, anchors, identAnchors int, ok bool) {
	for j := range n {
		tx, ty := toks[x+j], toks[y+j]
		xs, ys := doc[tx.Start:tx.End], doc[ty.Start:ty.End]
		if tx.Hash == ty.Hash {
			anchors++
			if ngram.IsIdent(xs[0]) {
				identAnchors++
			}
			continue
		}
		if !ngram.IsIdent(xs[0]) || !ngram.IsIdent(ys[0]) || len(subs) == maxAnalogDiffs {
			return nil, 0, 0, false
		}
		subs = append(subs, renameOf(xs, ys))
	}
	return subs, anchors, identAnchors, true
}

// analogFeatures are the inputs of the calibration model of an analogy's
// suggestion, cut after its first renamed identifier (cut) or whole.
func (a analogy) features(cut, comment bool, partial int) [numAnalogFeatures]float64 {
	n := len(a.text)
	if cut {
		n = a.firstRenamed
	}
	return [numAnalogFeatures]float64{
		1,
		math.Log1p(float64(a.anchors)),
		math.Log1p(float64(a.identAnchors)),
		b2f(a.diffs > 1),
		math.Log1p(float64(a.agree)),
		math.Log1p(float64(a.disagree)),
		b2f(a.disagree == 0),
		math.Log1p(float64(a.renamed)),
		math.Log1p(float64(n)),
		b2f(cut),
		b2f(comment),
		b2f(partial > 0),
		b2f(a.previous),
	}
}

// numAnalogFeatures is the length of analogy.features.
const numAnalogFeatures = 13

// suggest returns the analogy's suggestion with the best expected payoff,
// whole or cut after its first renamed identifier, and its chance of being
// right.
func (a analogy) suggest(comment bool, partial int) (text string, p, gain float64) {
	for _, cut := range a.cuts() {
		t := a.variant(cut)
		f := a.features(cut, comment, partial)
		q := logistic(analogWeights[:], f[:])
		if g := q*float64(len(t)) - (1-q)*wrongCost; t != "" && g > gain {
			text, p, gain = t, q, g
		}
	}
	return text, p, gain
}

// cuts lists the variants of the suggestion: whole (false), and cut after
// the first renamed identifier (true) when that is shorter.
func (a analogy) cuts() []bool {
	if a.firstRenamed == 0 || a.firstRenamed == len(a.text) {
		return []bool{false}
	}
	return []bool{false, true}
}

// variant returns the suggestion, whole or cut, without trailing blanks.
func (a analogy) variant(cut bool) string {
	t := a.text
	if cut {
		t = t[:a.firstRenamed]
	}
	return strings.TrimRight(t, " \t")
}

// A rename turns the words from into to inside identifiers.
type rename struct{ from, to []string }

// renameOf finds what differs between two identifiers, in whole words:
// IncrementalDecoder and IncrementalEncoder differ in Decoder and Encoder.
func renameOf(x, y string) rename {
	xw, yw := words(x), words(y)
	p := 0
	for p < len(xw) && p < len(yw) && xw[p] == yw[p] {
		p++
	}
	s := 0
	for s < len(xw)-p && s < len(yw)-p && xw[len(xw)-1-s] == yw[len(yw)-1-s] {
		s++
	}
	return rename{xw[p : len(xw)-s], yw[p : len(yw)-s]}
}

// applyRenames renames the words of s that the first rename that applies
// names, in the same case or all lower or upper case. ok is false when none
// does.
func applyRenames(s string, subs []rename) (string, bool) {
	w := words(s)
	for _, r := range subs {
		if len(r.from) == 0 {
			continue
		}
		for _, fold := range []func(string) string{nil, strings.ToLower, strings.ToUpper} {
			from, to := r.from, r.to
			if fold != nil {
				from, to = foldWords(from, fold), foldWords(to, fold)
			}
			for i := 0; i+len(from) <= len(w); i++ {
				if equalWords(w[i:i+len(from)], from) {
					return strings.Join(w[:i], "") + strings.Join(to, "") + strings.Join(w[i+len(from):], ""), true
				}
			}
		}
	}
	return s, false
}

// foldWords returns words with fold applied to each.
func foldWords(words []string, fold func(string) string) []string {
	out := make([]string, len(words))
	for i, w := range words {
		out[i] = fold(w)
	}
	return out
}

func equalWords(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// words splits an identifier into its words: runs of lower-case letters
// with an optional capital in front, runs of capitals, runs of digits, and
// single underscores.
func words(s string) []string {
	var out []string
	start := 0
	for i := 1; i < len(s); i++ {
		prev, next := charClass(s[i-1]), charClass(s[i])
		switch {
		case prev == upper && next == lower:
			// A capital starts the word it is in front of: HTTPServer is
			// HTTP and Server.
			if i-1 > start {
				out = append(out, s[start:i-1])
				start = i - 1
			}
		case prev != next || prev == underscore:
			out = append(out, s[start:i])
			start = i
		}
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

// The classes of the characters of an identifier, as words splits it.
const (
	underscore = iota
	digit
	upper
	lower // and any other byte
)

func charClass(c byte) int {
	switch {
	case c == '_':
		return underscore
	case c >= '0' && c <= '9':
		return digit
	case c >= 'A' && c <= 'Z':
		return upper
	default:
		return lower
	}
}
