// player replays a room's history into a local Y.Doc: seek fetches the document at an entry
// (GET /rooms/{id}/history/{seq}/updates), play applies the entries after it one by one at the
// recorded pace (lib/playback decides what and when), fetching further pages as it goes. A view
// bound to the doc's "code" text shows the typing as it happened.
import * as Y from 'yjs'
import { appended, fromBase64, lastFetched, nextStep, queueAt, wantsMore, type PlaybackPage, type Queue } from './playback'

// FetchPage fetches the document right after entry seq and at most limit entries after it.
export type FetchPage = (seq: number, limit: number, signal: AbortSignal) => Promise<PlaybackPage>

// PlayerState is what a player shows: the doc being replayed into (null before the first seek;
// a seek makes a new one), the last entry applied, whether it is playing, and the last error.
export interface PlayerState {
  doc: Y.Doc | null
  seq: number
  playing: boolean
  loading: boolean
  error: string | null
}

// pageLimit is how many entries a page asks for; lowWater how few pending entries make the
// player fetch the next page while it plays.
const pageLimit = 1000
const lowWater = 100

// Player is not safe to share between views; destroy stops it. onChange is called after every
// change of state, with the new one.
export class Player {
  private state: PlayerState = { doc: null, seq: 0, playing: false, loading: false, error: null }
  private queue: Queue | null = null
  private speed = 1
  private timer: ReturnType<typeof setTimeout> | null = null
  private abort = new AbortController()
  private fetching: Promise<void> | null = null

  constructor(private readonly fetchPage: FetchPage, private readonly onChange: (s: PlayerState) => void, private readonly limit = pageLimit) {}

  get current(): PlayerState {
    return this.state
  }

  private set(next: Partial<PlayerState>) {
    this.state = { ...this.state, ...next }
    this.onChange(this.state)
  }

  private failed(err: unknown) {
    if (err instanceof DOMException && err.name === 'AbortError') return
    this.stopTimer()
    this.set({ playing: false, loading: false, error: err instanceof Error ? err.message : String(err) })
  }

  private stopTimer() {
    if (this.timer !== null) clearTimeout(this.timer)
    this.timer = null
  }

  // seek shows the document right after entry seq, and pauses.
  async seek(seq: number): Promise<void> {
    this.stopTimer()
    this.abort.abort()
    this.abort = new AbortController()
    this.fetching = null
    const signal = this.abort.signal
    this.set({ playing: false, loading: true, error: null })
    try {
      const page = await this.fetchPage(seq, this.limit, signal)
      if (signal.aborted) return
      const doc = new Y.Doc()
      Y.applyUpdate(doc, fromBase64(page.state))
      this.state.doc?.destroy()
      this.queue = queueAt(page, this.limit)
      this.set({ doc, seq: page.seq, loading: false })
    } catch (err) {
      if (!signal.aborted) this.failed(err)
    }
  }

  // play applies the entries after the current one at speed until the last, or pause.
  play(speed: number) {
    this.speed = speed
    if (!this.queue) return
    this.stopTimer()
    this.set({ playing: true, error: null })
    this.schedule()
  }

  pause() {
    this.stopTimer()
    if (this.state.playing) this.set({ playing: false })
  }

  destroy() {
    this.stopTimer()
    this.abort.abort()
    this.state.doc?.destroy()
  }

  private more(): Promise<void> {
    if (this.fetching) return this.fetching
    const q = this.queue
    if (!q) return Promise.resolve()
    const signal = this.abort.signal
    const from = lastFetched(q)
    this.fetching = this.fetchPage(from, this.limit, signal).then(
      (page) => {
        if (signal.aborted || !this.queue) return
        this.queue = appended(this.queue, page, this.limit)
        this.fetching = null
      },
      (err: unknown) => {
        this.fetching = null
        this.failed(err)
      },
    )
    return this.fetching
  }

  private schedule() {
    const q = this.queue
    if (!this.state.playing || !q) return
    const step = nextStep(q, this.speed)
    if (!step) {
      if (q.more) this.more().then(() => this.schedule())
      else this.set({ playing: false })
      return
    }
    this.timer = setTimeout(() => {
      this.timer = null
      // A page may have been appended meanwhile: take the step from the queue as it is now.
      const now = this.queue && nextStep(this.queue, this.speed)
      const doc = this.state.doc
      if (!doc || !now) return
      Y.applyUpdate(doc, fromBase64(now.update.update))
      this.queue = now.next
      this.set({ seq: now.update.seq })
      if (wantsMore(now.next, lowWater)) void this.more()
      this.schedule()
    }, step.delay)
  }
}
