package completion

import (
	"regexp"
	"sync"

	"github.com/pairpad/pairpad/completion/ngram"
	"github.com/pairpad/pairpad/language"
)

// profile is what the built-in engine uses of a language: its catalogue entry
// (package language) with its patterns compiled and its model found.
type profile struct {
	language.Language
	rules []compiledRule
	// blockLine matches a line that opens an indented block without braces;
	// nil when the language has none.
	blockLine *regexp.Regexp
	// model returns the language's model, decoded on first use, or nil.
	model func() *ngram.Model
}

// compiledRule is a language.Rule with its pattern compiled.
type compiledRule struct {
	re         *regexp.Regexp
	suggestion string
	confidence float64
}

// profiles holds a profile per language of the catalogue, keyed by ID. Any
// other ID is plain text. Never modified after initialisation.
var profiles = func() map[string]*profile {
	out := map[string]*profile{}
	for _, l := range language.All() {
		out[l.ID] = newProfile(l)
	}
	return out
}()

// newProfile compiles l's patterns and finds its model: the embedded model
// it names, else a model of its keywords, else none.
func newProfile(l language.Language) *profile {
	p := &profile{Language: l, model: func() *ngram.Model { return nil }}
	for _, r := range l.Rules {
		p.rules = append(p.rules, compiledRule{regexp.MustCompile(r.Pattern), r.Suggestion, r.Confidence})
	}
	if l.BlockLine != "" {
		p.blockLine = regexp.MustCompile(l.BlockLine)
	}
	switch {
	case l.Model != "":
		p.model = func() *ngram.Model { return ngram.ForLanguage(l.Model) }
	case len(l.Keywords) > 0:
		// A vocabulary-only model: the engine completes a partial word from
		// the keywords when the document does not have it yet.
		p.model = sync.OnceValue(func() *ngram.Model { return ngram.Vocabulary(l.Keywords) })
	}
	return p
}

// LoadModels decodes every embedded language model now rather than on the
// first suggestion in that language (a fraction of a second each).
func LoadModels() {
	for _, p := range profiles {
		p.model()
	}
}
