import { expect, it } from 'vitest'
import { lineDiff, sideRows, textOf, type DiffRow } from './lineDiff'

it('lineDiff marks the lines only in one text', () => {
  const cases: { older: string; newer: string; want: DiffRow[]; added: number; removed: number }[] = [
    { older: 'a\nb\n', newer: 'a\nb\n', want: [{ mark: 'same', text: 'a' }, { mark: 'same', text: 'b' }], added: 0, removed: 0 },
    {
      older: 'a\nb\nc\n',
      newer: 'a\nB\nc\nd\n',
      want: [
        { mark: 'same', text: 'a' },
        { mark: 'removed', text: 'b' },
        { mark: 'added', text: 'B' },
        { mark: 'same', text: 'c' },
        { mark: 'added', text: 'd' },
      ],
      added: 2,
      removed: 1,
    },
    { older: '', newer: 'x = 1', want: [{ mark: 'added', text: 'x = 1' }], added: 1, removed: 0 },
    { older: 'a\nb', newer: 'a\nb\n', want: [{ mark: 'same', text: 'a' }, { mark: 'same', text: 'b' }], added: 0, removed: 0 },
    { older: 'a\n\nb\n', newer: 'a\nb\n', want: [{ mark: 'same', text: 'a' }, { mark: 'removed', text: '' }, { mark: 'same', text: 'b' }], added: 0, removed: 1 },
  ]
  for (const c of cases) {
    const got = lineDiff(c.older, c.newer)
    expect(got.rows, JSON.stringify(c)).toEqual(c.want)
    expect([got.added, got.removed]).toEqual([c.added, c.removed])
  }
})

it('sideRows gives back each text', () => {
  const older = 'one\ntwo\nthree'
  const newer = 'zero\none\nthree\nfour'
  const d = lineDiff(older, newer)
  expect(textOf(sideRows(d, 'older'))).toBe(older)
  expect(textOf(sideRows(d, 'newer'))).toBe(newer)
  expect(sideRows(d, 'older').map((r) => r.mark)).toEqual(['same', 'removed', 'same'])
})
