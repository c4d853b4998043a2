// diffMarks shows a line diff in an editor: a line marked 'added' or 'removed' gets a coloured
// background and a sign in front, as the history panel shows a version against the current code.
import { RangeSetBuilder, type Extension } from '@codemirror/state'
import { Decoration, EditorView, type DecorationSet } from '@codemirror/view'
import type { LineMark } from '../lib/lineDiff'

const lineDecoration = {
  added: Decoration.line({ class: 'cm-diff-added', attributes: { 'data-diff': 'added' } }),
  removed: Decoration.line({ class: 'cm-diff-removed', attributes: { 'data-diff': 'removed' } }),
}

const theme = EditorView.baseTheme({
  '.cm-diff-added': { backgroundColor: '#22c55e26' },
  '.cm-diff-removed': { backgroundColor: '#ef444426', textDecoration: 'line-through', textDecorationColor: '#ef444499' },
  '.cm-diff-added::before, .cm-diff-removed::before': { display: 'inline-block', width: '1.2em', marginLeft: '-0.2em', opacity: '0.7' },
  '.cm-diff-added::before': { content: '"+"', color: '#16a34a' },
  '.cm-diff-removed::before': { content: '"−"', color: '#dc2626' },
})

// diffMarks returns the extension marking line i+1 of the document with marks[i]. The marks are
// fixed: it is for a document that does not change.
export function diffMarks(marks: readonly LineMark[]): Extension {
  const decorations = (view: EditorView): DecorationSet => {
    const b = new RangeSetBuilder<Decoration>()
    const doc = view.state.doc
    for (let i = 0; i < marks.length && i < doc.lines; i++) {
      const mark = marks[i]
      if (mark !== 'same') b.add(doc.line(i + 1).from, doc.line(i + 1).from, lineDecoration[mark])
    }
    return b.finish()
  }
  return [theme, EditorView.decorations.of(decorations)]
}
