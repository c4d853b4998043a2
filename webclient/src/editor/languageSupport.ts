// languageSupport maps a pairpad language id to CodeMirror syntax highlighting and indentation:
// first-party @codemirror/lang-* packages where they exist, legacy stream modes for the rest.
// Each language is loaded on demand, so a room downloads only the grammar it uses.
import type { Extension } from '@codemirror/state'
import { StreamLanguage, indentUnit } from '@codemirror/language'

const four = indentUnit.of('    ')
const two = indentUnit.of('  ')
const tab = indentUnit.of('\t')

const supports: Record<string, () => Promise<Extension>> = {
  python: async () => [(await import('@codemirror/lang-python')).python(), four],
  javascript: async () => [(await import('@codemirror/lang-javascript')).javascript({ jsx: true }), two],
  typescript: async () => [(await import('@codemirror/lang-javascript')).javascript({ typescript: true, jsx: true }), two],
  go: async () => [(await import('@codemirror/lang-go')).go(), tab],
  java: async () => [(await import('@codemirror/lang-java')).java(), four],
  c: async () => [(await import('@codemirror/lang-cpp')).cpp(), four],
  cpp: async () => [(await import('@codemirror/lang-cpp')).cpp(), four],
  rust: async () => [(await import('@codemirror/lang-rust')).rust(), four],
  php: async () => [(await import('@codemirror/lang-php')).php(), four],
  sql: async () => [(await import('@codemirror/lang-sql')).sql(), two],
  html: async () => [(await import('@codemirror/lang-html')).html(), two],
  css: async () => [(await import('@codemirror/lang-css')).css(), two],
  json: async () => [(await import('@codemirror/lang-json')).json(), two],
  markdown: async () => [(await import('@codemirror/lang-markdown')).markdown(), two],
  csharp: async () => [StreamLanguage.define((await import('@codemirror/legacy-modes/mode/clike')).csharp), four],
  kotlin: async () => [StreamLanguage.define((await import('@codemirror/legacy-modes/mode/clike')).kotlin), four],
  swift: async () => [StreamLanguage.define((await import('@codemirror/legacy-modes/mode/swift')).swift), four],
  ruby: async () => [StreamLanguage.define((await import('@codemirror/legacy-modes/mode/ruby')).ruby), two],
  shell: async () => [StreamLanguage.define((await import('@codemirror/legacy-modes/mode/shell')).shell), two],
  plaintext: async () => four,
}

// supportedIds returns the ids that have an entry of their own: the catalogue's
// (lib/languages), as a test checks.
export function supportedIds(): string[] {
  return Object.keys(supports)
}

// languageSupport loads the extension for the language id; unknown ids get plain text.
export function languageSupport(id: string): Promise<Extension> {
  return (supports[id] ?? supports.plaintext)()
}
