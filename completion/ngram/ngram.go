// Package ngram is a compact token n-gram model of source code: the tokenizer
// the built-in completion engine uses, a Builder that counts n-grams in a
// corpus, and Model, the pruned counts in a binary form that is embedded in
// the binary and searched without decoding it into maps.
//
// A context is the hash of its last n tokens (1 <= n <= MaxOrder); for each
// context the model keeps how often it occurred, how many distinct tokens
// followed it, and the tokens that followed it most often with their counts:
// what Witten-Bell interpolation needs.
package ngram

// MaxOrder is the longest context, in tokens, that a Model keeps.
const MaxOrder = 6

// Token is one token of a text: its hash and where it lies.
type Token struct {
	Hash       uint64
	Start, End int
}

// Next returns the first token of s: a run of identifier characters, a run
// of blanks, or one other character (a whole UTF-8 sequence); "" at the end.
func Next(s string) string {
	if s == "" {
		return ""
	}
	i := 1
	switch {
	case IsIdent(s[0]):
		for i < len(s) && IsIdent(s[i]) {
			i++
		}
	case s[0] == ' ' || s[0] == '\t':
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
	default:
		for i < len(s) && s[i] >= 0x80 && s[i] < 0xC0 {
			i++
		}
	}
	return s[:i]
}

// IsIdent reports whether c may be part of an identifier; bytes of non-ASCII
// UTF-8 sequences count, so letters in any script do.
func IsIdent(c byte) bool {
	return c == '_' || c == '$' || c >= 0x80 || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// Hash is the hash of one token (64-bit FNV-1a), stable across processes.
func Hash(tok string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(tok); i++ {
		h ^= uint64(tok[i])
		h *= 1099511628211
	}
	return h
}

// Tokenize appends the tokens of text[from:to] to out. Indentation (blanks
// at the start of a line) and carriage returns are left out: they say little
// about what comes next, and a cursor never completes them.
func Tokenize(text string, from, to int, out []Token) []Token {
	for i := from; i < to; {
		t := Next(text[i:to])
		j := i + len(t)
		indent := (t[0] == ' ' || t[0] == '\t') && (i == 0 || text[i-1] == '\n')
		if t != "\r" && !indent {
			out = append(out, Token{Hash(t), i, j})
		}
		i = j
	}
	return out
}

// ContextKey is the key of the context made of the last n hashes of ctx.
func ContextKey(ctx []uint64, n int) uint64 {
	h := uint64(n) * 0x9E3779B97F4A7C15
	for _, t := range ctx[len(ctx)-n:] {
		h = (h ^ t) * 0xbf58476d1ce4e5b9
		h ^= h >> 31
	}
	return h
}
