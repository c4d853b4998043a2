// runs is the state of a room's code runs as the server announces them (issue 15): a pure
// reducer from the events of GET /rooms/{id}/runs/events to what the output panel shows, the
// checks that turn the events' JSON into typed values, and how the panel words a run. It knows
// nothing of EventSource or React; useRuns.ts feeds it.
import type { Role } from './access'
import { languageInfo } from './languages'

export type Stream = 'stdout' | 'stderr'

// Chunk is a piece of a run's output, in the order the program wrote it.
export interface Chunk {
  runId: string
  stream: Stream
  data: string
}

// RunStart is a run as the start event announces it; startedAt is RFC 3339 with milliseconds.
export interface RunStart {
  runId: string
  language: string
  startedBy: string
  startedAt: string
}

// Run is a finished run, as POST /rooms/{id}/run answers and the finish event announces it.
// A run the server stopped (Stop, or its time limit) has no flag of its own: its exit code is
// the server's (-1, or a signal's), with timedOut set for the time limit.
export interface Run extends RunStart {
  exitCode: number
  stdout: string
  stderr: string
  durationMs: number
  timedOut: boolean
  truncated: boolean
}

// ActiveRun is the run in progress with its output so far.
export interface ActiveRun extends RunStart {
  output: Chunk[]
}

// Snapshot is the runs event (and GET /rooms/{id}/runs): the state to start from.
export interface Snapshot {
  runs: Run[]
  active: ActiveRun | null
}

// Finished is a finished run of the list. chunks is its output in arrival order when this client
// watched it live and the chunks add up to the run's stdout and stderr; otherwise null, and the
// output is shown as stdout then stderr.
export interface Finished extends Run {
  chunks: Chunk[] | null
}

export interface RunsState {
  active: ActiveRun | null
  // recent lists finished runs, newest first, at most recentCap.
  recent: Finished[]
  // selected is the finished run picked from the list, or null to follow the latest.
  selected: string | null
}

export const initialRunsState: RunsState = { active: null, recent: [], selected: null }

// recentCap is how many finished runs the panel keeps.
export const recentCap = 20

export type RunEvent =
  | { type: 'runs'; snapshot: Snapshot }
  | { type: 'start'; run: RunStart }
  | { type: 'output'; chunk: Chunk }
  | { type: 'finish'; run: Run }
  // select: the person picked a run of the list (null: back to the latest).
  | { type: 'select'; runId: string | null }

// runsReducer returns the state after ev.
export function runsReducer(state: RunsState, ev: RunEvent): RunsState {
  switch (ev.type) {
    case 'runs': {
      // The server's state replaces ours; the order of output this client saw is kept.
      const seen = new Map(state.recent.map((r) => [r.runId, r.chunks]))
      const recent = ev.snapshot.runs.slice(0, recentCap).map((r) => finished(r, seen.get(r.runId) ?? null))
      const selected = recent.some((r) => r.runId === state.selected) ? state.selected : null
      return { active: ev.snapshot.active, recent, selected }
    }
    case 'start':
      // One run of a room at a time: a start ends the wait for any other, and the panel follows it.
      return { ...state, active: { ...ev.run, output: [] }, selected: null }
    case 'output': {
      const a = state.active
      if (!a || a.runId !== ev.chunk.runId) return state
      return { ...state, active: { ...a, output: [...a.output, ev.chunk] } }
    }
    case 'finish': {
      const a = state.active
      const live = a?.runId === ev.run.runId ? a : null
      const others = state.recent.filter((r) => r.runId !== ev.run.runId)
      const before = state.recent.find((r) => r.runId === ev.run.runId)
      const run = finished(ev.run, live ? live.output : (before?.chunks ?? null))
      return { ...state, active: live ? null : a, recent: [run, ...others].slice(0, recentCap) }
    }
    case 'select':
      if (ev.runId !== null && !state.recent.some((r) => r.runId === ev.runId)) return state
      return { ...state, selected: ev.runId }
  }
}

// finished makes run a list entry, keeping chunks when they add up to its output.
function finished(run: Run, chunks: Chunk[] | null): Finished {
  const whole = chunks !== null && joined(chunks, 'stdout') === run.stdout && joined(chunks, 'stderr') === run.stderr
  return { ...run, chunks: whole ? chunks : null }
}

function joined(chunks: readonly Chunk[], stream: Stream): string {
  return chunks.filter((c) => c.stream === stream).map((c) => c.data).join('')
}

// Shown is the run the panel shows: the run picked from the list, else the run in progress,
// else the latest finished run.
export type Shown = { kind: 'live'; run: ActiveRun } | { kind: 'finished'; run: Finished } | null

export function shownRun(state: RunsState): Shown {
  const picked = state.selected !== null ? state.recent.find((r) => r.runId === state.selected) : undefined
  if (picked) return { kind: 'finished', run: picked }
  if (state.active) return { kind: 'live', run: state.active }
  return state.recent[0] ? { kind: 'finished', run: state.recent[0] } : null
}

// Segment is a stretch of output of one stream.
export interface Segment {
  stream: Stream
  text: string
}

// segmentsOf returns what the panel prints of a run: its output in arrival order when known,
// adjacent chunks of a stream joined; else stdout, then stderr.
export function segmentsOf(shown: Shown): Segment[] {
  if (shown === null) return []
  if (shown.kind === 'finished' && shown.run.chunks === null) {
    const { stdout, stderr } = shown.run
    return [
      ...(stdout ? [{ stream: 'stdout' as const, text: stdout }] : []),
      ...(stderr ? [{ stream: 'stderr' as const, text: stderr }] : []),
    ]
  }
  const chunks = (shown.kind === 'live' ? shown.run.output : shown.run.chunks) ?? []
  const out: Segment[] = []
  for (const c of chunks) {
    const last = out[out.length - 1]
    if (last?.stream === c.stream) last.text += c.data
    else if (c.data) out.push({ stream: c.stream, text: c.data })
  }
  return out
}

// exitStatus words how a run ended: "timed out" for the time limit, else "exited N".
export function exitStatus(run: Run): string {
  return run.timedOut ? 'timed out' : `exited ${run.exitCode}`
}

// succeeded reports whether run ended well (exit code 0 within its time).
export function succeeded(run: Run): boolean {
  return !run.timedOut && run.exitCode === 0
}

// duration words a run's length: "850 ms", "1.2 s", "2 min 5 s".
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`
  const s = Math.round(ms / 1000)
  return `${Math.floor(s / 60)} min ${s % 60} s`
}

// runRefusal words why the person may not run the room's code now, or null when they may.
// runnable is the set of languages the server runs, or null while it is not known (the server
// then decides).
export function runRefusal(role: Role, locked: boolean, language: string, runnable: ReadonlySet<string> | null): string | null {
  if (role === 'viewer') return 'You opened the view link: only editors can run the code.'
  if (locked) return "The room's owner has locked it: nobody can run the code until it is unlocked."
  if (runnable !== null && !runnable.has(language)) return `${languageInfo(language).name} code cannot be run on this server.`
  return null
}

// runnableLanguages reads the ids of the languages GET /languages marks runnable; a server that
// predates running code marks none.
export function runnableLanguages(body: unknown): Set<string> {
  const ids = new Set<string>()
  if (!Array.isArray(body)) return ids
  for (const l of body as unknown[]) {
    if (isObject(l) && typeof l.id === 'string' && l.runnable === true) ids.add(l.id)
  }
  return ids
}

// Refusal is what runError reads of an error answer (lib/api's ApiError is one).
interface Refusal extends Error {
  status: number
  retryAfter: number | null
}

function isRefusal(err: unknown): err is Refusal {
  return err instanceof Error && typeof (err as Partial<Refusal>).status === 'number'
}

// runError words a refused POST /rooms/{id}/run for the panel.
export function runError(err: unknown): string {
  if (!isRefusal(err)) return err instanceof Error ? `Could not reach the server: ${err.message}` : 'Could not reach the server.'
  switch (err.status) {
    case 403:
      return 'Only editors can run the code, and not while the room is locked.'
    case 409:
      return 'A run of this room is already in progress.'
    case 422:
      return `This language cannot be run here: ${err.message}`
    case 429:
      return err.retryAfter !== null ? `Too many runs: try again in ${err.retryAfter} s.` : 'Too many runs: try again in a moment.'
    case 503:
      return `Running code is unavailable: ${err.message}`
    default:
      return `The run failed: ${err.message}`
  }
}

// parseRunEvent checks the JSON data of a server event named type and returns it as an event,
// or null when it is not one this client understands: the data comes from the network.
export function parseRunEvent(type: string, data: string): RunEvent | null {
  let v: unknown
  try {
    v = JSON.parse(data)
  } catch {
    return null
  }
  switch (type) {
    case 'runs': {
      const snapshot = asSnapshot(v)
      return snapshot && { type: 'runs', snapshot }
    }
    case 'start': {
      const run = asStart(v)
      return run && { type: 'start', run }
    }
    case 'output': {
      const chunk = asChunk(v)
      return chunk && { type: 'output', chunk }
    }
    case 'finish': {
      const run = asRun(v)
      return run && { type: 'finish', run }
    }
    default:
      return null
  }
}

type Obj = Record<string, unknown>

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function asStart(v: unknown): RunStart | null {
  if (!isObject(v)) return null
  const { runId, language, startedBy, startedAt } = v
  if (typeof runId !== 'string' || typeof language !== 'string' || typeof startedBy !== 'string' || typeof startedAt !== 'string') return null
  return { runId, language, startedBy, startedAt }
}

function asChunk(v: unknown): Chunk | null {
  if (!isObject(v)) return null
  const { runId, stream, data } = v
  if (typeof runId !== 'string' || (stream !== 'stdout' && stream !== 'stderr') || typeof data !== 'string') return null
  return { runId, stream, data }
}

// asRun reads a finished run; a missing output or flag reads as empty or false.
export function asRun(v: unknown): Run | null {
  const start = asStart(v)
  if (!start || !isObject(v) || typeof v.exitCode !== 'number' || typeof v.durationMs !== 'number') return null
  return {
    ...start,
    exitCode: v.exitCode,
    stdout: typeof v.stdout === 'string' ? v.stdout : '',
    stderr: typeof v.stderr === 'string' ? v.stderr : '',
    durationMs: v.durationMs,
    timedOut: v.timedOut === true,
    truncated: v.truncated === true,
  }
}

function asSnapshot(v: unknown): Snapshot | null {
  if (!isObject(v) || !Array.isArray(v.runs)) return null
  const runs = (v.runs as unknown[]).map(asRun).filter((r): r is Run => r !== null)
  let active: ActiveRun | null = null
  if (isObject(v.active)) {
    const start = asStart(v.active)
    const output = Array.isArray(v.active.output) ? (v.active.output as unknown[]).map(asChunk) : []
    if (start) active = { ...start, output: output.filter((c): c is Chunk => c !== null && c.runId === start.runId) }
  }
  return { runs, active }
}
