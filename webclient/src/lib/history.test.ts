import { expect, it } from 'vitest'
import { changeSize, mergePages, nextBefore, relativeTime, withNewest, type Version } from './history'

const v = (seq: number, firstSeq: number): Version => ({ seq, firstSeq, from: '', to: '', authors: ['Ada'], added: 1, removed: 0 })

it('relativeTime words the time since', () => {
  const now = new Date('2026-12-02T12:00:00Z')
  const cases: { ago: number; want: string }[] = [
    { ago: 0, want: 'just now' },
    { ago: -3000, want: 'just now' },
    { ago: 4_999, want: 'just now' },
    { ago: 5_000, want: '5 s ago' },
    { ago: 59_999, want: '59 s ago' },
    { ago: 60_000, want: '1 min ago' },
    { ago: 3_599_000, want: '59 min ago' },
    { ago: 3_600_000, want: '1 h ago' },
    { ago: 86_400_000, want: '1 d ago' },
    { ago: 40 * 86_400_000, want: '2026-10-23' },
  ]
  for (const c of cases) expect(relativeTime(new Date(now.getTime() - c.ago), now), String(c.ago)).toBe(c.want)
})

it('changeSize words added and removed units', () => {
  const cases: { added: number; removed: number; want: string }[] = [
    { added: 12, removed: 3, want: '+12 −3' },
    { added: 12, removed: 0, want: '+12' },
    { added: 0, removed: 3, want: '−3' },
    { added: 0, removed: 0, want: 'no change' },
  ]
  for (const c of cases) expect(changeSize(c.added, c.removed)).toBe(c.want)
})

it('nextBefore pages on from the last version, until a short page or the start', () => {
  const cases: { versions: Version[]; pageLength: number; want: number | null }[] = [
    { versions: [v(40, 31), v(30, 11)], pageLength: 2, want: 11 },
    { versions: [v(40, 31), v(30, 11)], pageLength: 1, want: null },
    { versions: [v(40, 31), v(30, 1)], pageLength: 2, want: null },
    { versions: [], pageLength: 0, want: null },
  ]
  for (const c of cases) expect(nextBefore(c.versions, c.pageLength, 2)).toBe(c.want)
})

it('mergePages leaves out versions already listed', () => {
  expect(mergePages([v(40, 31), v(30, 11)], [v(30, 11), v(10, 1)]).map((x) => x.seq)).toEqual([40, 30, 10])
})

it('mergePages knows the version being written by its first entry', () => {
  expect(mergePages([v(45, 31)], [v(40, 31), v(30, 11)]).map((x) => x.seq)).toEqual([45, 30])
})

it('withNewest replaces the newest versions and keeps the older pages', () => {
  const listed = [v(40, 31), v(30, 11), v(10, 1)]
  const cases: { page: Version[]; want: number[] }[] = [
    { page: [v(50, 41), v(40, 31)], want: [50, 40, 30, 10] },
    { page: [v(45, 31), v(30, 11)], want: [45, 30, 10] },
    { page: [v(60, 51)], want: [60, 40, 30, 10] },
    { page: [], want: [40, 30, 10] },
  ]
  for (const c of cases) expect(withNewest(listed, c.page).map((x) => x.seq)).toEqual(c.want)
})
