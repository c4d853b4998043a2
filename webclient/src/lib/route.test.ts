import { describe, expect, it } from 'vitest'
import { parseRoute, roomIdFromInput, roomPathFor } from './route'

describe('parseRoute', () => {
  const cases: [string, ReturnType<typeof parseRoute>][] = [
    ['/', { page: 'home' }],
    ['/r/abc', { page: 'room', roomId: 'abc' }],
    ['/r/abc/', { page: 'room', roomId: 'abc' }],
    ['/r/a%20b', { page: 'room', roomId: 'a b' }],
    ['/r/', { page: 'missing' }],
    ['/r/abc/def', { page: 'missing' }],
    ['/elsewhere', { page: 'missing' }],
    ['/r/%E0%A4%A', { page: 'missing' }],
  ]
  for (const [path, want] of cases) {
    it(path, () => expect(parseRoute(path)).toEqual(want))
  }
})

describe('roomIdFromInput', () => {
  const cases: [string, string | null][] = [
    ['abc-123', 'abc-123'],
    ['  abc  ', 'abc'],
    ['https://pairpad.example/r/xyz', 'xyz'],
    ['http://localhost:8000/r/xyz?x=1#top', 'xyz'],
    ['/r/xyz', 'xyz'],
    ['https://pairpad.example/', null],
    ['not a room', null],
    ['', null],
  ]
  for (const [input, want] of cases) {
    it(JSON.stringify(input), () => expect(roomIdFromInput(input)).toBe(want))
  }
})

it('roomPathFor round-trips through parseRoute', () => {
  for (const id of ['abc', 'a b', 'ü/x']) {
    expect(parseRoute(roomPathFor(id))).toEqual({ page: 'room', roomId: id })
  }
})
