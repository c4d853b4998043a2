// Package webclient embeds the built browser app (Vite + React + CodeMirror 6 + yjs, sources
// under src/) so the pairpad binary serves it without Node installed. The built files in dist/
// are committed; rebuild them with `npm ci && npm run build` in this directory.
package webclient
