// Command eval measures how much typing an autocomplete engine saves on real
// code that ships on the machine: the Go standard library under
// $(go env GOROOT)/src and the Python standard library under /usr/lib/python3.*.
//
// It samples seeded cursor positions inside non-blank lines, hides the rest of
// that line (the following lines stay), asks each engine for a suggestion and
// reports per language and overall:
//
//   - chars saved: accepted suggestion characters / hidden characters, where a
//     suggestion is accepted only when the hidden text starts with its first
//     line, and then counts that line's characters;
//   - next-token match: share of samples whose suggestion starts with the same
//     token as the hidden text;
//   - wrong: share of shown (non-empty) suggestions that were not accepted;
//   - empty: share of samples with no suggestion;
//   - latency p50 and p99 of one Complete call, on files up to 100 KB.
//
// The built-in engine (completion.Builtin) runs beside Baseline, the fixed
// patterns the original mock implementation had, and both are printed side by
// side as a Markdown table:
//
//	go run ./completion/eval [-full] [-samples N] [-seed S]
//
// A second table samples the start of lines instead, after the indentation,
// with the whole line hidden: not part of the goals, it shows how
// often the engine speaks there and how often it is right.
//
// The same seed gives the same samples and the same figures except latency.
package main
