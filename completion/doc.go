// Package completion suggests code to insert at a cursor for POST /autocomplete.
//
// Builtin is an offline engine: n-gram models of the document and of the
// language (package ngram, embedded). OpenAI, Ollama and LlamaCpp reach a
// code model over HTTP; NewRemote turns one into a Fallible engine that builds
// the prompt from the text around the cursor within a budget, cleans up the
// answer and caches recent answers. WithFallback makes a Fallible engine a
// Completer that answers within a deadline and falls back (normally to
// Builtin) on any failure, logging each kind of failure once. Latest keeps one
// request in flight per client.
//
// The package does no HTTP serving and knows nothing of rooms; the server
// validates requests and passes the client's address.
package completion
