package ngram

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
)

// magic starts every encoded model; the digit is the format version.
const magic = "pairpad-ngram-1\n"

// Model is a pruned n-gram model, immutable once decoded and safe for
// concurrent use.
type Model struct {
	vocab     []string // sorted, so that tokens with a prefix are a range
	vocabHash []uint64
	unigram   []uint32 // how often each vocab token occurred
	cum       []uint64 // cum[i] is the sum of unigram[:i]
	keys      []uint64 // context keys, sorted
	total     []uint32 // occurrences of each context
	types     []uint32 // distinct tokens that followed it
	first     []uint32 // followers of context i: follow[first[i]:first[i+1]]
	follow    []follower
}

type follower struct {
	token uint32 // index into vocab
	count uint32
}

// Context is what a Model knows of one context.
type Context struct {
	m     *Model
	Total float64 // how often the context occurred
	Types float64 // how many distinct tokens followed it
	lo    uint32
	hi    uint32
}

// Lookup returns the context made of the last n hashes of ctx, and false when
// the model does not keep it.
func (m *Model) Lookup(ctx []uint64, n int) (Context, bool) {
	if m == nil || n < 1 || n > MaxOrder || n > len(ctx) {
		return Context{}, false
	}
	key := ContextKey(ctx, n)
	i, ok := slices.BinarySearch(m.keys, key)
	if !ok {
		return Context{}, false
	}
	return Context{m, float64(m.total[i]), float64(m.types[i]), m.first[i], m.first[i+1]}, true
}

// Len returns how many followers of the context the model kept, most
// frequent first.
func (c Context) Len() int { return int(c.hi - c.lo) }

// Follower returns the i-th kept follower: its text, hash and count.
func (c Context) Follower(i int) (string, uint64, float64) {
	f := c.m.follow[int(c.lo)+i]
	return c.m.vocab[f.token], c.m.vocabHash[f.token], float64(f.count)
}

// Count returns how often the token with hash h followed the context, or 0
// when it was not kept.
func (c Context) Count(h uint64) float64 {
	for i := c.lo; i < c.hi; i++ {
		f := c.m.follow[i]
		if c.m.vocabHash[f.token] == h {
			return float64(f.count)
		}
	}
	return 0
}

// Prefixed returns the tokens of the vocabulary that start with prefix, as
// the range [lo, hi) of indexes for Token, and how often they occurred in all.
func (m *Model) Prefixed(prefix string) (lo, hi int, total float64) {
	if m == nil {
		return 0, 0, 0
	}
	lo, _ = slices.BinarySearch(m.vocab, prefix)
	hi = lo + sort.Search(len(m.vocab)-lo, func(i int) bool { return !strings.HasPrefix(m.vocab[lo+i], prefix) })
	return lo, hi, float64(m.cum[hi] - m.cum[lo])
}

// Token returns the i-th token of the vocabulary: its text, hash, and how
// often it occurred.
func (m *Model) Token(i int) (string, uint64, float64) {
	return m.vocab[i], m.vocabHash[i], float64(m.unigram[i])
}

// Unigram returns how often tok occurred, or 0 when the model does not know it.
func (m *Model) Unigram(tok string) float64 {
	if m == nil {
		return 0
	}
	if i, ok := slices.BinarySearch(m.vocab, tok); ok {
		return float64(m.unigram[i])
	}
	return 0
}

func commonPrefix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

// Encode writes m in its gzip-compressed binary form.
func (m *Model) Encode(w io.Writer) error {
	zw, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return err
	}
	var buf []byte
	buf = append(buf, magic...)
	buf = binary.AppendUvarint(buf, uint64(len(m.vocab)))
	prevTok := ""
	for i, s := range m.vocab {
		shared := commonPrefix(prevTok, s)
		buf = binary.AppendUvarint(buf, uint64(shared))
		buf = binary.AppendUvarint(buf, uint64(len(s)-shared))
		buf = append(buf, s[shared:]...)
		buf = binary.AppendUvarint(buf, uint64(m.unigram[i]))
		prevTok = s
	}
	buf = binary.AppendUvarint(buf, uint64(len(m.keys)))
	prev := uint64(0)
	for i, k := range m.keys {
		buf = binary.AppendUvarint(buf, k-prev)
		prev = k
		buf = binary.AppendUvarint(buf, uint64(m.total[i]))
		buf = binary.AppendUvarint(buf, uint64(m.types[i]))
		fs := m.follow[m.first[i]:m.first[i+1]]
		buf = binary.AppendUvarint(buf, uint64(len(fs)))
		for _, f := range fs {
			buf = binary.AppendUvarint(buf, uint64(f.token))
			buf = binary.AppendUvarint(buf, uint64(f.count))
		}
	}
	if _, err := zw.Write(buf); err != nil {
		return err
	}
	return zw.Close()
}

// Decode reads a model written by Encode.
func Decode(data []byte) (*Model, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("ngram: %w", err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("ngram: %w", err)
	}
	return decodeRaw(raw)
}

// decodeRaw reads an uncompressed model.
func decodeRaw(raw []byte) (*Model, error) {
	if !bytes.HasPrefix(raw, []byte(magic)) {
		return nil, errors.New("ngram: not a model (bad magic)")
	}
	d := decoder{buf: raw[len(magic):]}
	m := &Model{}
	nv := d.count(len(d.buf))
	m.vocab = make([]string, nv)
	m.vocabHash = make([]uint64, nv)
	m.unigram = make([]uint32, nv)
	m.cum = make([]uint64, nv+1)
	prevTok := ""
	for i := range m.vocab {
		shared := d.count(len(prevTok))
		n := d.count(len(d.buf))
		tok := prevTok[:shared] + string(d.bytes(n))
		if i > 0 && tok <= prevTok {
			d.fail("vocabulary not sorted")
		}
		m.vocab[i], m.vocabHash[i], prevTok = tok, Hash(tok), tok
		m.unigram[i] = d.uint32()
		m.cum[i+1] = m.cum[i] + uint64(m.unigram[i])
	}
	nc := d.count(len(d.buf) / 4)
	m.keys = make([]uint64, nc)
	m.total = make([]uint32, nc)
	m.types = make([]uint32, nc)
	m.first = make([]uint32, nc+1)
	prev := uint64(0)
	for i := range nc {
		prev += d.uvarint()
		m.keys[i] = prev
		m.total[i] = d.uint32()
		m.types[i] = d.uint32()
		nf := d.count(len(d.buf) / 2)
		m.first[i] = uint32(len(m.follow))
		for range nf {
			tok := d.uint32()
			if int(tok) >= nv {
				d.fail("follower token out of range")
			}
			m.follow = append(m.follow, follower{tok, d.uint32()})
		}
		if i > 0 && m.keys[i] <= m.keys[i-1] {
			d.fail("context keys not increasing")
		}
	}
	m.first[nc] = uint32(len(m.follow))
	if d.err == nil && len(d.buf) != 0 {
		d.fail("trailing bytes")
	}
	if d.err != nil {
		return nil, d.err
	}
	return m, nil
}

// decoder reads uvarints from buf, remembering the first error.
type decoder struct {
	buf []byte
	err error
}

func (d *decoder) fail(msg string) {
	if d.err == nil {
		d.err = errors.New("ngram: corrupt model: " + msg)
	}
	d.buf = nil
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.buf)
	if n <= 0 {
		d.fail("bad varint")
		return 0
	}
	d.buf = d.buf[n:]
	return v
}

func (d *decoder) uint32() uint32 {
	v := d.uvarint()
	if v > 1<<32-1 {
		d.fail("value out of range")
		return 0
	}
	return uint32(v)
}

// count reads a length that cannot exceed limit.
func (d *decoder) count(limit int) int {
	v := d.uvarint()
	if v > uint64(limit) {
		d.fail("length out of range")
		return 0
	}
	return int(v)
}

func (d *decoder) bytes(n int) []byte {
	if n > len(d.buf) {
		d.fail("short string")
		return nil
	}
	b := d.buf[:n]
	d.buf = d.buf[n:]
	return b
}

// Vocabulary returns a model that knows no context, only words, each seen
// once: enough to complete a partial word.
func Vocabulary(words []string) *Model {
	words = slices.Clone(words)
	slices.Sort(words)
	words = slices.Compact(words)
	m := &Model{vocab: words, cum: []uint64{0}, first: []uint32{0}}
	for i, w := range words {
		m.vocabHash = append(m.vocabHash, Hash(w))
		m.unigram = append(m.unigram, 1)
		m.cum = append(m.cum, uint64(i+1))
	}
	return m
}
