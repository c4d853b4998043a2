import { expect, it } from 'vitest'
import { movedOwnerToken, ownerLinkFor, ownerTokenFromHash, parseOwnerTokens, withOwnerToken, withoutOwnerToken } from './owner'

it('parseOwnerTokens drops malformed data', () => {
  const cases: { raw: string | null; want: Record<string, string> }[] = [
    { raw: null, want: {} },
    { raw: '{', want: {} },
    { raw: '[]', want: {} },
    { raw: '"x"', want: {} },
    { raw: JSON.stringify({ a: 't1', b: 3, c: '', '': 't2' }), want: { a: 't1' } },
  ]
  for (const c of cases) expect(parseOwnerTokens(c.raw), String(c.raw)).toEqual(c.want)
})

it('tokens are kept by room and moved with the edit link', () => {
  let tokens = withOwnerToken({}, 'edit1', 'secret')
  tokens = withOwnerToken(tokens, 'other', 'x')
  expect(tokens).toEqual({ edit1: 'secret', other: 'x' })
  tokens = movedOwnerToken(tokens, 'edit1', 'edit2')
  expect(tokens).toEqual({ edit2: 'secret', other: 'x' })
  expect(movedOwnerToken(tokens, 'nothing', 'edit3')).toBe(tokens)
  expect(withoutOwnerToken(tokens, 'edit2')).toEqual({ other: 'x' })
  expect(withoutOwnerToken(tokens, 'nothing')).toEqual(tokens)
})

it('an owner link round-trips its token', () => {
  const cases = ['abc_DEF-123', 'a+b/c=', 'with space']
  for (const token of cases) {
    const link = new URL(ownerLinkFor('https://pairpad.example', '/r/edit1', token))
    expect(link.pathname).toBe('/r/edit1')
    expect(ownerTokenFromHash(link.hash), token).toBe(token)
  }
})

it('ownerTokenFromHash finds no token where there is none', () => {
  for (const hash of ['', '#', '#owner=', '#other=x', 'owner']) expect(ownerTokenFromHash(hash), hash).toBeNull()
  expect(ownerTokenFromHash('owner=t')).toBe('t')
})
