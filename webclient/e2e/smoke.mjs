// smoke drives two headless Chromium users through a room on a running pairpad server that
// serves this app (BASE, default http://127.0.0.1:8000). It exits non-zero on the first failure.
// Usage: BASE=http://127.0.0.1:8000 npm run e2e   (SHOTS=dir also saves screenshots)
import assert from 'node:assert/strict'
import { base, launch, shot, step, textOf, waitText, watch as watchErrors } from './browser.mjs'

const browser = await launch()

try {
  const a = await (await browser.newContext()).newPage()
  const errors = []
  // An uncaught error, or anything the page's Content-Security-Policy refused, fails the run.
  const watch = (page) => watchErrors(page, errors)
  watch(a)
  await a.goto(base + '/')
  await shot(a, 'home')
  await a.selectOption('select', 'python')
  await a.click('[data-testid=create-room]')
  await a.waitForURL(/\/r\//)
  await a.waitForSelector('.cm-content')
  await a.waitForSelector('[data-state=connected]')
  step('create room')

  const b = await (await browser.newContext()).newPage()
  watch(b)
  await b.goto(a.url())
  await b.waitForSelector('[data-state=connected]')
  await a.click('.cm-content')
  await a.keyboard.press('Control+End')
  await a.keyboard.type('def hello():\n')
  await waitText(b, 'def hello():')
  await b.click('.cm-content')
  await b.keyboard.press('Control+End')
  await b.keyboard.type('x = 1')
  await waitText(a, 'x = 1')
  assert.equal(await a.locator('[data-testid=participants] li').count(), 2)
  await a.waitForSelector('.cm-ySelectionCaret')
  await a.waitForSelector('.cm-ySelectionInfo')
  const colours = () => a.$$eval('[data-testid=participants] li span[style]', (els) => els.map((e) => e.style.backgroundColor))
  await a.waitForFunction(() => {
    const c = [...document.querySelectorAll('[data-testid=participants] li span[style]')].map((e) => e.style.backgroundColor)
    return c.length === 2 && c[0] !== c[1]
  }, null, { timeout: 5000 }).catch(async () => assert.fail(`two people share a colour: ${await colours()}`))
  await shot(a, 'two-users')
  step('two users edit and see each other')

  // Both type at once, then end with identical text, equal to what the server serves.
  const roomId = new URL(a.url()).pathname.split('/').pop()
  await Promise.all([
    (async () => { await a.keyboard.press('Control+End'); await a.keyboard.type('\n# from a: abcdefghij', { delay: 15 }) })(),
    (async () => { await b.keyboard.press('Control+Home'); await b.keyboard.type('# from b: 0123456789\n', { delay: 15 }) })(),
  ])
  await waitText(a, '0123456789')
  await waitText(b, 'abcdefghij')
  const serverCode = async () => (await (await fetch(`${base}/rooms/${roomId}`)).json()).code
  const settle = async () => {
    for (let i = 0; i < 50; i++) {
      const [ta, tb, ts] = [await textOf(a), await textOf(b), await serverCode()]
      if (ta === tb && tb === ts) return ta
      await new Promise((r) => setTimeout(r, 100))
    }
    assert.fail(`texts differ:\n${await textOf(a)}\n---\n${await textOf(b)}\n---\n${await serverCode()}`)
  }
  await settle()
  await shot(b, 'concurrent-typing')
  step('concurrent typing converges, equal to GET /rooms/{id}')

  // A client of the original JSON protocol in the same room sees the code and its edits land.
  const beforeLegacy = await textOf(a)
  const legacy = await a.evaluate(async (url) => {
    const ws = new WebSocket(url)
    const first = await new Promise((resolve, reject) => {
      ws.onmessage = (e) => { const m = JSON.parse(e.data); if (m.type === 'code_update') resolve(m.code) }
      ws.onerror = () => reject(new Error('legacy socket failed'))
    })
    ws.send(JSON.stringify({ type: 'code_update', code: first + '\n# from legacy' }))
    await new Promise((r) => setTimeout(r, 300))
    ws.close()
    return first
  }, `${base.replace(/^http/, 'ws')}/ws/${roomId}`)
  assert.equal(legacy, beforeLegacy, 'the legacy client gets the same code')
  await waitText(b, '# from legacy')
  step('a legacy JSON client sees the code and edits it')

  // A reload restores the text from the server.
  const beforeReload = await settle()
  await b.reload()
  await b.waitForSelector('[data-state=connected]')
  await b.waitForFunction((want) => document.querySelector('.cm-content') && [...document.querySelectorAll('.cm-line')].map((l) => l.textContent).join('\n').includes(want.split('\n').pop()), beforeReload, { timeout: 5000 })
  assert.equal(await textOf(b), beforeReload)
  step('a reload restores the text')

  // Offline edits stay and merge when the connection returns.
  await b.context().setOffline(true)
  await b.waitForSelector('[data-state=offline], [data-state=reconnecting]', { timeout: 10000 })
  await b.click('.cm-content')
  await b.keyboard.press('Control+End')
  await b.keyboard.type('\n# typed offline')
  await a.keyboard.press('Control+Home')
  await a.keyboard.type('# while b was away\n')
  await shot(b, 'offline')
  await b.context().setOffline(false)
  await b.waitForSelector('[data-state=connected]', { timeout: 15000 })
  await waitText(a, '# typed offline')
  await waitText(b, '# while b was away')
  await settle()
  step('offline edits merge when the connection returns')

  await a.keyboard.press('Control+End')
  await a.keyboard.type('\nprint(')
  const ghost = await a.waitForSelector('.cm-ghost-text', { timeout: 5000 })
  assert.equal(await ghost.textContent(), "'Hello, World!'")
  await a.keyboard.type("'He")
  assert.equal(await a.locator('.cm-ghost-text').textContent(), "llo, World!'")
  await b.keyboard.press('Control+Home')
  await b.keyboard.type('# hi\n')
  await waitText(a, '# hi')
  assert.equal(await a.locator('.cm-ghost-text').count(), 1, 'a remote edit elsewhere keeps the suggestion')
  assert.ok(!(await textOf(b)).includes('World'), 'ghost text never reaches the shared document')
  await shot(a, 'room-a')
  await shot(b, 'room-b')
  const before = await textOf(a)
  await a.keyboard.press('Tab')
  assert.ok((await textOf(a)).includes("print('Hello, World!')"))
  await waitText(b, 'Hello, World!')
  await a.keyboard.press('Control+z')
  assert.equal(await textOf(a), before, 'undo removes the accepted suggestion in one step')
  await a.keyboard.press('Control+End')
  await a.keyboard.type('\nprint(')
  await a.waitForSelector('.cm-ghost-text', { timeout: 5000 })
  await a.keyboard.press('Escape')
  assert.equal(await a.locator('.cm-ghost-text').count(), 0)
  step('ghost text')

  await a.click('text=You are')
  await a.fill('input[aria-label="Your name"]', 'Ada')
  await a.keyboard.press('Enter')
  await b.waitForSelector('[data-testid=participants] >> text=Ada', { timeout: 5000 })
  step('rename reaches the other user')

  const [download] = await Promise.all([a.waitForEvent('download'), a.click('[aria-label="Download code"]')])
  assert.match(download.suggestedFilename(), /^pairpad-.+\.py$/)
  step('download')

  const highlightOf = (page) => page.evaluate(() => document.querySelector('.cm-content').innerHTML)
  const pythonHighlight = await highlightOf(b)
  await a.selectOption('header select', 'go')
  await b.waitForFunction(() => document.querySelector('header select').value === 'go', null, { timeout: 5000 })
  await b.waitForFunction((old) => document.querySelector('.cm-content').innerHTML !== old, pythonHighlight, { timeout: 5000 })
  await shot(b, 'language-switched')
  step('language switch re-highlights on the other page')

  await b.goto(base + '/r/no-such-room-here')
  await b.waitForSelector('[data-testid=not-found]', { timeout: 5000 })
  await shot(b, 'unknown-room')
  step('unknown room')
  assert.deepEqual(errors, [])
} finally {
  await browser.close()
}
