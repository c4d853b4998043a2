// history drives two headless Chromium users through a room's history on a running pairpad
// server that serves this app (BASE): A types two bursts with a pause between (a version ends
// after a pause of 3 s), opens the history panel, plays the editing back, and restores the first
// version, which B sees arrive live. It exits non-zero on the first failure.
// Usage: BASE=http://127.0.0.1:8000 node e2e/history.mjs
import assert from 'node:assert/strict'
import { base, createRoom, launch, openAs, shot, step, textOf, waitText } from './browser.mjs'

const browser = await launch()
const errors = []
const pause = (ms) => new Promise((r) => setTimeout(r, ms))

const open = (url, name) => openAs(browser, url, name, errors, { acceptDownloads: true })
const typeAtEnd = async (page, text) => {
  await page.click('.cm-content')
  await page.keyboard.press('Control+End')
  await page.keyboard.type(text, { delay: 20 })
}
// viewText returns the text of the history panel's view (testId version-code or playback-code).
const viewText = (page, testId) =>
  page.evaluate((id) => [...document.querySelectorAll(`[data-testid=${id}] .cm-line`)].map((l) => l.textContent).join('\n'), testId)

const first = 'first = 1\n'
const second = 'second = 2\n'

try {
  const a = await open(base + '/', 'Alice')
  const roomId = await createRoom(a, 'python')
  const b = await open(a.url(), 'Bob')
  await b.waitForSelector('[data-state=connected]')

  await typeAtEnd(a, first)
  await pause(4000)
  await typeAtEnd(a, second)
  await waitText(b, 'second = 2')
  step('A types two bursts 4 s apart')

  // The panel lists both bursts as versions by Alice.
  await a.click('[data-testid=history-button]')
  await a.waitForSelector('[data-testid=history]')
  await a.waitForFunction(
    () => [...document.querySelectorAll('[data-testid=version] [data-testid=version-authors]')].filter((e) => e.textContent.includes('Alice')).length >= 2,
    null,
    { timeout: 5000 },
  )
  const sizes = await a.$$eval('[data-testid=version-size]', (els) => els.map((e) => e.textContent))
  assert.deepEqual(sizes.slice(0, 2), [`+${second.length}`, `+${first.length}`])
  await shot(a, 'history-list')
  step('the history lists two versions by Alice')

  // Playback, where the server has it: from the start, through the first burst to the second.
  const probe = await fetch(`${base}/rooms/${roomId}/history/0/updates?limit=1`)
  const playable = probe.ok && (probe.headers.get('content-type') ?? '').includes('json')
  if (playable) {
    // At 1x the typing replays at its pace, with the 4 s pause cut to 1 s.
    await a.click('[data-testid=play]')
    await a.waitForSelector('[data-testid=playback-code]')
    const started = Date.now()
    const seen = []
    for (let i = 0; i < 1000; i++) {
      const t = await viewText(a, 'playback-code')
      if (seen[seen.length - 1] !== t) seen.push(t)
      if ((await a.getAttribute('[data-testid=play]', 'data-playing')) === 'false') break
      await pause(5)
    }
    const took = Date.now() - started
    const last = await viewText(a, 'playback-code')
    if (seen[seen.length - 1] !== last) seen.push(last)
    const typed = seen.map((t) => t.replace(/^# Write your Python code here\n\n/, ''))
    assert.ok(typed.includes('first = 1\n'), `playback shows the first burst alone: ${JSON.stringify(typed)}`)
    assert.equal(typed[typed.length - 1], first + second, 'playback ends at the code as typed')
    assert.ok(typed.length >= 6, `playback goes keystroke by keystroke: ${JSON.stringify(typed)}`)
    for (let i = 1; i < typed.length; i++) assert.ok(typed[i].startsWith(typed[i - 1]) || typed[i - 1] === '', `playback types forward: ${JSON.stringify(typed)}`)
    // Cutting the 4 s pause to 1 s makes the replay at least 3 s shorter than the recording.
    const { updates } = await (await fetch(`${base}/rooms/${roomId}/history/0/updates`)).json()
    const recorded = Date.parse(updates[updates.length - 1].at) - Date.parse(updates[0].at)
    assert.ok(took < recorded - 2000, `playback cuts the 4 s pause (it took ${took} ms, the typing ${recorded} ms)`)
    await shot(a, 'history-playback')
    step(`playback replays the typing keystroke by keystroke (${typed.length} states seen in ${took} ms)`)

    // The slider moved to the end of the first version shows the text then.
    const firstEnd = await a.getAttribute('[data-testid=version] >> nth=1', 'data-seq')
    await a.locator('[data-testid=playback-slider]').fill(firstEnd)
    await a.waitForFunction(
      () => {
        const t = [...document.querySelectorAll('[data-testid=playback-code] .cm-line')].map((l) => l.textContent).join('\n')
        return t.includes('first = 1') && !t.includes('second')
      },
      null,
      { timeout: 5000 },
    )
    step('the slider seeks to the first version')
  } else {
    step('skipped playback: the server has no playback endpoint')
  }

  // The first version, against the current code, and downloaded.
  const older = a.locator('[data-testid=version]').nth(1)
  await older.click()
  await a.waitForSelector('[data-testid=version-code] .cm-line')
  const version = await viewText(a, 'version-code')
  assert.ok(version.includes('first = 1') && !version.includes('second'), `the first version's text: ${version}`)
  await a.click('[data-testid=toggle-changes]')
  await a.waitForFunction(() => [...document.querySelectorAll('[data-testid=version-code] [data-diff=removed]')].some((l) => l.textContent.includes('second = 2')), null, { timeout: 5000 })
  const [file] = await Promise.all([a.waitForEvent('download'), a.click('[data-testid=download-version]')])
  assert.match(file.suggestedFilename(), /-v\d+\.py$/)
  await shot(a, 'history-version')
  step('the first version shows its text and its changes, and downloads')

  // Restore it: B's editor changes to it live.
  await a.click('[data-testid=restore]')
  await a.click('[data-testid=confirm-restore]')
  await b.waitForFunction(() => !document.querySelector('.cm-content').textContent.includes('second = 2'), null, { timeout: 5000 })
  assert.ok((await textOf(b)).includes('first = 1'))
  await a.waitForFunction(() => !document.querySelector('.cm-content').textContent.includes('second = 2'), null, { timeout: 5000 })
  assert.equal((await (await fetch(`${base}/rooms/${roomId}`)).json()).code.includes('second'), false)
  await a.waitForSelector('[data-testid=version-restore]', { timeout: 5000 })
  await shot(b, 'history-restored')
  step('A restores the first version and B sees it live')

  // A viewer has no history.
  await a.click('[data-testid=share]')
  const viewLink = await a.inputValue('[data-testid=view-link]')
  await a.keyboard.press('Escape')
  const viewer = await open(viewLink, 'Vic')
  await viewer.waitForSelector('[data-state=connected]')
  await waitText(viewer, 'first = 1')
  assert.equal(await viewer.locator('[data-testid=history-button]').count(), 0)
  assert.equal((await fetch(`${base}/rooms/${new URL(viewLink).pathname.split('/').pop()}/history`)).status, 403)
  step('a viewer has no history')
  assert.deepEqual(errors, [])
} finally {
  await browser.close()
}
