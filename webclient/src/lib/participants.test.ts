import { expect, it } from 'vitest'
import { serverClientId } from './access'
import { participantsOf } from './participants'

it('lists named users with their roles, self first, then by name, never the server', () => {
  const states = new Map<number, Record<string, unknown>>([
    [3, { user: { name: 'Zed', color: '#111111' }, role: 'viewer' }],
    [1, { user: { name: 'Amy', color: '#222222' } }],
    [2, { user: { name: 'Me', color: '#333333' } }],
    [4, {}],
    [5, { user: { name: '' } }],
    [6, { user: { name: 'Bob' } }],
    [serverClientId, { room: { locked: true } }],
  ])
  expect(participantsOf(states, 2)).toEqual([
    { clientId: 2, name: 'Me', color: '#333333', role: 'editor', isSelf: true },
    { clientId: 1, name: 'Amy', color: '#222222', role: 'editor', isSelf: false },
    { clientId: 6, name: 'Bob', color: '#64748b', role: 'editor', isSelf: false },
    { clientId: 3, name: 'Zed', color: '#111111', role: 'viewer', isSelf: false },
  ])
})

it('is empty for no states', () => {
  expect(participantsOf(new Map(), 1)).toEqual([])
})
