import { describe, expect, it } from 'vitest'
import { ApiError, retryAfter } from './api'
import {
  duration, exitStatus, initialRunsState, parseRunEvent, recentCap, runError, runnableLanguages, runRefusal, runsReducer, segmentsOf,
  shownRun, succeeded, type Chunk, type Run, type RunEvent, type RunsState, type RunStart,
} from './runs'

const start = (runId: string, startedBy = 'Alice'): RunStart => ({ runId, language: 'python', startedBy, startedAt: '2026-05-01T10:00:00.000Z' })
const run = (runId: string, over: Partial<Run> = {}): Run => ({
  ...start(runId),
  exitCode: 0,
  stdout: '',
  stderr: '',
  durationMs: 120,
  timedOut: false,
  truncated: false,
  ...over,
})
const out = (runId: string, data: string, stream: Chunk['stream'] = 'stdout'): Chunk => ({ runId, stream, data })
const play = (events: RunEvent[], from: RunsState = initialRunsState) => events.reduce(runsReducer, from)

describe('runsReducer', () => {
  it('a runs event replaces whatever the client had', () => {
    const before = play([{ type: 'finish', run: run('old') }, { type: 'start', run: start('gone') }])
    const got = play([{ type: 'runs', snapshot: { runs: [run('r2'), run('r1')], active: { ...start('r3'), output: [out('r3', 'hi\n')] } } }], before)
    expect(got.recent.map((r) => r.runId)).toEqual(['r2', 'r1'])
    expect(got.active).toEqual({ ...start('r3'), output: [out('r3', 'hi\n')] })
  })

  it('a runs event caps the list and keeps the order of output it saw', () => {
    const watched = play([{ type: 'start', run: start('r1') }, { type: 'output', chunk: out('r1', 'a', 'stderr') }, { type: 'output', chunk: out('r1', 'b') }, { type: 'finish', run: run('r1', { stdout: 'b', stderr: 'a' }) }])
    const many = Array.from({ length: recentCap + 5 }, (_, i) => run(`x${i}`))
    const got = play([{ type: 'runs', snapshot: { runs: [run('r1', { stdout: 'b', stderr: 'a' }), ...many], active: null } }], watched)
    expect(got.recent).toHaveLength(recentCap)
    expect(got.recent[0].chunks).toEqual([out('r1', 'a', 'stderr'), out('r1', 'b')])
    expect(got.recent[1].chunks).toBeNull()
  })

  it('a runs event keeps the selection only while the run is listed', () => {
    const picked = play([{ type: 'finish', run: run('r1') }, { type: 'finish', run: run('r2') }, { type: 'select', runId: 'r1' }])
    expect(picked.selected).toBe('r1')
    expect(play([{ type: 'runs', snapshot: { runs: [run('r2'), run('r1')], active: null } }], picked).selected).toBe('r1')
    expect(play([{ type: 'runs', snapshot: { runs: [run('r2')], active: null } }], picked).selected).toBeNull()
  })

  it('output appends to the run in progress only', () => {
    const got = play([
      { type: 'start', run: start('r1') },
      { type: 'output', chunk: out('r1', 'hello\n') },
      { type: 'output', chunk: out('other', 'forged\n') },
      { type: 'output', chunk: out('r1', 'oops\n', 'stderr') },
      { type: 'output', chunk: out('r1', 'bye\n') },
    ])
    expect(got.active?.output).toEqual([out('r1', 'hello\n'), out('r1', 'oops\n', 'stderr'), out('r1', 'bye\n')])
  })

  it('output with no run in progress is ignored', () => {
    const s = play([{ type: 'finish', run: run('r1') }])
    expect(runsReducer(s, { type: 'output', chunk: out('r1', 'late') })).toBe(s)
    expect(runsReducer(initialRunsState, { type: 'output', chunk: out('r1', 'x') })).toBe(initialRunsState)
  })

  it('a start replaces a run in progress whose finish was missed, and follows the new run', () => {
    const got = play([{ type: 'finish', run: run('r0') }, { type: 'select', runId: 'r0' }, { type: 'start', run: start('r1') }, { type: 'output', chunk: out('r1', 'x') }, { type: 'start', run: start('r2', 'Bob') }])
    expect(got.active).toEqual({ ...start('r2', 'Bob'), output: [] })
    expect(got.selected).toBeNull()
  })

  it('finish moves the run to the top of the list, newest first, capped', () => {
    let s = initialRunsState
    for (let i = 0; i < recentCap + 3; i++) {
      s = play([{ type: 'start', run: start(`r${i}`) }, { type: 'finish', run: run(`r${i}`) }], s)
      expect(s.active).toBeNull()
    }
    expect(s.recent).toHaveLength(recentCap)
    expect(s.recent[0].runId).toBe(`r${recentCap + 2}`)
    expect(s.recent[recentCap - 1].runId).toBe('r3')
  })

  it('finish keeps the output order when the chunks add up to the run', () => {
    const chunks = [out('r1', 'hello\n'), out('r1', 'oops\n', 'stderr'), out('r1', 'HI\n')]
    const cases: { name: string; finish: Run; want: Chunk[] | null }[] = [
      { name: 'same output', finish: run('r1', { stdout: 'hello\nHI\n', stderr: 'oops\n' }), want: chunks },
      { name: 'truncated differently', finish: run('r1', { stdout: 'hello\n', stderr: 'oops\n', truncated: true }), want: null },
      { name: 'missing stderr', finish: run('r1', { stdout: 'hello\nHI\n' }), want: null },
    ]
    for (const c of cases) {
      const got = play([{ type: 'start', run: start('r1') }, ...chunks.map((chunk): RunEvent => ({ type: 'output', chunk })), { type: 'finish', run: c.finish }])
      expect(got.recent[0].chunks, c.name).toEqual(c.want)
      expect(got.recent[0].stdout, c.name).toBe(c.finish.stdout)
    }
  })

  it('finish of another run leaves the run in progress, and a repeated finish is listed once', () => {
    const got = play([{ type: 'start', run: start('r2') }, { type: 'finish', run: run('r1') }, { type: 'finish', run: run('r1', { exitCode: 1 }) }])
    expect(got.active?.runId).toBe('r2')
    expect(got.recent.map((r) => [r.runId, r.exitCode])).toEqual([['r1', 1]])
  })

  it('select picks a listed run only', () => {
    const s = play([{ type: 'finish', run: run('r1') }])
    expect(runsReducer(s, { type: 'select', runId: 'nope' })).toBe(s)
    expect(runsReducer(s, { type: 'select', runId: 'r1' }).selected).toBe('r1')
    expect(play([{ type: 'select', runId: 'r1' }, { type: 'select', runId: null }], s).selected).toBeNull()
  })
})

describe('shownRun and segmentsOf', () => {
  it('shows the picked run, else the run in progress, else the latest', () => {
    expect(shownRun(initialRunsState)).toBeNull()
    const done = play([{ type: 'finish', run: run('r1') }, { type: 'finish', run: run('r2') }])
    expect(shownRun(done)).toMatchObject({ kind: 'finished', run: { runId: 'r2' } })
    const live = play([{ type: 'start', run: start('r3') }], done)
    expect(shownRun(live)).toMatchObject({ kind: 'live', run: { runId: 'r3' } })
    expect(shownRun(runsReducer(live, { type: 'select', runId: 'r1' }))).toMatchObject({ kind: 'finished', run: { runId: 'r1' } })
  })

  it('prints output in arrival order, joining a stream’s adjacent chunks', () => {
    const s = play([
      { type: 'start', run: start('r1') },
      { type: 'output', chunk: out('r1', 'a') },
      { type: 'output', chunk: out('r1', 'b\n') },
      { type: 'output', chunk: out('r1', 'e\n', 'stderr') },
      { type: 'output', chunk: out('r1', '') },
      { type: 'output', chunk: out('r1', 'c\n') },
    ])
    const want = [{ stream: 'stdout', text: 'ab\n' }, { stream: 'stderr', text: 'e\n' }, { stream: 'stdout', text: 'c\n' }]
    expect(segmentsOf(shownRun(s))).toEqual(want)
    const done = runsReducer(s, { type: 'finish', run: run('r1', { stdout: 'ab\nc\n', stderr: 'e\n' }) })
    expect(segmentsOf(shownRun(done))).toEqual(want)
  })

  it('prints a run not watched live as stdout then stderr', () => {
    const s = play([{ type: 'runs', snapshot: { runs: [run('r1', { stdout: 'out\n', stderr: 'err\n' }), run('r0')], active: null } }])
    expect(segmentsOf(shownRun(s))).toEqual([{ stream: 'stdout', text: 'out\n' }, { stream: 'stderr', text: 'err\n' }])
    expect(segmentsOf(shownRun(runsReducer(s, { type: 'select', runId: 'r0' })))).toEqual([])
    expect(segmentsOf(null)).toEqual([])
  })
})

it('exitStatus, succeeded and duration word a run', () => {
  const cases: { run: Run; status: string; ok: boolean }[] = [
    { run: run('r', { exitCode: 0 }), status: 'exited 0', ok: true },
    { run: run('r', { exitCode: 3 }), status: 'exited 3', ok: false },
    { run: run('r', { exitCode: -1 }), status: 'exited -1', ok: false },
    { run: run('r', { exitCode: -1, timedOut: true }), status: 'timed out', ok: false },
  ]
  for (const c of cases) {
    expect(exitStatus(c.run)).toBe(c.status)
    expect(succeeded(c.run)).toBe(c.ok)
  }
  const durations: [number, string][] = [[0, '0 ms'], [850, '850 ms'], [1000, '1.0 s'], [1234, '1.2 s'], [59_940, '59.9 s'], [125_000, '2 min 5 s']]
  for (const [ms, want] of durations) expect(duration(ms), String(ms)).toBe(want)
})

it('runRefusal says why a person may not run the code', () => {
  const py = new Set(['python'])
  const cases: { role: 'editor' | 'viewer'; locked: boolean; language: string; runnable: Set<string> | null; want: RegExp | null }[] = [
    { role: 'editor', locked: false, language: 'python', runnable: py, want: null },
    { role: 'editor', locked: false, language: 'python', runnable: null, want: null },
    { role: 'viewer', locked: false, language: 'python', runnable: py, want: /view link/ },
    { role: 'editor', locked: true, language: 'python', runnable: py, want: /locked/ },
    { role: 'editor', locked: false, language: 'css', runnable: py, want: /^CSS code cannot be run/ },
  ]
  for (const c of cases) {
    const got = runRefusal(c.role, c.locked, c.language, c.runnable)
    if (c.want === null) expect(got).toBeNull()
    else expect(got).toMatch(c.want)
  }
})

it('runnableLanguages reads GET /languages', () => {
  const body = [
    { id: 'python', name: 'Python', extension: '.py', runnable: true },
    { id: 'css', name: 'CSS', extension: '.css', runnable: false },
    { id: 'go', name: 'Go', extension: '.go' },
    { id: 7, runnable: true },
    null,
  ]
  expect([...runnableLanguages(body)]).toEqual(['python'])
  expect(runnableLanguages({ languages: [] }).size).toBe(0)
})

it('runError words a refused run', () => {
  const cases: { err: unknown; want: string }[] = [
    { err: new ApiError(403, 'the room is read-only', 'read_only'), want: 'Only editors can run the code, and not while the room is locked.' },
    { err: new ApiError(409, 'a run is in progress', 'conflict'), want: 'A run of this room is already in progress.' },
    { err: new ApiError(422, 'runnable: python, go', 'language_not_runnable'), want: 'This language cannot be run here: runnable: python, go' },
    { err: new ApiError(429, 'slow down', 'rate_limited', 7), want: 'Too many runs: try again in 7 s.' },
    { err: new ApiError(429, 'slow down', 'rate_limited'), want: 'Too many runs: try again in a moment.' },
    { err: new ApiError(503, 'the queue is full', 'unavailable'), want: 'Running code is unavailable: the queue is full' },
    { err: new ApiError(500, 'boom'), want: 'The run failed: boom' },
    { err: new TypeError('Failed to fetch'), want: 'Could not reach the server: Failed to fetch' },
  ]
  for (const c of cases) expect(runError(c.err)).toBe(c.want)
  const headers: [string | null, number | null][] = [['7', 7], [' 12 ', 12], [null, null], ['Wed, 21 Oct 2026 07:28:00 GMT', null], ['-1', null]]
  for (const [h, want] of headers) expect(retryAfter(h), String(h)).toBe(want)
})

describe('parseRunEvent', () => {
  it('reads each event of the stream', () => {
    const r = run('r1', { exitCode: 3, stdout: 'hello\n', stderr: 'oops\n', durationMs: 1042, truncated: true })
    expect(parseRunEvent('start', JSON.stringify(start('r1')))).toEqual({ type: 'start', run: start('r1') })
    expect(parseRunEvent('output', JSON.stringify(out('r1', 'x', 'stderr')))).toEqual({ type: 'output', chunk: out('r1', 'x', 'stderr') })
    expect(parseRunEvent('finish', JSON.stringify(r))).toEqual({ type: 'finish', run: r })
    expect(parseRunEvent('runs', JSON.stringify({ runs: [r], active: null }))).toEqual({ type: 'runs', snapshot: { runs: [r], active: null } })
    const active = { ...start('r2'), output: [out('r2', 'a'), out('r1', 'stray'), { runId: 'r2', stream: 'stdin', data: 'x' }] }
    expect(parseRunEvent('runs', JSON.stringify({ runs: [], active }))).toEqual({ type: 'runs', snapshot: { runs: [], active: { ...start('r2'), output: [out('r2', 'a')] } } })
  })

  it('drops what it does not understand', () => {
    const cases: [string, string][] = [
      ['start', 'not json'],
      ['start', '{"runId":"r1"}'],
      ['output', '{"runId":"r1","stream":"stdin","data":"x"}'],
      ['output', '{"runId":"r1","stream":"stdout","data":7}'],
      ['finish', JSON.stringify({ ...start('r1'), exitCode: '0', durationMs: 1 })],
      ['runs', '{"active":null}'],
      ['runs', '[]'],
      ['ping', '{}'],
      ['output', 'null'],
    ]
    for (const [type, data] of cases) expect(parseRunEvent(type, data), `${type} ${data}`).toBeNull()
  })

  it('reads a finished run whose output fields are missing as empty', () => {
    const got = parseRunEvent('finish', JSON.stringify({ ...start('r1'), exitCode: 0, durationMs: 5 }))
    expect(got).toEqual({ type: 'finish', run: run('r1', { durationMs: 5 }) })
  })
})
