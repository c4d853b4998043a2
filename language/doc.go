// Package language is pairpad's one catalogue of the programming languages a room can be set
// to. Each Language value holds every fact about one language that the server (IDs, names,
// starter texts), the autocomplete engine (comments, quotes, blocks, keywords, rules) and the
// web app (names and file extensions, generated from this package by language/gen) use.
//
// The package imports nothing from pairpad, so every other package may import it. Its data is
// fixed at build time and safe for concurrent use.
package language
