import { expect, it } from 'vitest'
import { participantsOf } from './participants'

it('lists named users, self first, then by name', () => {
  const states = new Map<number, Record<string, unknown>>([
    [3, { user: { name: 'Zed', color: '#111111' } }],
    [1, { user: { name: 'Amy', color: '#222222' } }],
    [2, { user: { name: 'Me', color: '#333333' } }],
    [4, {}],
    [5, { user: { name: '' } }],
    [6, { user: { name: 'Bob' } }],
  ])
  expect(participantsOf(states, 2)).toEqual([
    { clientId: 2, name: 'Me', color: '#333333', isSelf: true },
    { clientId: 1, name: 'Amy', color: '#222222', isSelf: false },
    { clientId: 6, name: 'Bob', color: '#64748b', isSelf: false },
    { clientId: 3, name: 'Zed', color: '#111111', isSelf: false },
  ])
})

it('is empty for no states', () => {
  expect(participantsOf(new Map(), 1)).toEqual([])
})
