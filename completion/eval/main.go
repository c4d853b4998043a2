package main

import (
	"context"
	"flag"
	"fmt"
	"github.com/pairpad/pairpad/completion/internal/corpus"
	"os"
	"os/signal"
	"time"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run() error {
	full := flag.Bool("full", false, "the full run: 10000 samples per language (default 200)")
	samples := flag.Int("samples", 0, "samples per language (overrides -full)")
	seed := flag.Int64("seed", 1, "sampling seed")
	flag.Parse()

	cfg := Config{Seed: *seed, Samples: 200}
	if *full {
		cfg.Samples = 10000
	}
	if *samples > 0 {
		cfg.Samples = *samples
	}
	cfg.Roots = corpus.DefaultRoots()
	for _, lang := range []string{"go", "python"} {
		if cfg.Roots[lang] == nil {
			fmt.Fprintf(os.Stderr, "eval: no %s standard library found; skipping %s\n", lang, lang)
		}
	}
	if len(cfg.Roots) == 0 {
		return fmt.Errorf("eval: no standard library to sample")
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	start := time.Now()
	rep, err := Run(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Print(rep.Markdown())
	cfg.LineStarts = true
	if rep, err = Run(ctx, cfg); err != nil {
		return err
	}
	fmt.Print("\nAt the start of a line, after its indentation, with the whole line hidden (not part of the goals):\n\n")
	fmt.Print(rep.Markdown())
	fmt.Fprintf(os.Stderr, "eval: %s\n", time.Since(start).Round(time.Millisecond))
	return nil
}
