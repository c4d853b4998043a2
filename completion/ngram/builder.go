package ngram

import (
	"cmp"
	"slices"
)

// Builder counts the n-grams of a corpus and prunes them into a Model.
type Builder struct {
	// MinContext drops contexts that occurred fewer times.
	MinContext int
	// MinFollower drops followers seen fewer times after their context.
	MinFollower int
	// Keep is how many followers are kept per context, most frequent first.
	Keep int
	// MinUnigram drops tokens seen fewer times from the vocabulary, unless
	// they are kept as followers.
	MinUnigram int

	vocab map[string]uint32
	words []string
	seen  []uint32 // occurrences of each word
	pairs map[pair]uint32
}

type pair struct {
	ctx   uint64
	token uint32
}

// Add counts the n-grams of one file.
func (b *Builder) Add(text string) {
	if b.pairs == nil {
		b.vocab = map[string]uint32{}
		b.pairs = map[pair]uint32{}
	}
	toks := Tokenize(text, 0, len(text), nil)
	hashes := make([]uint64, len(toks))
	for i, t := range toks {
		hashes[i] = t.Hash
	}
	for i, t := range toks {
		word := text[t.Start:t.End]
		id, ok := b.vocab[word]
		if !ok {
			id = uint32(len(b.words))
			b.vocab[word] = id
			b.words = append(b.words, word)
			b.seen = append(b.seen, 0)
		}
		b.seen[id]++
		for n := 1; n <= MaxOrder && n <= i; n++ {
			b.pairs[pair{ContextKey(hashes[:i], n), id}]++
		}
	}
}

// Model prunes the counts into a Model.
func (b *Builder) Model() *Model {
	type ctxInfo struct {
		total, types uint32
		follow       []follower
	}
	ctxs := map[uint64]*ctxInfo{}
	for p, c := range b.pairs {
		ci := ctxs[p.ctx]
		if ci == nil {
			ci = &ctxInfo{}
			ctxs[p.ctx] = ci
		}
		ci.total += c
		ci.types++
		if int(c) >= b.MinFollower {
			ci.follow = append(ci.follow, follower{p.token, c})
		}
	}
	keys := make([]uint64, 0, len(ctxs))
	for k, ci := range ctxs {
		if int(ci.total) >= b.MinContext && len(ci.follow) > 0 {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)

	// The vocabulary: every kept follower and every frequent token, sorted.
	inVocab := make([]bool, len(b.words))
	for id, n := range b.seen {
		inVocab[id] = int(n) >= b.MinUnigram
	}
	for _, k := range keys {
		ci := ctxs[k]
		slices.SortFunc(ci.follow, func(a, b follower) int {
			if c := cmp.Compare(b.count, a.count); c != 0 {
				return c
			}
			return cmp.Compare(a.token, b.token)
		})
		ci.follow = ci.follow[:min(len(ci.follow), b.Keep)]
		for _, f := range ci.follow {
			inVocab[f.token] = true
		}
	}
	var ids []uint32
	for id, in := range inVocab {
		if in {
			ids = append(ids, uint32(id))
		}
	}
	slices.SortFunc(ids, func(x, y uint32) int { return cmp.Compare(b.words[x], b.words[y]) })
	index := make(map[uint32]uint32, len(ids)) // Builder id -> model vocab index
	m := &Model{keys: keys, cum: []uint64{0}}
	for i, id := range ids {
		index[id] = uint32(i)
		m.vocab = append(m.vocab, b.words[id])
		m.vocabHash = append(m.vocabHash, Hash(b.words[id]))
		m.unigram = append(m.unigram, b.seen[id])
		m.cum = append(m.cum, m.cum[i]+uint64(b.seen[id]))
	}
	for _, k := range keys {
		ci := ctxs[k]
		m.total = append(m.total, ci.total)
		m.types = append(m.types, ci.types)
		m.first = append(m.first, uint32(len(m.follow)))
		for _, f := range ci.follow {
			m.follow = append(m.follow, follower{index[f.token], f.count})
		}
	}
	m.first = append(m.first, uint32(len(m.follow)))
	return m
}
