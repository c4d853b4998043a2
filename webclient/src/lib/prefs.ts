// prefs keeps what the browser remembers between visits, in localStorage.
import { movedOwnerToken, parseOwnerTokens, withOwnerToken, withoutOwnerToken, type OwnerTokens } from './owner'

export interface RecentRoom {
  roomId: string
  language: string
  visitedAt: number
}

export type ThemeChoice = 'system' | 'light' | 'dark'

const keys = { name: 'pairpad.name', recent: 'pairpad.recent', theme: 'pairpad.theme', owners: 'pairpad.owners' } as const
export const maxRecent = 8

// withRecent returns the list with room moved to the front, deduplicated and bounded.
export function withRecent(list: readonly RecentRoom[], room: RecentRoom): RecentRoom[] {
  return [room, ...list.filter((r) => r.roomId !== room.roomId)].slice(0, maxRecent)
}

// parseRecent reads a stored list, dropping anything malformed.
export function parseRecent(raw: string | null): RecentRoom[] {
  if (!raw) return []
  try {
    const v: unknown = JSON.parse(raw)
    if (!Array.isArray(v)) return []
    return v.filter(isRecentRoom).slice(0, maxRecent)
  } catch {
    return []
  }
}

function isRecentRoom(v: unknown): v is RecentRoom {
  if (typeof v !== 'object' || v === null) return false
  const r = v as Record<string, unknown>
  return typeof r.roomId === 'string' && typeof r.language === 'string' && typeof r.visitedAt === 'number'
}

function read(key: string): string | null {
  try {
    return localStorage.getItem(key)
  } catch {
    return null
  }
}

function write(key: string, value: string): void {
  try {
    localStorage.setItem(key, value)
  } catch {
    // storage full or disabled: the preference lasts this visit only
  }
}

export const prefs = {
  name: (): string | null => read(keys.name),
  setName: (name: string) => write(keys.name, name),
  recent: (): RecentRoom[] => parseRecent(read(keys.recent)),
  addRecent: (room: RecentRoom) => write(keys.recent, JSON.stringify(withRecent(prefs.recent(), room))),
  forgetRecent: (roomId: string) => write(keys.recent, JSON.stringify(prefs.recent().filter((r) => r.roomId !== roomId))),
  theme: (): ThemeChoice => {
    const t = read(keys.theme)
    return t === 'light' || t === 'dark' ? t : 'system'
  },
  setTheme: (t: ThemeChoice) => write(keys.theme, t),
  // ownerToken returns the owner token kept for a room (by its edit id), or null.
  ownerToken: (roomId: string): string | null => ownerTokens()[roomId] ?? null,
  setOwnerToken: (roomId: string, token: string) => writeOwnerTokens(withOwnerToken(ownerTokens(), roomId, token)),
  forgetOwnerToken: (roomId: string) => writeOwnerTokens(withoutOwnerToken(ownerTokens(), roomId)),
  // moveOwnerToken keeps a room's token under its new edit id, after the owner replaced the link.
  moveOwnerToken: (from: string, to: string) => writeOwnerTokens(movedOwnerToken(ownerTokens(), from, to)),
}

function ownerTokens(): OwnerTokens {
  return parseOwnerTokens(read(keys.owners))
}

function writeOwnerTokens(tokens: OwnerTokens): void {
  write(keys.owners, JSON.stringify(tokens))
}
