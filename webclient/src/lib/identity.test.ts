import { describe, expect, it } from 'vitest'
import { cleanName, colorFor, initials, lighten, palette, randomName } from './identity'

describe('colorFor', () => {
  it('is stable and always in the palette', () => {
    for (const seed of [0, 1, 11, 12, -5, 2 ** 52, 123456789]) {
      expect(palette).toContain(colorFor(seed))
      expect(colorFor(seed)).toBe(colorFor(seed))
    }
  })
  it('spreads neighbouring seeds', () => {
    expect(colorFor(1)).not.toBe(colorFor(2))
  })
  it('skips colours others took', () => {
    expect(colorFor(0, [palette[0]])).toBe(palette[1])
    expect(colorFor(0, [palette[0], palette[1]])).toBe(palette[2])
    expect(colorFor(3, [palette[0]])).toBe(palette[3])
  })
  it('falls back to its own colour when every colour is taken', () => {
    expect(colorFor(4, palette)).toBe(palette[4])
  })
  it('has no two colours alike', () => {
    expect(new Set(palette).size).toBe(palette.length)
  })
})

it('randomName uses the random source', () => {
  expect(randomName(() => 0)).toBe('Swift Otter')
  expect(randomName(() => 0.999)).toBe('Witty Seal')
})

describe('cleanName', () => {
  const cases: [string, string][] = [
    ['  Ada   Lovelace ', 'Ada Lovelace'],
    ['', ''],
    ['x'.repeat(40), 'x'.repeat(32)],
  ]
  for (const [input, want] of cases) it(JSON.stringify(input), () => expect(cleanName(input)).toBe(want))
})

describe('initials', () => {
  const cases: [string, string][] = [
    ['Ada Lovelace', 'AL'],
    ['grace', 'GR'],
    ['  ', '?'],
  ]
  for (const [input, want] of cases) it(JSON.stringify(input), () => expect(initials(input)).toBe(want))
})

it('lighten adds transparency', () => {
  expect(lighten('#123456')).toBe('#12345633')
})
