import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { maxRecent, parseRecent, prefs, withRecent, type RecentRoom } from './prefs'

const room = (roomId: string, visitedAt = 1): RecentRoom => ({ roomId, language: 'go', visitedAt })

it('withRecent moves a room to the front without duplicates', () => {
  const got = withRecent([room('a'), room('b'), room('c')], room('b', 9))
  expect(got.map((r) => r.roomId)).toEqual(['b', 'a', 'c'])
  expect(got[0].visitedAt).toBe(9)
})

it('withRecent bounds the list', () => {
  let list: RecentRoom[] = []
  for (let i = 0; i < 20; i++) list = withRecent(list, room(String(i)))
  expect(list).toHaveLength(maxRecent)
  expect(list[0].roomId).toBe('19')
})

it('parseRecent drops malformed data', () => {
  expect(parseRecent(null)).toEqual([])
  expect(parseRecent('{')).toEqual([])
  expect(parseRecent('{"a":1}')).toEqual([])
  expect(parseRecent(JSON.stringify([room('a'), { roomId: 3 }, null]))).toEqual([room('a')])
})

describe('prefs keeps owner tokens in localStorage', () => {
  beforeEach(() => {
    const store = new Map<string, string>()
    vi.stubGlobal('localStorage', {
      getItem: (k: string) => store.get(k) ?? null,
      setItem: (k: string, v: string) => void store.set(k, v),
    })
  })
  afterEach(() => vi.unstubAllGlobals())

  it('by room', () => {
    expect(prefs.ownerToken('edit1')).toBeNull()
    prefs.setOwnerToken('edit1', 'secret')
    prefs.setOwnerToken('edit9', 'nine')
    expect(prefs.ownerToken('edit1')).toBe('secret')
    prefs.moveOwnerToken('edit1', 'edit2')
    expect(prefs.ownerToken('edit1')).toBeNull()
    expect(prefs.ownerToken('edit2')).toBe('secret')
    prefs.forgetOwnerToken('edit2')
    expect(prefs.ownerToken('edit2')).toBeNull()
    expect(prefs.ownerToken('edit9')).toBe('nine')
  })
})
