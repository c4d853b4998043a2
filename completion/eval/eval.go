package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/pairpad/pairpad/completion"
)

// Engine is a named Completer under evaluation.
type Engine struct {
	Name      string
	Completer completion.Completer
}

// Config says what Run samples. The zero value means the defaults.
type Config struct {
	Seed int64
	// Samples is the number of cursor positions per language; 0 means 200.
	Samples int
	// Roots maps a language ID (as Completer.Complete takes it) to the
	// directories whose source files are sampled; nil means DefaultRoots().
	Roots map[string][]string
	// MaxFileBytes skips larger files; 0 means 100 KB.
	MaxFileBytes int64
	// Engines are compared side by side; nil means the built-in engine and Baseline.
	Engines []Engine
}

// extensions are the source file extensions sampled per language.
var extensions = map[string]string{"go": ".go", "python": ".py"}

// DefaultRoots returns the standard libraries found on this machine: Go's
// under GOROOT/src, and the newest Python 3 under /usr/lib (else one under
// ~/.pyenv). A language whose library is missing is left out.
func DefaultRoots() map[string][]string {
	roots := map[string][]string{}
	if dir := filepath.Join(goroot(), "src"); isDir(dir) {
		roots["go"] = []string{dir}
	}
	if dir := pythonRoot(); dir != "" {
		roots["python"] = []string{dir}
	}
	return roots
}

// goroot asks the go command, which knows where the toolchain that runs us
// lives; runtime.GOROOT (deprecated) is the fallback for a copied binary.
func goroot() string {
	if out, err := exec.Command("go", "env", "GOROOT").Output(); err == nil {
		if dir := strings.TrimSpace(string(out)); dir != "" {
			return dir
		}
	}
	return runtime.GOROOT() //nolint:staticcheck // fallback only
}

func pythonRoot() string {
	for _, pattern := range []string{"/usr/lib/python3.*", "/usr/local/lib/python3.*", os.ExpandEnv("$HOME/.pyenv/versions/*/lib/python3.*")} {
		dirs, _ := filepath.Glob(pattern)
		// Newest first: compare the minor version numerically (3.12 after 3.9).
		slices.SortFunc(dirs, func(a, b string) int { return cmp.Compare(pyMinor(b), pyMinor(a)) })
		for _, d := range dirs {
			if pyMinor(d) >= 0 && isDir(filepath.Join(d, "json")) { // a stdlib, not just dist-packages
				return d
			}
		}
	}
	return ""
}

// pyMinor returns N for a directory named python3.N, else -1.
func pyMinor(dir string) int {
	n, err := strconv.Atoi(strings.TrimPrefix(filepath.Base(dir), "python3."))
	if err != nil {
		return -1
	}
	return n
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

func (c Config) withDefaults() (Config, error) {
	if c.Samples == 0 {
		c.Samples = 200
	}
	if c.MaxFileBytes == 0 {
		c.MaxFileBytes = 100 << 10
	}
	if c.Roots == nil {
		c.Roots = DefaultRoots()
	}
	if c.Engines == nil {
		c.Engines = []Engine{{"builtin", completion.Builtin{}}, {"baseline", Baseline{}}}
	}
	if c.Samples < 0 || c.MaxFileBytes < 0 {
		return c, errors.New("eval: negative Samples or MaxFileBytes")
	}
	for lang := range c.Roots {
		if extensions[lang] == "" {
			return c, fmt.Errorf("eval: no source extension known for language %q", lang)
		}
	}
	return c, nil
}

// Result is one engine's metrics on one language; Language "all" sums the others.
type Result struct {
	Language string
	Engine   string
	Files    int // files the samples were drawn from
	Metrics
}

// Report is the outcome of Run: Results are ordered by language (then "all")
// and, within one language, by Config.Engines.
type Report struct {
	Seed    int64
	Samples int
	Engines []string
	Results []Result
}

// sample is one cursor position: code is the file with the rest of the
// cursor's line removed, hidden is what was removed.
type sample struct {
	code   string
	cursor int // UTF-16 units
	hidden string
}

// Run samples cfg.Samples positions per language and asks every engine at
// each. Sampling depends only on cfg.Seed and the files, so two runs with the
// same seed on the same machine report the same figures except latency.
func Run(ctx context.Context, cfg Config) (Report, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return Report{}, err
	}
	rep := Report{Seed: cfg.Seed, Samples: cfg.Samples}
	for _, e := range cfg.Engines {
		rep.Engines = append(rep.Engines, e.Name)
	}
	total := make([]Metrics, len(cfg.Engines))
	allLat := make([][]time.Duration, len(cfg.Engines))
	totalFiles := 0
	for _, lang := range slices.Sorted(maps.Keys(cfg.Roots)) {
		files, err := listFiles(cfg.Roots[lang], extensions[lang], cfg.MaxFileBytes)
		if err != nil {
			return Report{}, err
		}
		if len(files) == 0 {
			return Report{}, fmt.Errorf("eval: no %s files under %v", lang, cfg.Roots[lang])
		}
		samples, err := drawSamples(cfg.Seed, lang, files, cfg.Samples)
		if err != nil {
			return Report{}, err
		}
		totalFiles += len(files)
		for i, e := range cfg.Engines {
			m, lat, err := measure(ctx, e.Completer, lang, samples)
			if err != nil {
				return Report{}, err
			}
			rep.Results = append(rep.Results, Result{Language: lang, Engine: e.Name, Files: len(files), Metrics: m})
			total[i].merge(m)
			allLat[i] = append(allLat[i], lat...)
		}
	}
	for i, e := range cfg.Engines {
		total[i].P50, total[i].P99 = percentiles(allLat[i])
		rep.Results = append(rep.Results, Result{Language: "all", Engine: e.Name, Files: totalFiles, Metrics: total[i]})
	}
	return rep, nil
}

// measure asks c at every sample and scores the answers.
func measure(ctx context.Context, c completion.Completer, lang string, samples []sample) (Metrics, []time.Duration, error) {
	var m Metrics
	lat := make([]time.Duration, 0, len(samples))
	for _, s := range samples {
		if err := ctx.Err(); err != nil {
			return Metrics{}, nil, err
		}
		start := time.Now()
		sug := c.Complete(ctx, s.code, s.cursor, lang)
		lat = append(lat, time.Since(start))
		m.add(Score(sug.Suggestion, s.hidden))
	}
	m.P50, m.P99 = percentiles(slices.Clone(lat))
	return m, lat, nil
}

// listFiles returns the sorted paths of the files under roots that end in ext
// and are at most maxBytes long. testdata directories are skipped: they hold
// deliberately odd inputs, not code people write.
func listFiles(roots []string, ext string, maxBytes int64) ([]string, error) {
	var files []string
	for _, root := range roots {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if p != root && (d.Name() == "testdata" || d.Name() == "site-packages" || d.Name() == "dist-packages") {
					return filepath.SkipDir
				}
				return nil
			}
			if !d.Type().IsRegular() || !strings.HasSuffix(p, ext) {
				return nil
			}
			fi, err := d.Info()
			if err != nil {
				return err
			}
			if fi.Size() > 0 && fi.Size() <= maxBytes {
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("eval: listing %s: %w", root, err)
		}
	}
	slices.Sort(files)
	return slices.Compact(files), nil
}

// drawSamples picks n positions: a seeded file, then a seeded candidate
// position in it (see positions). The generator depends on seed and lang only.
func drawSamples(seed int64, lang string, files []string, n int) ([]sample, error) {
	h := fnv.New64a()
	h.Write([]byte(lang))
	rng := rand.New(rand.NewPCG(uint64(seed), h.Sum64()))
	out := make([]sample, 0, n)
	for tries := 0; len(out) < n; tries++ {
		if tries > 20*n+100 {
			return nil, fmt.Errorf("eval: found only %d usable %s positions", len(out), lang)
		}
		path := files[rng.IntN(len(files))]
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("eval: %w", err)
		}
		text := string(b)
		if !utf8.ValidString(text) {
			continue
		}
		pos := positions(text)
		if len(pos) == 0 {
			continue
		}
		out = append(out, cut(text, pos[rng.IntN(len(pos))]))
	}
	return out, nil
}

// positions returns the byte offsets where a cursor may be sampled: inside a
// non-blank line, after its first non-space character, and before its last
// one (so some non-space text is hidden), at a character boundary.
func positions(text string) []int {
	var out []int
	for start := 0; start < len(text); {
		end := strings.IndexByte(text[start:], '\n')
		if end < 0 {
			end = len(text)
		} else {
			end += start
		}
		line := text[start:end]
		lo := len(line) - len(strings.TrimLeft(line, " \t"))
		hi := len(strings.TrimRight(line, " \t\r"))
		for i := lo + 1; i < hi; i++ {
			if utf8.RuneStart(line[i]) {
				out = append(out, start+i)
			}
		}
		start = end + 1
	}
	return out
}

// cut removes the rest of the line after byte offset off (keeping its line
// break). Trailing white space is removed with it but is not part of hidden:
// nobody types it, so no engine is asked to save it.
func cut(text string, off int) sample {
	end := strings.IndexByte(text[off:], '\n')
	if end < 0 {
		end = len(text)
	} else {
		end += off
	}
	removed := strings.TrimSuffix(text[off:end], "\r")
	return sample{
		code:   text[:off] + text[off+len(removed):],
		cursor: utf16Len(text[:off]),
		hidden: strings.TrimRight(removed, " \t"),
	}
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}
