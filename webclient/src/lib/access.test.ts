import { expect, it } from 'vitest'
import { accessBadge, lockedIn, mayEdit, roleOf, serverClientId, type Role } from './access'

it('serverClientId is 2^53-1', () => {
  expect(serverClientId).toBe(2 ** 53 - 1)
})

it('lockedIn reads the server awareness state only', () => {
  const cases: { name: string; states: [number, Record<string, unknown>][]; want: boolean }[] = [
    { name: 'no states', states: [], want: false },
    { name: 'locked', states: [[serverClientId, { room: { locked: true } }]], want: true },
    { name: 'unlocked', states: [[serverClientId, { room: { locked: false } }]], want: false },
    { name: 'malformed room', states: [[serverClientId, { room: 'locked' }]], want: false },
    { name: 'null room', states: [[serverClientId, { room: null }]], want: false },
    { name: 'truthy but not true', states: [[serverClientId, { room: { locked: 1 } }]], want: false },
    { name: 'a client claims it', states: [[7, { room: { locked: true } }]], want: false },
    { name: 'with people', states: [[1, { user: { name: 'Amy' } }], [serverClientId, { room: { locked: true } }]], want: true },
  ]
  for (const c of cases) expect(lockedIn(new Map(c.states)), c.name).toBe(c.want)
})

it('roleOf treats anything but viewer as an editor', () => {
  expect(roleOf('viewer')).toBe('viewer')
  expect(roleOf('editor')).toBe('editor')
  expect(roleOf(undefined)).toBe('editor')
  expect(roleOf('owner')).toBe('editor')
})

it('mayEdit and accessBadge agree', () => {
  const cases: { role: Role; locked: boolean; edit: boolean; badge: string | null }[] = [
    { role: 'editor', locked: false, edit: true, badge: null },
    { role: 'viewer', locked: false, edit: false, badge: 'View only' },
    { role: 'editor', locked: true, edit: false, badge: 'Locked' },
    { role: 'viewer', locked: true, edit: false, badge: 'Locked' },
  ]
  for (const c of cases) {
    const name = `${c.role} locked=${c.locked}`
    expect(mayEdit(c.role, c.locked), name).toBe(c.edit)
    expect(accessBadge(c.role, c.locked)?.label ?? null, name).toBe(c.badge)
  }
})
