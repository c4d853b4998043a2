// End-to-end check of pairpad's /yjs/{roomId} endpoint with real, unmodified y-websocket
// clients: node ywebsocket-test.mjs <baseURL>  (run by server/ywebsocket_node_test.go).
//
// Exits 0 when every check passes, 1 with a message naming the failed check otherwise.
// Edits are drawn from a seeded PRNG (YWS_SEED overrides the seed); their interleaving
// over the network is not deterministic, which is the point of the concurrency check.

import assert from 'node:assert/strict'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import WebSocket from 'ws'

const baseURL = (process.argv[2] || '').replace(/\/+$/, '')
if (!/^https?:\/\//.test(baseURL)) {
  console.error('usage: node ywebsocket-test.mjs <http://host:port>')
  process.exit(2)
}
const wsBase = baseURL.replace(/^http/, 'ws') + '/yjs'
const SEED = Number(process.env.YWS_SEED ?? 0x5eed1)
const EDIT_MS = 3000

// A whole-run watchdog: a hang is a failure with a message, not a silent timeout.
const watchdog = setTimeout(() => fail(new Error('timed out after 40 s')), 40000)

function fail (err) {
  console.error(`FAIL: ${err && err.stack ? err.stack : err}`)
  process.exit(1)
}

const log = (...a) => console.log(...a)
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** Polls cond every 20 ms until it holds; throws with what and describe() after timeoutMs. */
async function waitFor (what, cond, timeoutMs = 5000, describe = () => '') {
  const deadline = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${describe() ? ': ' + describe() : ''}`)
    await sleep(20)
  }
}

/** xorshift32, seeded through splitmix32 so that nearby seeds give unrelated streams. */
function prng (seed) {
  let z = (seed + 0x9e3779b9) | 0
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
  let x = (z ^ (z >>> 16)) || 1
  const next = () => {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5
    return (x >>> 0) / 0x100000000
  }
  return {
    float: next,
    int: (n) => Math.floor(next() * n), // [0, n)
    pick: (arr) => arr[Math.floor(next() * arr.length)]
  }
}

// Counts the sockets y-websocket opens, to see whether it reconnects.
let socketsOpened = 0
class CountingWebSocket extends WebSocket {
  constructor (...args) {
    super(...args)
    socketsOpened++
  }
}

const clients = []

/** A fresh doc with a provider on room; disableBc: providers in one process must talk only through the server. */
function newClient (name, room) {
  const doc = new Y.Doc()
  const provider = new WebsocketProvider(wsBase, room, doc, { WebSocketPolyfill: CountingWebSocket, disableBc: true })
  const c = { name, doc, provider, text: doc.getText('code'), meta: doc.getMap('meta'), destroyed: false }
  c.closes = []
  provider.on('connection-close', (ev) => c.closes.push(ev ? ev.code : null))
  clients.push(c)
  return c
}

function destroyClient (c) {
  if (c.destroyed) return
  c.destroyed = true
  c.provider.destroy()
  c.doc.destroy() // also destroys the awareness and its interval
}

async function waitSynced (c) {
  await waitFor(`${c.name} to sync`, () => c.provider.synced, 5000,
    () => `wsconnected=${c.provider.wsconnected} closes=${JSON.stringify(c.closes)}`)
}

async function api (method, path, body, token) {
  const headers = body ? { 'Content-Type': 'application/json' } : {}
  if (token) headers.Authorization = `Bearer ${token}`
  const res = await fetch(baseURL + path, { method, headers, body: body ? JSON.stringify(body) : undefined })
  const text = await res.text()
  let json
  try { json = JSON.parse(text) } catch { throw new Error(`${method} ${path}: ${res.status} body is not JSON: ${text}`) }
  return { status: res.status, json }
}

const isHigh = (u) => u >= 0xd800 && u <= 0xdbff
const isLow = (u) => u >= 0xdc00 && u <= 0xdfff
/** Moves pos off the middle of a surrogate pair (down, or up when up is set). */
function boundary (s, pos, up = false) {
  if (pos > 0 && pos < s.length && isHigh(s.charCodeAt(pos - 1)) && isLow(s.charCodeAt(pos))) return up ? pos + 1 : pos - 1
  return pos
}

const PIECES = ['a', 'x', 'let ', 'foo', '()', '{}', ';', ' ', '\n', '\t', 'é', 'ü', 'Ω', 'ß', '日本', '語', '€', '—',
  '😀', '🚀', '👍🏽', '👨‍👩‍👧', '𝔘', 'a😀b', 'ö\n']

/** One random local edit on c's text: mostly inserts, deletes of 1-6 code units on code point boundaries. */
function randomEdit (c, rnd) {
  const s = c.text.toString()
  if (s.length > 0 && rnd.float() < 0.35) {
    const pos = boundary(s, rnd.int(s.length))
    const end = boundary(s, Math.min(s.length, pos + 1 + rnd.int(6)), true)
    if (end > pos) c.text.delete(pos, end - pos)
    return
  }
  let piece = ''
  for (let n = 1 + rnd.int(3); n > 0; n--) piece += rnd.pick(PIECES)
  c.text.insert(boundary(s, rnd.int(s.length + 1)), piece)
}

/** Random edits by c until deadline, sometimes several in one transaction, with small pauses. */
async function editLoop (c, rnd, deadline) {
  let edits = 0
  while (Date.now() < deadline) {
    const n = 1 + rnd.int(3)
    c.doc.transact(() => { for (let i = 0; i < n; i++) randomEdit(c, rnd) })
    edits += n
    await sleep(rnd.int(25))
  }
  return edits
}

const pending = (c) => c.doc.store.pendingStructs !== null || c.doc.store.pendingDs !== null
const sv = (c) => Buffer.from(Y.encodeStateVector(c.doc)).toString('base64')
const awarenessUser = (observer, of) => observer.provider.awareness.getStates().get(of.doc.clientID)?.user

async function main () {
  log(`seed ${SEED}, server ${baseURL}`)

  // --- a room and three clients
  const created = await api('POST', '/rooms', { language: 'javascript' })
  assert.equal(created.status, 201, `POST /rooms: ${JSON.stringify(created.json)}`)
  const { roomId, code: starter } = created.json
  assert.equal(typeof roomId, 'string')
  assert.equal(created.json.language, 'javascript')
  assert.ok(starter.length > 0, 'the javascript starter code is empty')

  const [c1, c2, c3] = ['client1', 'client2', 'client3'].map((n) => newClient(n, roomId))
  for (const c of [c1, c2, c3]) {
    await waitSynced(c)
    assert.equal(c.text.toString(), starter, `${c.name}: text after sync differs from the starter code`)
    assert.equal(c.meta.get('language'), 'javascript', `${c.name}: meta.language after sync`)
  }
  log('3 clients synced with the starter code')

  // --- concurrent random edits; client3 goes offline for a while and catches up on reconnect
  const deadline = Date.now() + EDIT_MS
  const offline = (async () => {
    await sleep(EDIT_MS / 3)
    c3.provider.disconnect()
    await sleep(EDIT_MS / 3)
    c3.provider.connect()
  })()
  const counts = await Promise.all([c1, c2, c3].map((c, i) => editLoop(c, prng(SEED * 31 + i), deadline)))
  await offline
  log(`edits: ${counts.join(', ')} (client3 offline for ${EDIT_MS / 3} ms of them)`)

  const three = [c1, c2, c3]
  await waitFor('the three texts to converge', () =>
    three.every((c) => c.provider.synced && !pending(c) && c.provider.ws?.bufferedAmount === 0) &&
    three.every((c) => c.text.toString() === c1.text.toString() && sv(c) === sv(c1)),
  10000, () => three.map((c) => `${c.name}: synced=${c.provider.synced} pending=${pending(c)} len=${c.text.length} sv=${sv(c)}`).join('; '))
  const final = c1.text.toString()
  assert.notEqual(final, starter, 'the edits changed nothing')
  log(`converged: ${final.length} UTF-16 units, state vector ${sv(c1)}`)

  // --- the server's own copy
  const got = await api('GET', `/rooms/${encodeURIComponent(roomId)}`)
  assert.equal(got.status, 200, `GET /rooms/{id}: ${JSON.stringify(got.json)}`)
  assert.equal(got.json.code, final, 'GET /rooms/{id} code differs from the clients\' text')
  assert.equal(got.json.language, 'javascript')

  // --- awareness: a state set by client1 reaches the others
  c1.provider.awareness.setLocalStateField('user', { name: 'alice' })
  for (const c of [c2, c3]) {
    await waitFor(`${c.name} to see alice`, () => awarenessUser(c, c1)?.name === 'alice')
  }

  // --- a fourth client joins: the document and the awareness states present are sent to it
  const c4 = newClient('client4', roomId)
  await waitSynced(c4)
  assert.equal(c4.text.toString(), final, 'client4 text after sync')
  assert.equal(sv(c4), sv(c1), 'client4 state vector after sync')
  await waitFor('client4 to see alice (sent on join)', () => awarenessUser(c4, c1)?.name === 'alice')
  c4.text.insert(0, '// joined late 🙂\n')
  await waitFor('client4\'s edit to reach client1-3', () => three.every((c) => c.text.toString() === c4.text.toString()))
  log('client4 synced, sees alice, and its edit reached the others')

  // --- client1 leaves (destroy): the others drop its state
  destroyClient(c1)
  for (const c of [c2, c3, c4]) {
    await waitFor(`${c.name} to drop alice after client1.destroy()`, () => !c.provider.awareness.getStates().has(c1.doc.clientID))
  }
  log('alice removed after client1.destroy()')

  // --- client2's socket dies without a goodbye: only the server can tell the others
  c2.provider.awareness.setLocalStateField('user', { name: 'bob' })
  for (const c of [c3, c4]) {
    await waitFor(`${c.name} to see bob`, () => awarenessUser(c, c2)?.name === 'bob')
  }
  c2.provider.shouldConnect = false // no reconnect (it would announce bob again)
  c2.provider.ws.terminate() // TCP close, no close frame, no null awareness state from the client
  for (const c of [c3, c4]) {
    await waitFor(`${c.name} to drop bob after client2's connection died (the server must broadcast a null state)`,
      () => !c.provider.awareness.getStates().has(c2.doc.clientID), 5000,
      () => JSON.stringify([...c.provider.awareness.getStates()]))
  }
  log('bob removed by the server after client2\'s connection dropped')

  // --- an unknown room: closed with a permanent code, no retry
  const before = socketsOpened
  const ghost = newClient('ghost', 'no-such-room-' + SEED)
  let closed = null
  ghost.provider.on('closed', (ev) => { closed = ev })
  await waitFor('the unknown room\'s connection to be closed', () => ghost.closes.length > 0, 5000)
  const code = ghost.closes[0]
  assert.ok(code >= 4400 && code <= 4499, `unknown room closed with ${code}, want 4400-4499`)
  await sleep(2000)
  assert.ok(closed !== null && closed.code === code, `y-websocket did not emit 'closed' for close code ${code}`)
  assert.equal(ghost.provider.shouldConnect, false, 'y-websocket still wants to connect to the unknown room')
  assert.equal(ghost.provider.wsconnected, false, 'provider of the unknown room is connected')
  assert.equal(ghost.provider.synced, false, 'provider of the unknown room is synced')
  assert.equal(socketsOpened - before, 1, `y-websocket opened ${socketsOpened - before} sockets to the unknown room in 2 s, want 1`)
  assert.deepEqual(ghost.closes, [code], 'unknown room: more than one connection closed')
  log(`unknown room: closed with ${code} (${closed.reason}), no reconnect in 2 s`)

  // --- sockets to the live room were never closed by the server along the way
  for (const c of [c3, c4]) {
    assert.ok(c.closes.every((x) => x === null), `${c.name}: the server closed its connection: ${JSON.stringify(c.closes)}`)
  }

  await access()
}

// The server's awareness client id: its state says whether the room is locked.
const SERVER_CLIENT = 2 ** 53 - 1
const lockedState = (c) => c.provider.awareness.getStates().get(SERVER_CLIENT)?.room?.locked === true

/**
 * Access by capability links: a viewer (the view link) reads live and its edits are refused
 * with permission denied; a lock makes the editor a viewer too, and tells it; a replaced view
 * link closes its socket with 4410, which y-websocket does not retry.
 */
async function access () {
  const denied = []
  const warn = console.warn
  console.warn = (...a) => { const s = a.join(' '); if (/Permission denied/.test(s)) denied.push(s); else warn(...a) }

  const created = await api('POST', '/rooms', { language: 'go' })
  assert.equal(created.status, 201)
  const { roomId, viewId, ownerToken, code: starter } = created.json
  assert.ok(viewId && ownerToken && viewId !== roomId, `POST /rooms: ${JSON.stringify(created.json)}`)
  const editor = newClient('editor', roomId)
  const viewer = newClient('viewer', viewId)
  await waitSynced(editor)
  await waitSynced(viewer)
  assert.equal(viewer.text.toString(), starter, 'the viewer\'s text after sync')

  editor.text.insert(0, 'live ')
  await waitFor('the viewer to see the editor\'s edit', () => viewer.text.toString() === 'live ' + starter)
  viewer.text.insert(0, 'refused ')
  await waitFor('the viewer to be told its edit was refused', () => denied.some((d) => d.includes(viewId) && /view only/.test(d)),
    5000, () => JSON.stringify(denied))
  editor.text.insert(0, '!')
  // The viewer keeps its refused edit in its own document: the editor's lands beside it.
  await waitFor('the editor\'s next edit to reach the viewer', () => viewer.text.toString().includes('!'))
  assert.equal(editor.text.toString(), '!live ' + starter, 'the viewer\'s edit reached the editor')
  assert.equal((await api('GET', `/rooms/${roomId}`)).json.code, '!live ' + starter, 'the viewer\'s edit reached the server')
  log('a viewer reads live; its edit was refused with permission denied and reached nobody')

  const lock = await api('PATCH', `/rooms/${roomId}`, { locked: true }, ownerToken)
  assert.equal(lock.status, 200, `lock: ${JSON.stringify(lock.json)}`)
  await waitFor('the editor to be told the room is locked', () => lockedState(editor), 5000,
    () => JSON.stringify([...editor.provider.awareness.getStates()]) + ' meta ' + JSON.stringify([...editor.provider.awareness.meta]))
  editor.text.insert(0, 'locked ')
  await waitFor('the editor to be told its edit was refused', () => denied.some((d) => d.includes(roomId) && /the room is locked/.test(d)),
    5000, () => JSON.stringify(denied))
  assert.equal((await api('GET', `/rooms/${roomId}`)).json.code, '!live ' + starter, 'an edit reached the locked room')
  assert.equal((await api('PATCH', `/rooms/${roomId}`, { locked: false }, ownerToken)).status, 200)
  await waitFor('the editor to be told the room is unlocked', () => !lockedState(editor))
  log('locked: the editor was told, and its edit was refused; unlocked')

  const before = socketsOpened
  let closed = null
  viewer.provider.on('closed', (ev) => { closed = ev })
  const rotated = await api('POST', `/rooms/${roomId}/links/rotate`, { role: 'viewer' }, ownerToken)
  assert.equal(rotated.status, 200, `rotate: ${JSON.stringify(rotated.json)}`)
  await waitFor('the old view link\'s socket to be closed', () => closed !== null)
  assert.equal(closed.code, 4410, `closed with ${closed.code}, want 4410`)
  await sleep(1000)
  assert.equal(socketsOpened, before, `y-websocket reconnected with the replaced link: closes ${JSON.stringify([editor.closes, viewer.closes])}`)
  assert.equal((await api('GET', `/rooms/${viewId}`)).status, 404, 'the replaced view link still finds the room')
  console.warn = warn
  log('a replaced view link: its socket closed with 4410, no reconnect, and REST answers 404')
}

main().then(() => {
  for (const c of clients) destroyClient(c)
  clearTimeout(watchdog)
  // Nothing should keep node alive now; if something does, that is a failure too.
  setTimeout(() => fail(new Error('node did not exit: handles left open after cleanup')), 5000).unref()
  log('PASS')
}, fail)
