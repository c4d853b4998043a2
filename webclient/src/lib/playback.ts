// playback is the pure part of replaying a room's history keystroke by keystroke: the shape of
// GET /rooms/{id}/history/{seq}/updates, the queue of entries still to apply, and the pace.
// The fetching, the Y.Doc and the timer are history/player.ts's.

// PlaybackUpdate is one entry of the room's history: the Yjs update (v1, base64) the server
// applied as entry seq, at `at`, from author.
export interface PlaybackUpdate {
  seq: number
  at: string
  author: string
  update: string
}

// PlaybackPage answers GET /rooms/{id}/history/{seq}/updates: the whole document right after
// entry seq (a Yjs update, base64), and the entries after it, in order, at most the limit asked.
export interface PlaybackPage {
  seq: number
  state: string
  updates: PlaybackUpdate[]
}

// speeds are the playback speeds offered; 1 replays at the recorded pace.
export const speeds = [1, 4, 16] as const
export type Speed = (typeof speeds)[number]

// maxPause is the longest wait between two entries at 1x, in milliseconds: a pause in the
// typing longer than that is cut to it.
export const maxPause = 1000

// delayBetween returns how long to wait, in milliseconds, before applying an entry made at
// next when the one before was made at prev (null for none): the recorded gap, at most
// maxPause, divided by speed.
export function delayBetween(prev: string | null, next: string, speed: number): number {
  if (prev === null) return 0
  const gap = Date.parse(next) - Date.parse(prev)
  if (!(gap > 0)) return 0
  return Math.min(gap, maxPause) / speed
}

// Queue is where a playback stands: seq is the last entry applied, pending the entries fetched
// and not yet applied, prevAt the time of the last one applied (null right after a seek), and
// more whether the server may have entries after the last one fetched.
export interface Queue {
  seq: number
  prevAt: string | null
  pending: readonly PlaybackUpdate[]
  more: boolean
}

// queueAt returns the queue of a page fetched with limit: at the page's seq, its entries pending.
export function queueAt(page: PlaybackPage, limit: number): Queue {
  return { seq: page.seq, prevAt: null, pending: page.updates, more: page.updates.length >= limit }
}

// lastFetched returns the seq to fetch the next page after: the last entry fetched.
export function lastFetched(q: Queue): number {
  return q.pending.length ? q.pending[q.pending.length - 1].seq : q.seq
}

// appended returns q with the entries of a page fetched after lastFetched(q) with limit. The
// page's state is not needed: the entries before it are in q already.
export function appended(q: Queue, page: PlaybackPage, limit: number): Queue {
  const from = lastFetched(q)
  return { ...q, pending: [...q.pending, ...page.updates.filter((u) => u.seq > from)], more: page.updates.length >= limit }
}

// wantsMore reports whether the next page should be fetched now: the queue is running low
// (low entries or fewer left) and the server may have more.
export function wantsMore(q: Queue, low: number): boolean {
  return q.more && q.pending.length <= low
}

// Step is the next entry to apply, the queue after it, and how long to wait before applying it.
export interface Step {
  update: PlaybackUpdate
  next: Queue
  delay: number
}

// nextStep returns the next step of q at speed, or null when nothing is pending.
export function nextStep(q: Queue, speed: number): Step | null {
  const [update, ...rest] = q.pending
  if (!update) return null
  return { update, delay: delayBetween(q.prevAt, update.at, speed), next: { ...q, seq: update.seq, prevAt: update.at, pending: rest } }
}

// fromBase64 decodes the server's base64 into bytes.
export function fromBase64(s: string): Uint8Array {
  const bin = atob(s)
  const bytes = new Uint8Array(bin.length)
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i)
  return bytes
}
