package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/pairpad/pairpad/completion"
	"github.com/pairpad/pairpad/completion/internal/corpus"
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
	// directories whose source files are sampled; nil means corpus.DefaultRoots().
	Roots map[string][]string
	// MaxFileBytes skips larger files; 0 means 100 KB.
	MaxFileBytes int64
	// Engines are compared side by side; nil means the built-in engine and Baseline.
	Engines []Engine
	// LineStarts samples cursors at the start of lines, after the
	// indentation, with the whole line hidden, rather than inside lines.
	LineStarts bool
}

func (c Config) withDefaults() (Config, error) {
	if c.Samples == 0 {
		c.Samples = 200
	}
	if c.MaxFileBytes == 0 {
		c.MaxFileBytes = 100 << 10
	}
	if c.Roots == nil {
		c.Roots = corpus.DefaultRoots()
	}
	if c.Engines == nil {
		c.Engines = []Engine{{"builtin", completion.Builtin{}}, {"baseline", Baseline{}}}
	}
	if c.Samples < 0 || c.MaxFileBytes < 0 {
		return c, errors.New("eval: negative Samples or MaxFileBytes")
	}
	for lang := range c.Roots {
		if corpus.Extensions[lang] == "" {
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
		files, err := corpus.ListFiles(cfg.Roots[lang], corpus.Extensions[lang], cfg.MaxFileBytes)
		if err != nil {
			return Report{}, err
		}
		if len(files) == 0 {
			return Report{}, fmt.Errorf("eval: no %s files under %v", lang, cfg.Roots[lang])
		}
		where := corpus.Positions
		if cfg.LineStarts {
			where = corpus.LineStarts
		}
		samples, err := corpus.DrawAt(cfg.Seed, lang, files, cfg.Samples, where)
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
func measure(ctx context.Context, c completion.Completer, lang string, samples []corpus.Sample) (Metrics, []time.Duration, error) {
	var m Metrics
	lat := make([]time.Duration, 0, len(samples))
	for _, s := range samples {
		if err := ctx.Err(); err != nil {
			return Metrics{}, nil, err
		}
		start := time.Now()
		sug := c.Complete(ctx, s.Code, s.Cursor, lang)
		lat = append(lat, time.Since(start))
		o := Score(sug.Suggestion, s.Hidden)
		o.Confidence, o.License = sug.Confidence, s.License
		m.add(o)
	}
	m.P50, m.P99 = percentiles(slices.Clone(lat))
	return m, lat, nil
}
