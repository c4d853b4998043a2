// run drives headless Chromium users through running a room's code (issue 15) on a running
// pairpad server that serves this app (BASE): Alice writes a Python program that prints, reads
// stdin, writes to stderr and exits 3, and runs it; Bob sees its output arrive live, before the
// run ends, then both see the same output, exit status and duration; a viewer sees it too but
// may not run; Ctrl+Enter runs again, the recent runs list both, and Stop ends a long run.
// A server that does not run Python (no bwrap, or running code off) skips it, unless
// REQUIRE_SANDBOX=1 (as in CI): then that is a failure. It exits non-zero on the first failure.
// Usage: BASE=http://127.0.0.1:8000 node e2e/run.mjs
import assert from 'node:assert/strict'
import { base, createRoom, launch, openAs, shot, step, textOf } from './browser.mjs'

const languages = await fetch(`${base}/languages`).then((r) => r.json())
if (!languages.some((l) => l.id === 'python' && l.runnable === true)) {
  if (process.env.REQUIRE_SANDBOX === '1') {
    console.error('REQUIRE_SANDBOX=1 but this server does not run Python code')
    process.exit(1)
  }
  step('skipped: this server does not run Python code')
  process.exit(0)
}

const browser = await launch()
const errors = []

const open = (url, name) => openAs(browser, url, name, errors)
// setCode replaces the editor's code with text, inserted at once (typing it would meet the
// editor's auto-closed brackets and indentation).
const setCode = async (page, text) => {
  await page.click('.cm-content')
  await page.keyboard.press('Control+A')
  await page.keyboard.insertText(text)
}
// panel reads the output panel: the run shown, its output by stream, and how it ended.
const panel = (page) =>
  page.evaluate(() => {
    const pre = document.querySelector('[data-testid=run-output]')
    const text = (stream) => [...pre.querySelectorAll(`[data-stream=${stream}]`)].map((s) => s.textContent).join('')
    return {
      state: pre.dataset.state,
      runId: pre.dataset.runId,
      stdout: text('stdout'),
      stderr: text('stderr'),
      exit: document.querySelector('[data-testid=run-exit]')?.textContent ?? null,
      duration: document.querySelector('[data-testid=run-duration]')?.textContent ?? null,
      startedBy: document.querySelector('[data-testid=run-started-by]')?.textContent ?? null,
      recent: document.querySelectorAll('[data-testid=run-item]').length,
    }
  })
const waitFinished = (page, recent) =>
  page.waitForFunction(
    (n) => document.querySelector('[data-testid=run-output]')?.dataset.state === 'finished' && document.querySelectorAll('[data-testid=run-item]').length === n,
    recent,
    { timeout: 20000 },
  )

const program = `import sys,time
print("hello", flush=True)
time.sleep(1)
print(input().upper(), flush=True)
print("oops", file=sys.stderr)
sys.exit(3)
`

try {
  const a = await open(base + '/', 'Alice')
  const roomId = await createRoom(a, 'python')
  const b = await open(a.url(), 'Bob')
  await setCode(a, program)
  await b.waitForFunction(() => document.querySelector('.cm-content').textContent.includes('sys.exit(3)'), null, { timeout: 5000 })
  assert.equal(await textOf(b), program)
  await a.click('[data-testid=stdin-toggle]')
  await a.fill('[data-testid=stdin]', 'world\n')
  step('Alice writes the program and its stdin')

  // Bob sees "hello" while the run is still going, and his Run button says so.
  await a.click('[data-testid=run]')
  await b.waitForFunction(
    () => {
      const pre = document.querySelector('[data-testid=run-output]')
      // Python writes print's text and its newline apart: they may arrive as two chunks.
      return pre.dataset.state === 'live' && pre.textContent.includes('hello\n')
    },
    null,
    { timeout: 10000 },
  )
  const live = await panel(b)
  assert.equal(live.stdout, 'hello\n')
  assert.equal(live.exit, null, 'the run has not ended when hello arrives')
  assert.equal(live.startedBy, 'Alice')
  assert.equal((await b.textContent('[data-testid=run]')).trim(), 'Running…')
  assert.equal(await b.isDisabled('[data-testid=run]'), true)
  assert.equal(await b.locator('[data-testid=stop]').count(), 1)
  await shot(b, 'run-live')
  step('Bob sees the output arrive live')

  await Promise.all([waitFinished(a, 1), waitFinished(b, 1)])
  const [pa, pb] = [await panel(a), await panel(b)]
  assert.deepEqual(pa, pb, 'Alice and Bob see the same run')
  assert.equal(pb.stdout, 'hello\nWORLD\n')
  assert.equal(pb.stderr, 'oops\n')
  assert.equal(pb.exit, 'exited 3')
  assert.match(pb.duration, /^(\d+ ms|\d+\.\d s)$/)
  assert.equal(await b.$eval('[data-stream=stderr]', (e) => getComputedStyle(e).color !== getComputedStyle(document.querySelector('[data-stream=stdout]')).color), true, 'stderr has a colour of its own')
  assert.equal((await a.textContent('[data-testid=run]')).trim(), 'Run')
  await shot(a, 'run-finished')
  step(`both see the same output, "${pb.exit}" in ${pb.duration}`)

  // A viewer sees the run but may not start one.
  const { viewId } = await (await fetch(`${base}/rooms/${roomId}`)).json()
  const viewer = await open(`${base}/r/${viewId}`, 'Vic')
  await waitFinished(viewer, 1)
  const pv = await panel(viewer)
  assert.equal(pv.stdout, pb.stdout)
  assert.equal(pv.stderr, pb.stderr)
  assert.equal(pv.exit, 'exited 3')
  assert.equal(await viewer.isDisabled('[data-testid=run]'), true)
  assert.match(await viewer.getAttribute('[data-testid=run-wrap]', 'title'), /view link/)
  const refused = await fetch(`${base}/rooms/${viewId}/run`, { method: 'POST', body: '{}', headers: { 'Content-Type': 'application/json' } })
  assert.equal(refused.status, 403)
  step('a viewer sees the output, and the Run button is disabled')

  // Ctrl+Enter in the editor runs again, without touching the code.
  await a.click('.cm-content')
  await a.keyboard.press('Control+Enter')
  await b.waitForFunction(() => document.querySelector('[data-testid=run-output]').dataset.state === 'live', null, { timeout: 10000 })
  await Promise.all([waitFinished(a, 2), waitFinished(b, 2), waitFinished(viewer, 2)])
  assert.equal(await textOf(a), program)
  const second = await panel(b)
  assert.notEqual(second.runId, pb.runId)
  assert.equal(second.stdout, 'hello\nWORLD\n')
  step('Ctrl+Enter runs again; the recent runs list two')

  // The older run of the list shows its own output.
  await b.click(`[data-testid=run-item][data-run-id="${pb.runId}"]`)
  await b.waitForFunction((id) => document.querySelector('[data-testid=run-output]').dataset.runId === id, pb.runId, { timeout: 5000 })
  assert.equal((await panel(b)).stdout, 'hello\nWORLD\n')
  assert.equal(await b.getAttribute(`[data-testid=run-item][data-run-id="${pb.runId}"]`, 'aria-pressed'), 'true')
  assert.equal((await panel(a)).runId, second.runId, "Bob's pick is his own")
  step('a run of the list shows its output')

  // Stop ends a long run, for everyone.
  await setCode(a, 'import time\nprint("start", flush=True)\ntime.sleep(60)\n')
  await a.click('[data-testid=run]')
  await b.waitForFunction(() => document.querySelector('[data-testid=run-output]').textContent.includes('start'), null, { timeout: 10000 })
  await b.click('[data-testid=stop]')
  await Promise.all([waitFinished(a, 3), waitFinished(b, 3)])
  const stopped = await panel(a)
  assert.equal(stopped.stdout, 'start\n')
  assert.notEqual(stopped.exit, 'exited 0')
  assert.match(stopped.duration, /^(\d+ ms|\d+\.\d s)$/)
  await shot(a, 'run-stopped')
  step(`Stop ends a long run (${stopped.exit} in ${stopped.duration})`)
  assert.deepEqual(errors, [])
} finally {
  await browser.close()
}
