// theme returns the editor's look for light or dark mode.
import type { Extension } from '@codemirror/state'
import { EditorView } from '@codemirror/view'
import { defaultHighlightStyle, syntaxHighlighting } from '@codemirror/language'
import { oneDark } from '@codemirror/theme-one-dark'

const light = [
  EditorView.theme({
    '&': { backgroundColor: '#ffffff', color: '#0f172a' },
    '.cm-gutters': { backgroundColor: '#f8fafc', color: '#94a3b8', borderRight: '1px solid #e2e8f0' },
    '.cm-activeLine': { backgroundColor: '#f1f5f966' },
    '.cm-activeLineGutter': { backgroundColor: '#f1f5f9' },
  }),
  syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
]

// The overrides come first: earlier extensions take precedence.
const dark = [
  EditorView.theme({ '&': { backgroundColor: '#020617' }, '.cm-gutters': { backgroundColor: '#020617', borderRight: '1px solid #1e293b' } }, { dark: true }),
  oneDark,
]

export function editorTheme(isDark: boolean): Extension {
  return isDark ? dark : light
}
