// access is what a person may do in a room. Access is by capability link, without accounts:
// the edit link gives the editor role, the view link the viewer role, and the room's owner may
// lock it, which makes everyone a viewer. The role comes with the room (GET /rooms/{id}); the
// lock is announced live by the server in an awareness state of its own.

// Role is what the link a room was opened with allows.
export type Role = 'editor' | 'viewer'

// serverClientId is the awareness client id the server reserves for its own state (2^53-1).
// The server refuses that id from clients, so only the server speaks under it.
export const serverClientId = Number.MAX_SAFE_INTEGER

// roleOf reads a role from the API or an awareness state. Anything but "viewer" is an editor:
// clients that predate roles announce none, and they edit.
export function roleOf(v: unknown): Role {
  return v === 'viewer' ? 'viewer' : 'editor'
}

// lockedIn reports whether the server's awareness state says the room is locked. While the room
// is locked the server holds {"room":{"locked":true}} for serverClientId; unlocking removes it.
export function lockedIn(states: ReadonlyMap<number, Record<string, unknown>>): boolean {
  const room = states.get(serverClientId)?.room
  return typeof room === 'object' && room !== null && (room as { locked?: unknown }).locked === true
}

// mayEdit reports whether someone with role may edit the room now.
export function mayEdit(role: Role, locked: boolean): boolean {
  return role === 'editor' && !locked
}

// AccessBadge is what the room header shows of a read-only editor: kind names the reason
// (a locked room says so even to a viewer, since nobody can edit it), label is the badge text.
export interface AccessBadge {
  kind: 'locked' | 'viewer'
  label: string
  detail: string
}

// accessBadge returns the badge for role and lock, or null when the person may edit.
export function accessBadge(role: Role, locked: boolean): AccessBadge | null {
  if (locked) return { kind: 'locked', label: 'Locked', detail: "The room's owner has locked it: nobody can edit until it is unlocked." }
  if (role === 'viewer') return { kind: 'viewer', label: 'View only', detail: 'You opened the view link: you can watch and copy, not edit.' }
  return null
}
