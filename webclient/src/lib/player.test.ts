import { expect, it } from 'vitest'
import * as Y from 'yjs'
import { Player, type PlayerState } from './player'
import type { PlaybackPage, PlaybackUpdate } from './playback'

const b64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes))

// history types "abc" one key at a time after "x": entry 1 is the "x", then one per letter.
function history() {
  const doc = new Y.Doc()
  const text = doc.getText('code')
  const states: string[] = []
  const entries: PlaybackUpdate[] = []
  doc.on('update', (update: Uint8Array) => {
    const seq = entries.length + 1
    entries.push({ seq, at: new Date(Date.UTC(2026, 0, 1, 0, 0, 0, seq)).toISOString(), author: 'Ada', update: b64(update) })
    states.push(b64(Y.encodeStateAsUpdate(doc)))
  })
  states.push(b64(Y.encodeStateAsUpdate(doc)))
  for (const s of ['x', 'a', 'b', 'c']) text.insert(text.length, s)
  const requests: number[] = []
  const fetchPage = async (seq: number, limit: number): Promise<PlaybackPage> => {
    requests.push(seq)
    return { seq, state: states[seq], updates: entries.slice(seq, seq + limit) }
  }
  return { fetchPage, requests }
}

it('a player seeks to an entry and replays the rest one entry at a time, page by page', async () => {
  const { fetchPage, requests } = history()
  const seen: string[] = []
  let resolveEnd: () => void
  const ended = new Promise<void>((r) => (resolveEnd = r))
  const onChange = (s: PlayerState) => {
    const t = s.doc?.getText('code').toString()
    if (t !== undefined && seen[seen.length - 1] !== t) seen.push(t)
    if (!s.playing && !s.loading && s.seq === 4) resolveEnd()
  }
  const p = new Player(fetchPage, onChange, 2)
  await p.seek(1)
  expect(p.current.doc!.getText('code').toString()).toBe('x')
  p.play(16)
  await ended
  expect(seen).toEqual(['x', 'xa', 'xab', 'xabc'])
  expect(requests).toEqual([1, 3])
  await p.seek(0)
  expect(p.current.doc!.getText('code').toString()).toBe('')
  expect(p.current.seq).toBe(0)
  p.destroy()
})
