package completion

import (
	"container/list"
	"context"
	"crypto/sha256"
	"sync"
)

// Fallible is an engine that may fail: a Completer that reports why it has
// no answer, so that a caller can fall back. The cursor and language follow
// Completer's contract.
type Fallible interface {
	TryComplete(ctx context.Context, code string, cursor int, language string) (Suggestion, error)
}

// RemoteOptions configure NewRemote; the zero value means the defaults.
type RemoteOptions struct {
	// Name identifies the model in cache keys (e.g. "ollama:qwen2.5-coder").
	Name   string
	Budget Budget
	// CacheSize is how many recent answers are kept (0: 256; negative: none).
	CacheSize int
	// Confidence is the confidence of an answer when the model gives none
	// (0: 0.6).
	Confidence float64
}

// Remote is a Fallible engine backed by a Model. Create it with NewRemote; it
// is safe for concurrent use.
type Remote struct {
	model Model
	opts  RemoteOptions
	cache *lru
}

// NewRemote returns an engine that asks m, with the prompt cut to the
// budget, cleans its answer and caches it.
func NewRemote(m Model, opts RemoteOptions) *Remote {
	if opts.CacheSize == 0 {
		opts.CacheSize = 256
	}
	if opts.Confidence <= 0 || opts.Confidence > 1 {
		opts.Confidence = 0.6
	}
	r := &Remote{model: m, opts: opts}
	if opts.CacheSize > 0 {
		r.cache = newLRU(opts.CacheSize)
	}
	return r
}

// TryComplete implements Fallible. Only answers the model gave are cached,
// never failures.
func (r *Remote) TryComplete(ctx context.Context, code string, cursor int, language string) (Suggestion, error) {
	p := NewPrompt(code, cursor, language, r.opts.Budget)
	key := r.key(p)
	if s, ok := r.cache.get(key); ok {
		return s, nil
	}
	text, confidence, err := r.model.Infill(ctx, p)
	if err != nil {
		return Suggestion{Type: SuggestionCompletion}, err
	}
	s := Suggestion{Suggestion: clean(text, p.Suffix), Type: SuggestionCompletion}
	if s.Suggestion != "" {
		s.Confidence = r.opts.Confidence
		if confidence > 0 && confidence <= 1 {
			s.Confidence = confidence
		}
	}
	r.cache.put(key, s)
	return s, nil
}

// key identifies a prompt; it is hashed so that the cache holds 32 bytes per
// entry, not a copy of the code.
func (r *Remote) key(p Prompt) [sha256.Size]byte {
	h := sha256.New()
	for _, s := range []string{r.opts.Name, p.Language, p.Prefix, p.Suffix} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	var k [sha256.Size]byte
	h.Sum(k[:0])
	return k
}

// lru is a bounded map of recent answers, least recently used evicted first.
// A nil *lru caches nothing. Safe for concurrent use.
type lru struct {
	mu    sync.Mutex
	size  int
	order *list.List // of *lruEntry, most recent first
	items map[[sha256.Size]byte]*list.Element
}

type lruEntry struct {
	key [sha256.Size]byte
	val Suggestion
}

func newLRU(size int) *lru {
	return &lru{size: size, order: list.New(), items: make(map[[sha256.Size]byte]*list.Element)}
}

func (c *lru) get(k [sha256.Size]byte) (Suggestion, bool) {
	if c == nil {
		return Suggestion{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.items[k]
	if !ok {
		return Suggestion{}, false
	}
	c.order.MoveToFront(e)
	return e.Value.(*lruEntry).val, true
}

func (c *lru) put(k [sha256.Size]byte, v Suggestion) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[k]; ok {
		e.Value.(*lruEntry).val = v
		c.order.MoveToFront(e)
		return
	}
	c.items[k] = c.order.PushFront(&lruEntry{k, v})
	if c.order.Len() > c.size {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.items, last.Value.(*lruEntry).key)
	}
}
