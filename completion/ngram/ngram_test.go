package ngram

import (
	"bytes"
	"compress/gzip"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestTokenize(t *testing.T) {
	text := "func f() {\n\tx  := \"é\"\r\n}\n"
	var got []string
	for _, tok := range Tokenize(text, 0, len(text), nil) {
		if tok.Hash != Hash(text[tok.Start:tok.End]) {
			t.Errorf("token %q: wrong hash", text[tok.Start:tok.End])
		}
		got = append(got, text[tok.Start:tok.End])
	}
	// Indentation and carriage returns are dropped; blank runs and UTF-8
	// sequences stay whole.
	want := []string{"func", " ", "f", "(", ")", " ", "{", "\n", "x", "  ", ":", "=", " ", "\"", "é", "\"", "\n", "}", "\n"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Tokenize mismatch (-want +got):\n%s", diff)
	}
	// A range that starts mid-line does not treat its first blanks as indentation.
	if got := Tokenize("a  b", 1, 4, nil); len(got) != 2 || got[0].Start != 1 {
		t.Errorf("Tokenize from mid-line = %+v", got)
	}
}

// TestHashIsStable pins the token hash (64-bit FNV-1a of "func", computed
// independently): the embedded models depend on it.
func TestHashIsStable(t *testing.T) {
	if got, want := Hash("func"), uint64(0x86628378db071ea7); got != want {
		t.Errorf("Hash(func) = %#x, want %#x", got, want)
	}
	if ContextKey([]uint64{1, 2, 3}, 2) == ContextKey([]uint64{9, 2, 3}, 2) == false {
		t.Error("ContextKey depends on tokens outside the context")
	}
	if ContextKey([]uint64{2, 3}, 2) == ContextKey([]uint64{2, 3}, 1) {
		t.Error("ContextKey ignores the context length")
	}
}

func buildSample() *Model {
	b := &Builder{MinContext: 2, MinFollower: 1, Keep: 2, MinUnigram: 2}
	for range 3 {
		b.Add("if err != nil {\n\treturn err\n}\n")
	}
	b.Add("if ok {\n\treturn nil\n}\n")
	return b.Model()
}

func TestBuilderCounts(t *testing.T) {
	m := buildSample()
	toks := func(s ...string) []uint64 {
		var out []uint64
		for _, x := range s {
			out = append(out, Hash(x))
		}
		return out
	}
	c, ok := m.Lookup(toks("if", " "), 2)
	if !ok {
		t.Fatal(`context "if " not kept`)
	}
	if c.Total != 4 || c.Types != 2 || c.Len() != 2 {
		t.Errorf(`"if ": total %v types %v len %d, want 4 2 2`, c.Total, c.Types, c.Len())
	}
	if s, _, n := c.Follower(0); s != "err" || n != 3 {
		t.Errorf("first follower %q x%v, want err x3", s, n)
	}
	if c.Count(Hash("ok")) != 1 || c.Count(Hash("zzz")) != 0 {
		t.Error("Count disagrees with the followers")
	}
	if _, ok := m.Lookup(toks("nope"), 1); ok {
		t.Error("unknown context found")
	}
	if _, ok := m.Lookup(toks("if"), 0); ok {
		t.Error("context length 0 found")
	}
	if _, ok := m.Lookup(toks("if"), 2); ok {
		t.Error("context longer than the tokens found")
	}
	lo, hi, total := m.Prefixed("re")
	if hi-lo != 1 || total != 4 {
		t.Errorf(`Prefixed("re") = %d tokens, total %v; want 1, 4`, hi-lo, total)
	}
	if s, _, n := m.Token(lo); s != "return" || n != 4 || m.Unigram("return") != 4 || m.Unigram("xyz") != 0 {
		t.Errorf("Token = %q x%v", s, n)
	}
	var nilModel *Model
	if _, ok := nilModel.Lookup(toks("if"), 1); ok {
		t.Error("nil model found a context")
	}
}

func TestEncodeDecode(t *testing.T) {
	m := buildSample()
	var buf bytes.Buffer
	if err := m.Encode(&buf); err != nil {
		t.Fatal(err)
	}
	got, err := Decode(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(m, got, cmp.AllowUnexported(Model{}, follower{})); diff != "" {
		t.Errorf("round trip mismatch (-want +got):\n%s", diff)
	}
}

func TestDecodeRejectsCorruptModels(t *testing.T) {
	var buf bytes.Buffer
	if err := buildSample().Encode(&buf); err != nil {
		t.Fatal(err)
	}
	raw := gunzip(t, buf.Bytes())
	for name, data := range map[string][]byte{
		"not gzip":   []byte("hello"),
		"bad magic":  gz(t, []byte("something else\n")),
		"truncated":  gz(t, raw[:len(raw)-3]),
		"trailing":   gz(t, append(append([]byte{}, raw...), 0)),
		"huge count": gz(t, append([]byte(magic), 0xff, 0xff, 0xff, 0xff, 0x0f)),
	} {
		if _, err := Decode(data); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestEmbeddedModels(t *testing.T) {
	for _, lang := range []string{"go", "python", "javascript"} {
		m := ForLanguage(lang)
		if m == nil {
			t.Fatalf("no embedded %s model", lang)
		}
		if _, _, n := m.Prefixed("re"); n == 0 {
			t.Errorf("%s model knows no token starting with re", lang)
		}
	}
	if ForLanguage("cobol") != nil {
		t.Error("model for an unknown language")
	}
}

func TestVocabulary(t *testing.T) {
	m := Vocabulary([]string{"return", "range", "return", "if"})
	lo, hi, total := m.Prefixed("r")
	if hi-lo != 2 || total != 2 || m.Unigram("if") != 1 {
		t.Errorf("Prefixed(r) = %d words, total %v", hi-lo, total)
	}
	if _, ok := m.Lookup([]uint64{Hash("if")}, 1); ok {
		t.Error("a vocabulary knows a context")
	}
}

func FuzzDecode(f *testing.F) {
	var buf bytes.Buffer
	if err := buildSample().Encode(&buf); err != nil {
		f.Fatal(err)
	}
	f.Add(gunzip(f, buf.Bytes()))
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := decodeRaw(raw)
		if err != nil {
			return
		}
		// A model that decodes can be searched without panicking.
		m.Lookup([]uint64{Hash("if"), Hash(" ")}, 2)
		m.Prefixed("r")
		for i := range len(m.keys) {
			c := Context{m, 0, 0, m.first[i], m.first[i+1]}
			for j := range c.Len() {
				c.Follower(j)
			}
		}
	})
}

func gz(t testing.TB, raw []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(raw)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func gunzip(t testing.TB, data []byte) []byte {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
