// Package webclient will embed the built browser app (Vite + React + CodeMirror 6 + yjs) so the
// pairpad binary serves it without Node installed.
package webclient
