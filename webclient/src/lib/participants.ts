import { roleOf, type Role } from './access'

// Participant is a person in the room, as announced in awareness: the "user" field (that
// y-codemirror.next also reads for cursor labels) and, beside it, the role of their link.
export interface Participant {
  clientId: number
  name: string
  color: string
  role: Role
  isSelf: boolean
}

const fallbackColor = '#64748b'

// participantsOf lists the people in awareness states: self first, then by name. States
// without a named user (a client still starting, or the server's own state) are left out.
export function participantsOf(states: ReadonlyMap<number, Record<string, unknown>>, self: number): Participant[] {
  const list: Participant[] = []
  states.forEach((state, clientId) => {
    const user = state.user
    if (typeof user !== 'object' || user === null) return
    const { name, color } = user as { name?: unknown; color?: unknown }
    if (typeof name !== 'string' || name === '') return
    list.push({ clientId, name, color: typeof color === 'string' ? color : fallbackColor, role: roleOf(state.role), isSelf: clientId === self })
  })
  return list.sort((a, b) => Number(b.isSelf) - Number(a.isSelf) || a.name.localeCompare(b.name) || a.clientId - b.clientId)
}
