// lineDiff compares two texts line by line, as the history panel shows a version against the
// room's current code. The diffing is jsdiff's (Myers' algorithm); this module only turns its
// hunks into one line per row.
import { diffLines } from 'diff'

// LineMark is how a row of a diff differs: 'same' in both texts, 'added' only in the newer,
// 'removed' only in the older.
export type LineMark = 'same' | 'added' | 'removed'

export interface DiffRow {
  mark: LineMark
  text: string
}

export interface LineDiff {
  rows: DiffRow[]
  added: number
  removed: number
}

function linesOf(s: string): string[] {
  const lines = s.split('\n')
  // diffLines counts a final newline as the end of the last line, not as an empty line after it.
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop()
  return lines
}

// lineDiff returns the rows that turn older into newer: every line of both, in order, marked.
export function lineDiff(older: string, newer: string): LineDiff {
  const rows: DiffRow[] = []
  let added = 0
  let removed = 0
  for (const change of diffLines(older, newer, { ignoreNewlineAtEof: true })) {
    const mark: LineMark = change.added ? 'added' : change.removed ? 'removed' : 'same'
    for (const text of linesOf(change.value)) rows.push({ mark, text })
    if (mark === 'added') added += change.count
    if (mark === 'removed') removed += change.count
  }
  return { rows, added, removed }
}

// sideRows returns the rows of diff that are in one of its texts: that text's lines, marked
// where they differ from the other.
export function sideRows(diff: LineDiff, side: 'older' | 'newer'): DiffRow[] {
  const other: LineMark = side === 'older' ? 'added' : 'removed'
  return diff.rows.filter((r) => r.mark !== other)
}

// textOf joins rows into a text, one row a line.
export function textOf(rows: readonly DiffRow[]): string {
  return rows.map((r) => r.text).join('\n')
}
