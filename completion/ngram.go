package completion

import (
	"math"
	"slices"
	"strings"

	"github.com/pairpad/pairpad/completion/ngram"
)

// The rest of the line is predicted by two token n-gram models at once: one
// of the document around the cursor (a "cache" model: every other place where
// the tokens before the cursor occur votes for the token that followed
// there), and one of the language (ngram.Model, counted in permissively
// licensed code and embedded). At each context length the document's counts,
// weighted up, are added to the language's, and the lengths are interpolated
// (Witten-Bell). The line is decoded one token at a time, each token's chance
// of being right is estimated by a calibrated logistic model of the evidence
// (calibration.go), and the suggestion is the prefix with the best expected
// payoff.

const (
	// maxLocalOrder is the longest context, in tokens, matched in the document.
	maxLocalOrder = 12
	// maxSuggestTokens bounds how many tokens one suggestion has.
	maxSuggestTokens = 24
	// localWeight is how much more one occurrence in the document counts
	// than one in the language model's corpus.
	localWeight = 100
	// windowBytes bounds how much text on each side of the cursor is
	// scanned, so a call stays within a few milliseconds on large files.
	windowBytes = 48 << 10
)

// Decoding thresholds, tuned with completion/eval.
const (
	// minLikelihood stops decoding when the chance that everything so far is
	// right falls below it.
	minLikelihood = 0.35
	// wrongCost is what a wrong suggestion costs, in characters: a prefix is
	// worth p*len - (1-p)*wrongCost, and nothing is shown unless one is worth
	// more than zero.
	wrongCost = 6
)

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

// lineModel predicts the rest of the line at a cursor.
type lineModel struct {
	text   string
	toks   []ngram.Token
	cur    int      // index in toks of the first token after the cursor
	line   int      // index in toks of the first token of the cursor's line
	curOff int      // the cursor's byte offset in text
	ctx    []uint64 // the tokens before the cursor (and the partial one), newest last
	lang   *ngram.Model

	// The language's tokens that start with the partial token: indexes
	// [uniLo, uniHi) of its vocabulary, and how often they occurred.
	uniLo, uniHi int
	uniTotal     float64

	local      [maxLocalOrder + 1]map[uint64]*tally
	localTotal [maxLocalOrder + 1]float64
	global     [ngram.MaxOrder + 1]globalCounts
}

// tally is the weight one candidate token got at one context length.
type tally struct {
	weight float64
	text   string
}

// globalCounts is what the language model says at one context length, for
// the tokens that start with the partial token.
type globalCounts struct {
	ctx          ngram.Context
	total, types float64
}

// newLineModel tokenizes doc around the cursor at byte offset cur. The
// token at the cursor, if the cursor ends an identifier or a run of blanks,
// is the partial token: it is left out of the context and returned.
func newLineModel(doc string, cur int, lang *ngram.Model) (*lineModel, string) {
	m := &lineModel{text: doc, lang: lang, curOff: cur}
	m.toks = ngram.Tokenize(doc, 0, cur, make([]ngram.Token, 0, len(doc)/3))
	partial := ""
	if n := len(m.toks); n > 0 && m.toks[n-1].End == cur {
		last := doc[m.toks[n-1].Start:cur]
		if ngram.IsIdent(last[0]) || last[0] == ' ' || last[0] == '\t' {
			partial = last
			m.toks = m.toks[:n-1]
		}
	}
	m.cur = len(m.toks)
	m.line = m.cur
	for m.line > 0 && doc[m.toks[m.line-1].Start] != '\n' {
		m.line--
	}
	for i := max(0, m.cur-maxLocalOrder); i < m.cur; i++ {
		m.ctx = append(m.ctx, m.toks[i].Hash)
	}
	m.toks = ngram.Tokenize(doc, cur, len(doc), m.toks)
	for i := range m.local {
		m.local[i] = map[uint64]*tally{}
	}
	return m, partial
}

// push appends a decoded token to the context.
func (m *lineModel) push(tok string) {
	m.ctx = append(m.ctx, ngram.Hash(tok))
	if len(m.ctx) > maxLocalOrder {
		m.ctx = m.ctx[1:]
	}
}

// localBudget bounds the counts one step makes in the document, so that a
// document repeating one token over and over costs no more than a few
// milliseconds; the places nearest the cursor are counted first.
const localBudget = 20000

// countLocal fills m.local: for every place in the document whose preceding
// tokens match the end of the context, the token there (if it starts with
// partial) is counted at each matching length; with a partial token, every
// token that starts with it counts at length 0. It returns the longest
// length with a count.
func (m *lineModel) countLocal(partial string) int {
	for k, c := range m.local {
		clear(c)
		m.localTotal[k] = 0
	}
	top, spent := 0, 0
	for d := 1; spent < localBudget && (m.cur-d >= 1 || m.cur+d < len(m.toks)); d++ {
		for _, i := range [2]int{m.cur - d, m.cur + d} { // i == m.cur is the cursor's own place
			if i >= 1 && i < len(m.toks) {
				n, updates := m.countAt(i, partial)
				top = max(top, n)
				spent += updates
			}
		}
	}
	return top
}

// countAt counts the token at index i of the document if it starts with
// partial and the tokens before it match the end of the context. It returns
// the length of that match and how many counts it made.
func (m *lineModel) countAt(i int, partial string) (n, updates int) {
	for n < len(m.ctx) && n < i && m.toks[i-1-n].Hash == m.ctx[len(m.ctx)-1-n] {
		n++
	}
	t := m.toks[i]
	s := m.text[t.Start:t.End]
	if n == 0 && partial == "" || !strings.HasPrefix(s, partial) {
		return 0, 0
	}
	w := nearness(t.Start - m.curOff)
	for k := 0; k <= n; k++ {
		c := m.local[k][t.Hash]
		if c == nil {
			c = &tally{text: s}
			m.local[k][t.Hash] = c
		}
		c.weight += w
		m.localTotal[k] += w
	}
	return n, n + 1
}

// countGlobal fills m.global from the language model and returns the longest
// context length it knows.
func (m *lineModel) countGlobal(partial string) int {
	m.uniLo, m.uniHi, m.uniTotal = 0, 0, 0
	if partial != "" {
		m.uniLo, m.uniHi, m.uniTotal = m.lang.Prefixed(partial)
	}
	top := 0
	for n := 1; n <= ngram.MaxOrder; n++ {
		c, ok := m.lang.Lookup(m.ctx, n)
		if !ok {
			break
		}
		g := globalCounts{ctx: c, total: c.Total, types: c.Types}
		if partial != "" {
			g.total, g.types = 0, 0
			for i := range c.Len() {
				if s, _, count := c.Follower(i); strings.HasPrefix(s, partial) {
					g.total += count
					g.types++
				}
			}
		}
		m.global[n] = g
		if g.total > 0 {
			top = n
		}
	}
	return top
}

// evidence is what one decoding step saw; calibration.go turns it into the
// chance that the step's token is right.
type evidence struct {
	prob                  float64 // the interpolated estimate of the token
	localTop, globalTop   int     // longest matching context in the document and the model
	localBest, localAll   float64 // the token's count and all counts at localTop
	globalBest, globalAll float64 // the same at globalTop
	localTypes            int     // distinct tokens at localTop
	partial, step         int     // the partial token's length, and the step's index
	token                 string
	runnerUp              float64 // the estimate of the second most probable token
	localAgrees           bool    // the token is the document's most frequent at localTop
	globalAgrees          bool    // the token is the model's most frequent at globalTop
	comment               bool    // the line is a comment
}

// step returns the most probable next token, among those that start with
// partial, and the evidence for it. ok is false when neither model knows
// the context.
func (m *lineModel) step(partial string) (ev evidence, ok bool) {
	ltop, gtop := m.countLocal(partial), m.countGlobal(partial)
	if ltop == 0 && gtop == 0 && m.localTotal[0] == 0 && m.uniTotal == 0 {
		return evidence{}, false
	}
	top := max(ltop, gtop)
	var best uint64
	seen := map[uint64]bool{}
	consider := func(s string, h uint64) {
		if seen[h] {
			return
		}
		seen[h] = true
		switch p := m.prob(s, h, top, ltop, gtop); {
		case p > ev.prob || p == ev.prob && s < ev.token: // ties go the same way every time
			ev.runnerUp = ev.prob
			ev.token, ev.prob, best = s, p, h
		case p > ev.runnerUp:
			ev.runnerUp = p
		}
	}
	for h, c := range m.local[ltop] {
		consider(c.text, h)
	}
	if gtop > 0 {
		c := m.global[gtop].ctx
		for i := range c.Len() {
			if s, h, _ := c.Follower(i); strings.HasPrefix(s, partial) {
				consider(s, h)
			}
		}
	}
	for _, i := range m.frequentPrefixed() {
		s, h, _ := m.lang.Token(i)
		consider(s, h)
	}
	if ev.token == "" {
		return evidence{}, false
	}
	ev.localTop, ev.globalTop = ltop, gtop
	ev.localAll, ev.localTypes = m.localTotal[ltop], len(m.local[ltop])
	if c := m.local[ltop][best]; c != nil {
		ev.localBest = c.weight
	}
	if gtop > 0 {
		ev.globalAll, ev.globalBest = m.global[gtop].total, m.global[gtop].ctx.Count(best)
	}
	ev.partial = len(partial)
	ev.localAgrees = ltop > 0 && ev.localBest == m.maxLocal(ltop)
	if gtop > 0 {
		c := m.global[gtop].ctx
		for i := range c.Len() {
			if s, h, _ := c.Follower(i); strings.HasPrefix(s, partial) {
				ev.globalAgrees = h == best
				break
			}
		}
	}
	return ev, true
}

// maxLocal returns the highest count at context length k.
func (m *lineModel) maxLocal(k int) float64 {
	top := 0.0
	for _, c := range m.local[k] {
		top = max(top, c.weight)
	}
	return top
}

// maxPrefixed is how many of the language's most frequent tokens that start
// with the partial token are candidates, and maxPrefixScan how many are
// looked at to find them.
const (
	maxPrefixed   = 8
	maxPrefixScan = 1 << 15
)

// frequentPrefixed returns the vocabulary indexes of the language's most
// frequent tokens that start with the partial token.
func (m *lineModel) frequentPrefixed() []int {
	if m.uniHi-m.uniLo > maxPrefixScan {
		return nil
	}
	var top []int
	for i := m.uniLo; i < m.uniHi; i++ {
		_, _, n := m.lang.Token(i)
		j := len(top)
		for j > 0 && m.count(top[j-1]) < n {
			j--
		}
		if j < maxPrefixed {
			top = slices.Insert(top, j, i)
			top = top[:min(len(top), maxPrefixed)]
		}
	}
	return top
}

func (m *lineModel) count(i int) float64 {
	_, _, n := m.lang.Token(i)
	return n
}

// prob is the interpolated estimate of the token s (with hash h): Witten-Bell
// over context lengths 0 to top, where the counts at each length are the
// document's (times localWeight) plus the model's, and length 0 counts the
// tokens that start with the partial token.
func (m *lineModel) prob(s string, h uint64, top, ltop, gtop int) float64 {
	own, total := 0.0, localWeight*m.localTotal[0]+m.uniTotal
	if c := m.local[0][h]; c != nil {
		own = localWeight * c.weight
	}
	if m.uniTotal > 0 {
		own += m.lang.Unigram(s)
	}
	p := ratio(own, total)
	for k := 1; k <= top; k++ {
		total, types, own := 0.0, 0.0, 0.0
		if k <= ltop {
			total += localWeight * m.localTotal[k]
			types += float64(len(m.local[k]))
			if c := m.local[k][h]; c != nil {
				own += localWeight * c.weight
			}
		}
		if k <= gtop {
			g := m.global[k]
			total += g.total
			types = max(types, g.types)
			own += g.ctx.Count(h)
		}
		if total > 0 {
			p = (own + types*p) / (total + types)
		}
	}
	return p
}

// predictLine predicts the rest of the line at byte offset cur of doc: the
// decoded text of lang's model (nil: the document alone) or an analogous
// line's rest (analog.go), whichever prefix has the best expected payoff. It
// returns that prefix and the chance that it is right; "" when no prefix is
// worth showing.
func predictLine(doc string, cur int, lang *ngram.Model, comment bool) (string, float64) {
	m, partial := newLineModel(doc, cur, lang)
	text, p, gain := m.decode(partial, comment)
	if a, ok := findAnalogy(doc, m.toks, m.line, m.cur, partial); ok {
		if a.echoes(text) {
			text, p, gain = "", 0, 0
		}
		if t, q, g := a.suggest(comment, len(partial)); g > gain {
			text, p = t, q
		}
	}
	return fitRule(doc, cur, alignColumn(doc, cur, text)), p
}

// decode decodes the rest of the line and returns the prefix with the best
// expected payoff, its chance of being right, and that payoff.
func (m *lineModel) decode(partial string, comment bool) (text string, p, gain float64) {
	var b strings.Builder
	all := 1.0 // the chance that everything decoded so far is right
	for i := range maxSuggestTokens {
		ev, ok := m.step(partial)
		if !ok || ev.token == "\n" {
			break
		}
		ev.step, ev.comment = i, comment
		if all *= ev.confidence(); all < minLikelihood {
			break
		}
		b.WriteString(ev.token[len(partial):])
		partial = ""
		n := float64(len(strings.TrimRight(b.String(), " \t")))
		if g := all*n - (1-all)*wrongCost; g > gain {
			text, p, gain = b.String(), all, g
		}
		m.push(ev.token)
	}
	return strings.TrimRight(text, " \t"), p, gain
}

// features are the inputs of the calibration model, in the order of
// stepWeights.
func (ev evidence) features() [numFeatures]float64 {
	p := min(max(ev.prob, 1e-4), 1-1e-4)
	localShare, globalShare := ratio(ev.localBest, ev.localAll), ratio(ev.globalBest, ev.globalAll)
	kind := byte(0)
	if ev.token != "" {
		kind = ev.token[0]
	}
	ident, blank := ngram.IsIdent(kind), kind == ' ' || kind == '\t'
	return [numFeatures]float64{
		1,
		math.Log(p / (1 - p)),
		float64(min(ev.localTop, maxLocalOrder)) / maxLocalOrder,
		float64(ev.globalTop) / ngram.MaxOrder,
		localShare,
		globalShare,
		math.Log1p(ev.localBest),
		math.Log1p(ev.globalBest),
		math.Log1p(ev.localAll),
		math.Log1p(ev.globalAll),
		b2f(ident),
		b2f(blank),
		b2f(ev.partial > 0),
		b2f(ev.partial > 0 && ident),
		float64(min(ev.step, 8)) / 8,
		b2f(ev.localTop == 0),
		b2f(ev.globalTop == 0),
		localShare * globalShare,
		float64(min(ev.localTypes, 10)) / 10,
		ev.prob - ev.runnerUp,
		b2f(ev.localAgrees),
		b2f(ev.globalAgrees),
		b2f(ev.localAgrees && ev.globalAgrees),
		b2f(ev.comment),
		math.Log1p(float64(ev.partial)),
		math.Log1p(float64(len(ev.token))),
		b2f(ev.localTop == 1),
		b2f(ev.localTop == 2),
		b2f(ev.localTop >= 3 && ev.localTop <= 5),
		b2f(kind >= '0' && kind <= '9'),
	}
}

// numFeatures is the length of evidence.features.
const numFeatures = 30

// confidence is the calibrated chance that the step's token is right, given
// that the tokens before it were.
func (ev evidence) confidence() float64 {
	f := ev.features()
	return logistic(stepWeights[:], f[:])
}

// logistic is the logistic model with weights w of the features f.
func logistic(w, f []float64) float64 {
	z := 0.0
	for i, v := range w {
		z += v * f[i]
	}
	return 1 / (1 + math.Exp(-z))
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// nearness weighs an occurrence dist bytes away from the cursor: 1 beside
// it, 1/2 at 4 KiB, less further away (nearby code is the better evidence).
func nearness(dist int) float64 {
	if dist < 0 {
		dist = -dist
	}
	return 4096 / (4096 + float64(dist))
}
