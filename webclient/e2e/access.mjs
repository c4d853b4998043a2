// access drives headless Chromium users through a room's capability links on a running pairpad
// server that serves this app (BASE): a viewer who watches but cannot type, the owner locking and
// unlocking the room live, the owner link, replaced links, a refused owner token, and deletion.
// It exits non-zero on the first failure. Usage: BASE=http://127.0.0.1:8000 node e2e/access.mjs
import assert from 'node:assert/strict'
import { base, launch, shot, step, textOf, waitText, watch } from './browser.mjs'

const browser = await launch()
const errors = []

const open = async (url, init, setup) => {
  const context = await browser.newContext()
  if (init) await context.addInitScript(init)
  if (setup) await setup(context)
  const page = await context.newPage()
  watch(page, errors)
  await page.goto(url)
  await page.waitForSelector('[data-state=connected]')
  return page
}
const badgeOf = (page) => page.evaluate(() => document.querySelector('[data-testid=role-badge]')?.dataset.role ?? null)
const waitBadge = (page, role) =>
  page.waitForFunction((role) => (document.querySelector('[data-testid=role-badge]')?.dataset.role ?? null) === role, role, { timeout: 5000 })
const editableOf = (page) => page.evaluate(() => document.querySelector('.cm-content').contentEditable)
const roomIdOf = (page) => new URL(page.url()).pathname.split('/').pop()
const serverCode = async (id) => (await (await fetch(`${base}/rooms/${id}`)).json()).code
const typeAtEnd = async (page, text) => {
  await page.click('.cm-content')
  await page.keyboard.press('Control+End')
  await page.keyboard.type(text)
}
const pause = (ms) => new Promise((r) => setTimeout(r, ms))

// settled waits until page shows the server's text, and returns it.
const settled = async (page, roomId) => {
  for (let i = 0; i < 50; i++) {
    const [shown, stored] = [await textOf(page), await serverCode(roomId)]
    if (shown === stored) return shown
    await pause(100)
  }
  assert.fail(`the page never showed the server's text:\n${await textOf(page)}\n---\n${await serverCode(roomId)}`)
}

// refused types into page and checks that nothing changed: on page, on the others, on the server.
const refused = async (page, text, others, roomId) => {
  const before = await settled(page, roomId)
  await page.click('.cm-content').catch(() => {})
  await page.keyboard.press('Control+End')
  await page.keyboard.type(text)
  await page.keyboard.press('Control+z')
  await pause(500)
  assert.equal(await textOf(page), before, 'typing into a read-only editor changes nothing')
  assert.equal(await serverCode(roomId), before, 'typing into a read-only editor changes nothing on the server')
  for (const other of others) assert.ok(!(await textOf(other)).includes(text), 'typing into a read-only editor reaches nobody')
  assert.ok(!(await serverCode(roomId)).includes(text), 'typing into a read-only editor reaches the server')
}

// share opens the share dialog, runs fn with it, and closes it.
const share = async (page, fn) => {
  await page.click('[data-testid=share]')
  await page.waitForSelector('[data-testid=share-dialog]')
  try {
    return await fn()
  } finally {
    if (await page.locator('[data-testid=share-dialog]').count()) await page.keyboard.press('Escape')
  }
}
const linkIn = (page, testId) => page.inputValue(`[data-testid=${testId}]`)

try {
  // The owner creates the room; its share dialog holds both links and the owner's controls.
  const owner = await (await browser.newContext()).newPage()
  watch(owner, errors)
  await owner.goto(base + '/')
  await owner.selectOption('select', 'python')
  await owner.click('[data-testid=create-room]')
  await owner.waitForURL(/\/r\//)
  await owner.waitForSelector('[data-state=connected]')
  const editId = roomIdOf(owner)
  await typeAtEnd(owner, 'owner = 1\n')
  const viewLink = await share(owner, async () => {
    assert.equal(await linkIn(owner, 'edit-link'), owner.url())
    await owner.waitForSelector('[data-testid=owner-controls]')
    await shot(owner, 'access-share-owner')
    return linkIn(owner, 'view-link')
  })
  assert.notEqual(new URL(viewLink).pathname, new URL(owner.url()).pathname)
  assert.equal(await badgeOf(owner), null, 'an editor has no badge')
  step('the owner creates a room and sees both links')

  // (a) A viewer watches the editor type, and cannot type.
  const viewer = await open(viewLink)
  await waitText(viewer, 'owner = 1')
  assert.equal(await badgeOf(viewer), 'viewer')
  assert.equal(await viewer.textContent('[data-testid=role-badge]'), 'View only')
  assert.equal(await editableOf(viewer), 'false')
  await typeAtEnd(owner, 'typed = 2\n')
  await waitText(viewer, 'typed = 2')
  await refused(viewer, 'VIEWER-TYPED', [owner], editId)
  await owner.waitForSelector('[data-testid=participants] li[data-role=viewer]', { timeout: 5000 })
  assert.equal(await viewer.locator('[data-testid=participants] li[data-role=viewer]').count(), 1)
  const viewerShare = await share(viewer, async () => ({
    edit: await viewer.locator('[data-testid=edit-link]').count(),
    view: await linkIn(viewer, 'view-link'),
    owner: await viewer.locator('[data-testid=owner-controls]').count(),
  }))
  assert.deepEqual(viewerShare, { edit: 0, view: viewLink, owner: 0 }, 'a viewer sees only its own link')
  await shot(viewer, 'access-viewer')
  step('a viewer sees the editor type live, cannot type, and is listed as a viewer')

  // (b) The owner locks the room: the editor's page turns read-only without a reload. Its socket
  // goes through a route that can drop the connection, as a network would.
  const sockets = []
  const editor = await open(owner.url(), undefined, (context) =>
    context.routeWebSocket(/\/yjs\//, (ws) => sockets.push({ page: ws, server: ws.connectToServer() })))
  await typeAtEnd(editor, 'editor = 3\n')
  await waitText(owner, 'editor = 3')
  await typeAtEnd(editor, 'print(')
  await editor.waitForSelector('.cm-ghost-text', { timeout: 5000 })
  await editor.evaluate(() => (window.samePage = true))
  await share(owner, () => owner.click('[data-testid=lock-toggle]'))
  await waitBadge(editor, 'locked')
  await editor.waitForFunction(() => !document.querySelector('.cm-ghost-text'), null, { timeout: 5000 })
  await waitBadge(owner, 'locked')
  await waitBadge(viewer, 'locked')
  assert.equal(await editor.textContent('[data-testid=role-badge]'), 'Locked')
  assert.equal(await editableOf(editor), 'false')
  assert.ok(await editor.evaluate(() => window.samePage === true), 'the page was not reloaded')
  assert.equal((await (await fetch(`${base}/rooms/${editId}`)).json()).locked, true)
  await refused(editor, 'WHILE-LOCKED', [owner, viewer], editId)
  assert.equal(await owner.locator('[data-testid=participants] li').count(), 3, "the server's awareness state is nobody")
  await shot(editor, 'access-locked')
  step('the owner locks the room: the editor is read-only live, with the Locked badge and no suggestion')

  // The connection drops and comes back: the room is still locked for the editor.
  const dropped = sockets.length
  await sockets[dropped - 1].page.close({ code: 4000, reason: 'dropped by the test' })
  await sockets[dropped - 1].server.close()
  for (let i = 0; i < 100 && sockets.length === dropped; i++) await pause(100)
  assert.equal(sockets.length, dropped + 1, 'the editor reconnected')
  await editor.waitForSelector('[data-state=connected]', { timeout: 10000 })
  await pause(500)
  assert.equal(await badgeOf(editor), 'locked')
  await refused(editor, 'LOCKED-AFTER-RECONNECT', [owner, viewer], editId)
  step('after a reconnect the room is still locked')

  // The owner unlocks: the editor types again and the owner sees it.
  await share(owner, () => owner.click('[data-testid=lock-toggle][data-locked=true]'))
  await editor.waitForFunction(() => !document.querySelector('[data-testid=role-badge]'), null, { timeout: 5000 })
  await waitBadge(viewer, 'viewer')
  assert.equal(await editableOf(editor), 'true')
  await typeAtEnd(editor, 'unlocked = 4\n')
  await waitText(owner, 'unlocked = 4')
  await waitText(viewer, 'unlocked = 4')
  step('the owner unlocks: the editor types again and the owner sees it')

  // The owner link carries the owner role to another browser and leaves the address bar.
  const ownerLink = await share(owner, () => linkIn(owner, 'owner-link'))
  assert.match(ownerLink, /#owner=/)
  const second = await open(ownerLink)
  assert.equal(new URL(second.url()).hash, '', 'the token leaves the address bar')
  await share(second, () => second.waitForSelector('[data-testid=owner-controls]', { timeout: 5000 }))
  step('an owner link makes another browser the owner')

  // A token the server refuses is dropped.
  const forged = await open(owner.url(), `localStorage.setItem('pairpad.owners', ${JSON.stringify(JSON.stringify({ [editId]: 'not-the-token' }))})`)
  await share(forged, async () => {
    await forged.waitForFunction((id) => !(id in JSON.parse(localStorage.getItem('pairpad.owners') ?? '{}')), editId, { timeout: 5000 })
    assert.equal(await forged.locator('[data-testid=owner-controls]').count(), 0)
  })
  step('a refused owner token is dropped')

  // A new view link: the viewer's page says its link was replaced.
  const newViewLink = await share(owner, async () => {
    await owner.click('[data-testid=rotate-view]')
    await owner.waitForFunction((old) => document.querySelector('[data-testid=view-link]').value !== old, viewLink, { timeout: 5000 })
    return linkIn(owner, 'view-link')
  })
  await viewer.waitForSelector('[data-testid=link-replaced]', { timeout: 5000 })
  await shot(viewer, 'access-link-replaced')
  step('a new view link replaces the old one at once')

  // A new edit link: the owner's page moves to it and keeps working; the other editors' pages end.
  await share(owner, () => owner.click('[data-testid=rotate-edit]'))
  await owner.waitForURL((url) => !url.pathname.endsWith('/' + editId), { timeout: 5000 })
  const newEditId = roomIdOf(owner)
  await owner.waitForSelector('[data-state=connected]')
  await editor.waitForSelector('[data-testid=link-replaced]', { timeout: 5000 })
  await second.waitForSelector('[data-testid=link-replaced]', { timeout: 5000 })
  const tokens = await owner.evaluate(() => JSON.parse(localStorage.getItem('pairpad.owners')))
  assert.ok(tokens[newEditId] && !tokens[editId], 'the owner token moved to the new edit link')
  const viewer2 = await open(newViewLink)
  await typeAtEnd(owner, 'rotated = 5\n')
  await waitText(viewer2, 'rotated = 5')
  await share(owner, () => owner.waitForSelector('[data-testid=owner-controls]', { timeout: 5000 }))
  step('a new edit link: the owner moves to it, the old one is replaced')

  // The owner deletes the room: home for the owner, not found for everyone else.
  await share(owner, async () => {
    await owner.click('[data-testid=delete-room]')
    await owner.click('[data-testid=confirm-delete]')
  })
  await owner.waitForURL(base + '/', { timeout: 5000 })
  await viewer2.waitForSelector('[data-testid=not-found]', { timeout: 5000 })
  assert.equal((await fetch(`${base}/rooms/${newEditId}`)).status, 404)
  step('the owner deletes the room')
  assert.deepEqual(errors, [])
} finally {
  await browser.close()
}
