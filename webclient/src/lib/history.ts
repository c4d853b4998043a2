// history is the room's history as GET /rooms/{id}/history lists it, and how the history panel
// words it. The server groups the room's entries (one per edit it applied) into versions, each a
// burst of editing that ended with a pause; the version being written comes first.

// Version is one version of the list. seq is its last entry (the text after it is the version's
// text), firstSeq its first; added and removed count UTF-16 units; restore, when present, is the
// seq whose text it restored.
export interface Version {
  seq: number
  firstSeq: number
  from: string
  to: string
  authors: string[]
  added: number
  removed: number
  restore?: number
}

// TextAt is the room right after entry seq (GET /rooms/{id}/history/{seq}).
export interface TextAt {
  seq: number
  at: string
  code: string
  language: string
}

// historyPage is how many versions the panel asks for at once.
export const historyPage = 50

// nextBefore returns the before= of the page after versions, or null when the list is complete:
// a page shorter than asked is the last, and so is one that reaches the room's creation.
export function nextBefore(versions: readonly Version[], lastPageLength: number, limit: number): number | null {
  const last = versions[versions.length - 1]
  if (!last || lastPageLength < limit || last.firstSeq <= 1) return null
  return last.firstSeq
}

// mergePages returns older appended to versions, without any version already listed (the
// version being written may have been stored between two pages). A version is known by its
// first entry: the one being written keeps its first entry as it grows.
export function mergePages(versions: readonly Version[], older: readonly Version[]): Version[] {
  const seen = new Set(versions.map((v) => v.firstSeq))
  return [...versions, ...older.filter((v) => !seen.has(v.firstSeq))]
}

// withNewest returns listed with its newest versions replaced by a fresh first page: the page,
// then the versions listed that are older than all of it (those of older pages loaded before).
export function withNewest(listed: readonly Version[], page: readonly Version[]): Version[] {
  const last = page[page.length - 1]
  if (!last) return [...listed]
  return [...page, ...listed.filter((v) => v.firstSeq < last.firstSeq)]
}

const units: [limit: number, size: number, name: string][] = [
  [60, 1, 's'],
  [3600, 60, 'min'],
  [86400, 3600, 'h'],
  [86400 * 30, 86400, 'd'],
]

// relativeTime words how long before now `at` was: "just now", "5 s ago", "3 min ago", "2 h
// ago", "4 d ago", and the date itself from a month on.
export function relativeTime(at: Date, now: Date): string {
  const seconds = Math.max(0, Math.floor((now.getTime() - at.getTime()) / 1000))
  if (seconds < 5) return 'just now'
  for (const [limit, size, name] of units) {
    if (seconds < limit) return `${Math.floor(seconds / size)} ${name} ago`
  }
  return at.toISOString().slice(0, 10)
}

// exactTime is the time the list shows on hover: local date and time to the second.
export function exactTime(at: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())} ${pad(at.getHours())}:${pad(at.getMinutes())}:${pad(at.getSeconds())}`
}

// changeSize words a version's size of change: "+12 −3", with the sign of a side left out when
// it is nothing ("+12", "−3"), and "no change" when both are.
export function changeSize(added: number, removed: number): string {
  const parts = []
  if (added > 0) parts.push(`+${added}`)
  if (removed > 0) parts.push(`−${removed}`)
  return parts.length ? parts.join(' ') : 'no change'
}

// authorsOf words a version's authors; the server's own edits (a restore) have none.
export function authorsOf(v: Version): string {
  return v.authors.length ? v.authors.join(', ') : 'pairpad'
}
