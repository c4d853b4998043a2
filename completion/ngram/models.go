package ngram

import (
	"embed"
	"strings"
	"sync"
)

// models holds the embedded models, one per language, built by
// completion/ngram/gen (make models).
//
//go:embed models/*.ngram.gz
var models embed.FS

// byLanguage maps a language ID to the loader of its embedded model.
var byLanguage = func() map[string]func() *Model {
	entries, err := models.ReadDir("models")
	if err != nil {
		panic(err)
	}
	out := map[string]func() *Model{}
	for _, e := range entries {
		name := e.Name()
		out[strings.TrimSuffix(name, ".ngram.gz")] = sync.OnceValue(func() *Model {
			data, err := models.ReadFile("models/" + name)
			if err == nil {
				var m *Model
				if m, err = Decode(data); err == nil {
					return m
				}
			}
			panic("ngram: embedded model " + name + ": " + err.Error()) // a build defect the tests catch
		})
	}
	return out
}()

// ForLanguage returns the embedded model of a language ID, decoded on first
// use, or nil when there is none.
func ForLanguage(lang string) *Model {
	if load := byLanguage[lang]; load != nil {
		return load()
	}
	return nil
}
