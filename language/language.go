package language

import "slices"

// Default is the ID of the language of a room created without one.
const Default = "python"

// Language is everything pairpad knows about one programming language.
type Language struct {
	// ID is the stable identifier clients send (POST /rooms {"language": ID}): lower-case and
	// compared case-sensitively.
	ID string
	// Name is the language's name as people write it ("C++").
	Name string
	// Extension is the file name extension of the language's source files, with its dot.
	Extension string
	// Starter is the text a new room in the language begins with.
	Starter string

	// Prose marks text that is not code (Markdown, plain text): autocomplete stays silent,
	// since brackets and apostrophes in prose are not code.
	Prose bool
	// LineComment starts a comment that runs to the end of the line, or is "" when the
	// language has none.
	LineComment string
	// Quotes are the characters that open a string literal. Rust's has no single quote: it
	// also marks lifetimes there.
	Quotes string
	// Braces reports whether blocks are closed with a brace.
	Braces bool
	// BlockLine, when not "", is a regular expression (RE2 syntax) that matches a line opening
	// an indented block without braces (Python's "def f():").
	BlockLine string
	// TabIndent reports whether the language's convention is to indent with tabs (gofmt's).
	TabIndent bool
	// Model is the ID of the language whose embedded n-gram model (completion/ngram/models)
	// completes code in this one: its own, a close relative's (TypeScript uses JavaScript's),
	// or "" when there is none and autocomplete completes words from Keywords.
	Model string
	// Keywords are the words the language itself brings: keywords, built-in types and the
	// most used library names.
	Keywords []string
	// Rules are tried in order when nothing better is known about the line being typed.
	Rules []Rule
}

// Rule is a fixed autocomplete suggestion: when Pattern (RE2 syntax) matches the end of the
// line before the cursor, Suggestion is offered with Confidence, the chance it is right.
type Rule struct {
	Pattern    string
	Suggestion string
	Confidence float64
}

// Lookup returns the language with the given ID, and whether there is one. IDs are
// case-sensitive: "Python" is not "python". The caller owns the returned value's slices.
func Lookup(id string) (Language, bool) {
	i := slices.IndexFunc(catalogue, func(l Language) bool { return l.ID == id })
	if i < 0 {
		return Language{}, false
	}
	return catalogue[i].clone(), true
}

// All returns every language, in the order a picker shows them (the default first, plain
// text last). The caller owns the returned slice and everything in it.
func All() []Language {
	out := make([]Language, len(catalogue))
	for i, l := range catalogue {
		out[i] = l.clone()
	}
	return out
}

// clone returns l with slices of its own, so that no caller can change the catalogue.
func (l Language) clone() Language {
	l.Keywords = slices.Clone(l.Keywords)
	l.Rules = slices.Clone(l.Rules)
	return l
}
