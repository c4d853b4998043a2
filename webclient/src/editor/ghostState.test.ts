import { describe, expect, it } from 'vitest'
import { ghostReducer, initialGhostState, type GhostEvent, type GhostState } from './ghostState'

const run = (events: GhostEvent[], from: GhostState = initialGhostState) => events.reduce(ghostReducer, from)
const shift = (at: number, by: number) => (pos: number) => (pos >= at ? pos + by : pos)
const shown = (pos: number, text: string): GhostState => ({ suggestion: { pos, text }, pending: null, nextId: 2 })

describe('ghostReducer', () => {
  it('shows the answer to the pending request', () => {
    const got = run([{ type: 'request' }, { type: 'response', id: 1, pos: 5, text: 'foo()', cursor: 5 }])
    expect(got).toEqual(shown(5, 'foo()'))
  })

  it('drops an answer after the text changed (stale)', () => {
    const got = run([
      { type: 'request' },
      { type: 'localEdit', typed: { from: 5, text: 'x' }, mapPos: shift(5, 1) },
      { type: 'response', id: 1, pos: 5, text: 'foo()', cursor: 6 },
    ])
    expect(got.suggestion).toBeNull()
  })

  it('drops an answer after a remote edit changed the text', () => {
    const got = run([
      { type: 'request' },
      { type: 'remoteEdit', mapPos: shift(0, 3) },
      { type: 'response', id: 1, pos: 5, text: 'foo()', cursor: 5 },
    ])
    expect(got.suggestion).toBeNull()
  })

  it('drops an answer to an older request', () => {
    const got = run([
      { type: 'request' },
      { type: 'request' },
      { type: 'response', id: 1, pos: 5, text: 'old', cursor: 5 },
    ])
    expect(got.suggestion).toBeNull()
    expect(got.pending).toBe(2)
  })

  it('drops an answer when the cursor moved', () => {
    const got = run([{ type: 'request' }, { type: 'response', id: 1, pos: 5, text: 'foo', cursor: 9 }])
    expect(got.suggestion).toBeNull()
  })

  it('ignores an empty answer', () => {
    const got = run([{ type: 'request' }, { type: 'response', id: 1, pos: 5, text: '', cursor: 5 }])
    expect(got.suggestion).toBeNull()
    expect(got.pending).toBeNull()
  })

  it('keeps the rest of a suggestion when typing matches it', () => {
    const got = run([{ type: 'localEdit', typed: { from: 5, text: 'fo' }, mapPos: shift(5, 2) }], shown(5, 'foo()'))
    expect(got.suggestion).toEqual({ pos: 7, text: 'o()' })
  })

  it('removes the suggestion when typing completes it', () => {
    const got = run([{ type: 'localEdit', typed: { from: 5, text: 'foo' }, mapPos: shift(5, 3) }], shown(5, 'foo'))
    expect(got.suggestion).toBeNull()
  })

  it('removes the suggestion when typing differs', () => {
    const got = run([{ type: 'localEdit', typed: { from: 5, text: 'x' }, mapPos: shift(5, 1) }], shown(5, 'foo'))
    expect(got.suggestion).toBeNull()
  })

  it('removes the suggestion on a local deletion', () => {
    const got = run([{ type: 'localEdit', typed: null, mapPos: shift(4, -1) }], shown(5, 'foo'))
    expect(got.suggestion).toBeNull()
  })

  it('keeps the suggestion through a remote edit elsewhere, moving with the text', () => {
    const before = run([{ type: 'remoteEdit', mapPos: shift(0, 4) }], shown(5, 'foo'))
    expect(before.suggestion).toEqual({ pos: 9, text: 'foo' })
    const after = run([{ type: 'remoteEdit', mapPos: shift(20, 4) }], shown(5, 'foo'))
    expect(after.suggestion).toEqual({ pos: 5, text: 'foo' })
  })

  it('dismisses on Esc', () => {
    expect(run([{ type: 'dismiss' }], shown(5, 'foo')).suggestion).toBeNull()
  })

  it('dismisses when the cursor moves away or selects', () => {
    expect(run([{ type: 'cursor', cursor: 3, empty: true }], shown(5, 'foo')).suggestion).toBeNull()
    expect(run([{ type: 'cursor', cursor: 5, empty: false }], shown(5, 'foo')).suggestion).toBeNull()
    expect(run([{ type: 'cursor', cursor: 5, empty: true }], shown(5, 'foo')).suggestion).toEqual({ pos: 5, text: 'foo' })
  })

  it('returns the same state for a no-op dismiss', () => {
    expect(ghostReducer(initialGhostState, { type: 'dismiss' })).toBe(initialGhostState)
  })
})
