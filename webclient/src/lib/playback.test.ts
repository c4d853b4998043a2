import { expect, it } from 'vitest'
import { appended, delayBetween, fromBase64, lastFetched, maxPause, nextStep, queueAt, wantsMore, type PlaybackUpdate } from './playback'

const at = (ms: number) => new Date(Date.UTC(2026, 11, 2, 12, 0, 0, ms)).toISOString()
const u = (seq: number, ms: number): PlaybackUpdate => ({ seq, at: at(ms), author: 'Ada', update: '' })

it('delayBetween keeps the recorded pace, cuts long pauses, and divides by the speed', () => {
  const cases: { prev: string | null; next: string; speed: number; want: number }[] = [
    { prev: null, next: at(0), speed: 1, want: 0 },
    { prev: at(0), next: at(120), speed: 1, want: 120 },
    { prev: at(0), next: at(120), speed: 4, want: 30 },
    { prev: at(0), next: at(60_000), speed: 1, want: maxPause },
    { prev: at(0), next: at(60_000), speed: 16, want: maxPause / 16 },
    { prev: at(500), next: at(0), speed: 1, want: 0 },
  ]
  for (const c of cases) expect(delayBetween(c.prev, c.next, c.speed), JSON.stringify(c)).toBe(c.want)
})

it('nextStep walks the queue one entry at a time', () => {
  let q = queueAt({ seq: 4, state: '', updates: [u(5, 0), u(6, 100), u(7, 5000)] }, 10)
  expect(q.more).toBe(false)
  const got: [number, number][] = []
  for (let s = nextStep(q, 1); s; s = nextStep(q, 1)) {
    got.push([s.update.seq, s.delay])
    q = s.next
  }
  expect(got).toEqual([[5, 0], [6, 100], [7, maxPause]])
  expect(q.seq).toBe(7)
})

it('a full page wants the next, which appends after the last entry fetched', () => {
  let q = queueAt({ seq: 0, state: '', updates: [u(1, 0), u(2, 10)] }, 2)
  expect(q.more).toBe(true)
  expect(wantsMore(q, 1)).toBe(false)
  q = nextStep(q, 1)!.next
  expect(wantsMore(q, 1)).toBe(true)
  expect(lastFetched(q)).toBe(2)
  q = appended(q, { seq: 2, state: '', updates: [u(3, 20)] }, 2)
  expect(q.pending.map((x) => x.seq)).toEqual([2, 3])
  expect(q.more).toBe(false)
  expect(lastFetched(queueAt({ seq: 9, state: '', updates: [] }, 2))).toBe(9)
})

it('fromBase64 decodes bytes', () => {
  expect([...fromBase64('AAEC/w==')]).toEqual([0, 1, 2, 255])
})
