// Writes protocol/messages.json and protocol/awareness.json: y-websocket
// messages and awareness updates made by the real yjs, y-protocols and lib0,
// for crdt/protocol's tests. Run with `node protocol-fixtures.mjs`; the output
// is deterministic (fixed client ids, no clocks or randomness reach the bytes)
// and committed.
//
// messages.json: [{name, bytes, type, syncType?, authType?, payload?, reason?}],
//   one y-websocket message each, with the fields a decoder must find.
// awareness.json:
//   updates:  [{name, bytes, entries: [{client, clock, state}]}] where state is
//             the JSON text lib0 wrote.
//   scenario: [{name, update, changes: {added, updated, removed}, states}],
//             applied in order with applyAwarenessUpdate to one Awareness that
//             has no local state, like y-websocket's server; changes is what
//             its 'update' event reported and states is every client it knows
//             afterwards, [{client, clock, state}] with state as JSON.stringify
//             gives it ("null" once removed), ascending by client.
//   remove:   {clients, removed, update}: removeAwarenessStates(clients) after
//             the scenario, the ids it reported, and encodeAwarenessUpdate of
//             those, which y-websocket's server broadcasts.
//   full:     {clients, update}: encodeAwarenessUpdate of every known client
//             after that.
//   invalid:  [{name, update, error}]: updates applyAwarenessUpdate throws on.
import * as Y from 'yjs'
import * as encoding from 'lib0/encoding'
import * as syncProtocol from 'y-protocols/sync'
import * as authProtocol from 'y-protocols/auth'
import * as awarenessProtocol from 'y-protocols/awareness'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const HERE = path.dirname(fileURLToPath(import.meta.url))
const OUT_DIR = path.join(HERE, 'protocol')

// The y-websocket envelope (y-websocket's server and client define these).
const messageSync = 0
const messageAwareness = 1
const messageAuth = 2
const messageQueryAwareness = 3

const b64 = (bytes) => Buffer.from(bytes).toString('base64')

const message = (f) => {
  const e = encoding.createEncoder()
  f(e)
  return encoding.toUint8Array(e)
}

const newDoc = (clientID) => {
  const doc = new Y.Doc()
  doc.clientID = clientID
  return doc
}

// ---------------------------------------------------------------------------
// Messages

const messages = []
const addSync = (name, syncType, write, payload) => messages.push({
  name,
  bytes: b64(message((e) => { encoding.writeVarUint(e, messageSync); write(e) })),
  type: messageSync,
  syncType,
  payload: b64(payload)
})

const empty = newDoc(1)
const doc = newDoc(7)
const updates = []
doc.on('update', (u) => updates.push(u))
doc.getText('text').insert(0, 'hello')
doc.getMap('map').set('answer', 42)
doc.getText('text').insert(5, ' world, ' + 'long '.repeat(40))
doc.getText('text').delete(0, 1)

addSync('sync step 1, empty doc', syncProtocol.messageYjsSyncStep1,
  (e) => syncProtocol.writeSyncStep1(e, empty), Y.encodeStateVector(empty))
addSync('sync step 1', syncProtocol.messageYjsSyncStep1,
  (e) => syncProtocol.writeSyncStep1(e, doc), Y.encodeStateVector(doc))
addSync('sync step 2, empty doc', syncProtocol.messageYjsSyncStep2,
  (e) => syncProtocol.writeSyncStep2(e, empty), Y.encodeStateAsUpdate(empty))
addSync('sync step 2, whole doc (multi-byte length)', syncProtocol.messageYjsSyncStep2,
  (e) => syncProtocol.writeSyncStep2(e, doc), Y.encodeStateAsUpdate(doc))
const partial = newDoc(8)
Y.applyUpdate(partial, updates[0])
const sv = Y.encodeStateVector(partial)
addSync('sync step 2, diff against a state vector', syncProtocol.messageYjsSyncStep2,
  (e) => syncProtocol.writeSyncStep2(e, doc, sv), Y.encodeStateAsUpdate(doc, sv))
updates.forEach((u, i) => addSync(`update ${i}`, syncProtocol.messageYjsUpdate, (e) => syncProtocol.writeUpdate(e, u), u))

const peer = new awarenessProtocol.Awareness(newDoc(3))
peer.setLocalStateField('user', { name: 'Ada', color: '#30bced' })
const peerUpdate = awarenessProtocol.encodeAwarenessUpdate(peer, [3])
peer.destroy()
messages.push({
  name: 'awareness',
  bytes: b64(message((e) => { encoding.writeVarUint(e, messageAwareness); encoding.writeVarUint8Array(e, peerUpdate) })),
  type: messageAwareness,
  payload: b64(peerUpdate)
})
messages.push({
  name: 'query awareness',
  bytes: b64(message((e) => encoding.writeVarUint(e, messageQueryAwareness))),
  type: messageQueryAwareness
})
for (const [name, reason] of [['permission denied', 'room is read-only'], ['permission denied, empty reason', ''], ['permission denied, unicode reason', 'accès refusé 🔒']]) {
  messages.push({
    name,
    bytes: b64(message((e) => { encoding.writeVarUint(e, messageAuth); authProtocol.writePermissionDenied(e, reason) })),
    type: messageAuth,
    authType: authProtocol.messagePermissionDenied,
    reason
  })
}

// ---------------------------------------------------------------------------
// Awareness

/** Writes an awareness update from [client, clock, stateText] entries, as encodeAwarenessUpdate lays it out. */
const craft = (entries) => message((e) => {
  encoding.writeVarUint(e, entries.length)
  for (const [client, clock, state] of entries) {
    encoding.writeVarUint(e, client)
    encoding.writeVarUint(e, clock)
    encoding.writeVarString(e, state)
  }
})

const entriesOf = (entries) => entries.map(([client, clock, state]) => ({ client, clock, state }))

const A = 1
const B = 2 ** 32 - 1 // largest Yjs client id
const C = 2 ** 53 - 1 // largest var-uint lib0 reads exactly
const D = 4

const clientA = new awarenessProtocol.Awareness(newDoc(A))
const clientB = new awarenessProtocol.Awareness(newDoc(B))
const clientC = new awarenessProtocol.Awareness(newDoc(C))
const clientD = new awarenessProtocol.Awareness(newDoc(D))
clientA.setLocalStateField('user', { name: 'Ada', color: '#30bced' })
clientB.setLocalState({ user: { name: 'Bob' }, cursor: { anchor: 1, head: 4 } })
clientB.setLocalStateField('cursor', null)
clientC.setLocalState({ user: { name: 'Cy 😀' } })

// A relay holding B and C, so one update carries two real entries.
const relay = new awarenessProtocol.Awareness(newDoc(100))
relay.setLocalState(null)
awarenessProtocol.applyAwarenessUpdate(relay, awarenessProtocol.encodeAwarenessUpdate(clientB, [B]), 'b')
awarenessProtocol.applyAwarenessUpdate(relay, awarenessProtocol.encodeAwarenessUpdate(clientC, [C]), 'c')

const awarenessUpdates = [
  ['one client', craft([[A, 1, '{"user":{"name":"Ada"}}']]), [[A, 1, '{"user":{"name":"Ada"}}']]],
  ['empty', craft([]), []],
  ['removal', craft([[A, 2, 'null']]), [[A, 2, 'null']]],
  ['large ids and clocks', craft([[B, 2 ** 31, '{}'], [C, C, '"x"'], [0, 0, 'null']]), [[B, 2 ** 31, '{}'], [C, C, '"x"'], [0, 0, 'null']]],
  ['non-object states', craft([[5, 1, '[1,"two",false]'], [6, 1, '0'], [7, 1, 'true']]), [[5, 1, '[1,"two",false]'], [6, 1, '0'], [7, 1, 'true']]]
].map(([name, bytes, entries]) => ({ name, bytes: b64(bytes), entries: entriesOf(entries) }))
awarenessUpdates.push({
  name: 'encodeAwarenessUpdate of a relay',
  bytes: b64(awarenessProtocol.encodeAwarenessUpdate(relay, [B, C])),
  entries: [B, C].map((c) => ({ client: c, clock: relay.meta.get(c).clock, state: JSON.stringify(relay.states.get(c)) }))
})

// The server: an Awareness without a local state, as y-websocket's server sets it up.
const SERVER = 999
const server = new awarenessProtocol.Awareness(newDoc(SERVER))
server.setLocalState(null)
let lastChanges = null
server.on('update', (changes) => { lastChanges = changes })

const snapshot = () => [...server.meta.keys()].filter((c) => c !== SERVER).sort((a, b) => a - b).map((client) => ({
  client,
  clock: server.meta.get(client).clock,
  state: JSON.stringify(server.states.has(client) ? server.states.get(client) : null)
}))

const scenario = []
const step = (name, update) => {
  lastChanges = null
  awarenessProtocol.applyAwarenessUpdate(server, update, 'conn')
  const { added, updated, removed } = lastChanges ?? { added: [], updated: [], removed: [] }
  scenario.push({ name, update: b64(update), changes: { added, updated, removed }, states: snapshot() })
}

const clockOf = (c) => server.meta.get(c).clock
step('client joins', awarenessProtocol.encodeAwarenessUpdate(clientA, [A]))
step('two clients with large ids join through a relay', awarenessProtocol.encodeAwarenessUpdate(relay, [B, C]))
step('a new client at clock 0 is ignored', awarenessProtocol.encodeAwarenessUpdate(clientD, [D]))
step('an equal clock with a state is ignored', craft([[A, clockOf(A), '{"user":"mallory"}']]))
step('an older clock is ignored', craft([[B, clockOf(B) - 1, '{"old":true}']]))
clientA.setLocalState(clientA.getLocalState()) // the renewal awareness.js sends every 15 s
step('a renewal with the same state counts as updated', awarenessProtocol.encodeAwarenessUpdate(clientA, [A]))
step('a null state at the same clock removes', craft([[B, clockOf(B), 'null']]))
step('a second removal at the same clock is ignored', craft([[B, clockOf(B), 'null']]))
step('a newer removal of a removed client is reported again', craft([[B, clockOf(B) + 1, 'null']]))
step('a removed client coming back counts as updated', craft([[B, clockOf(B) + 1, '{"back":true}']]))
step('removing an unknown client only records its clock', craft([[5, 7, 'null']]))
step('a state at that recorded clock is ignored', craft([[5, 7, '{}']]))
step('a known client without a state comes back as updated', craft([[5, 8, '{}']]))
step('the same client twice in one update', craft([[6, 1, '{"n":1}'], [6, 2, '{"n":2}']]))
step('whitespace in the state JSON', craft([[6, 3, ' { "n" : [ 3 , 4 ] } ']]))
step('null with whitespace removes', craft([[6, 3, '\n null\t']]))
step('integer-like keys', craft([[7, 1, '{"b":1,"10":2,"a":{"2":0,"1":1}}']]))
step('non-object states', craft([[8, 1, '[1,"x",false]'], [9, 1, '"just a string"'], [10, 1, '0'], [11, 1, 'false']]))
step('several changes in one update', craft([[8, 2, 'null'], [12, 1, '{"new":1}'], [9, 2, '{"s":"é😀\\n\\u0041"}'], [A, 0, 'null']]))
awarenessProtocol.removeAwarenessStates(clientA, [A], 'local')
step('a client leaving', awarenessProtocol.encodeAwarenessUpdate(clientA, [A]))

// Removal by the server, as y-websocket's server does when a connection closes. It removes
// every state that is not an object: encodeAwarenessUpdate writes `states.get(c) || null`, so
// JavaScript would send the state false of client 11 as null, which crdt/protocol does not copy.
lastChanges = null
const removeClients = [C, 7, 42, 6, 10, 9, 11, 7]
awarenessProtocol.removeAwarenessStates(server, removeClients, null)
const removed = lastChanges.removed
const remove = { clients: removeClients, removed, update: b64(awarenessProtocol.encodeAwarenessUpdate(server, removed)) }

const known = snapshot().map((s) => s.client)
const full = { clients: known, update: b64(awarenessProtocol.encodeAwarenessUpdate(server, known)) }

const valid = craft([[20, 1, '{"ok":true}']])
const invalidUpdates = [
  ['empty input', new Uint8Array()],
  ['invalid JSON after a valid entry', craft([[20, 1, '{"ok":true}'], [21, 1, '{bad']])],
  ['empty state', craft([[20, 1, '']])],
  ['undefined is not JSON', craft([[20, 1, 'undefined']])],
  ['trailing garbage in JSON', craft([[20, 1, '{} {}']])],
  ['single quotes', craft([[20, 1, "{'a':1}"]])],
  // slice copies: lib0 would read past the end of a subarray into the rest of its buffer.
  ['truncated', valid.slice(0, valid.length - 1)],
  ['more clients announced than present', message((e) => { encoding.writeVarUint(e, 3); encoding.writeUint8Array(e, valid.subarray(1)) })],
  ['invalid UTF-8 in the state', message((e) => { encoding.writeVarUint(e, 1); encoding.writeVarUint(e, 20); encoding.writeVarUint(e, 1); encoding.writeVarUint8Array(e, new Uint8Array([0x22, 0xff, 0x22])) })],
  ['clock above 2^53', message((e) => { encoding.writeVarUint(e, 1); encoding.writeVarUint(e, 20); for (let i = 0; i < 8; i++) encoding.write(e, 0xff); encoding.write(e, 1); encoding.writeVarString(e, '{}') })]
]
const invalid = invalidUpdates.map(([name, update]) => {
  const fresh = new awarenessProtocol.Awareness(newDoc(SERVER))
  fresh.setLocalState(null)
  try {
    awarenessProtocol.applyAwarenessUpdate(fresh, update, 'conn')
  } catch (err) {
    return { name, update: b64(update), error: String(err.message) }
  } finally {
    fresh.destroy()
  }
  throw new Error(`${name}: applyAwarenessUpdate accepted it`)
})

for (const a of [clientA, clientB, clientC, clientD, relay, server]) a.destroy()

fs.mkdirSync(OUT_DIR, { recursive: true })
const write = (file, value) => fs.writeFileSync(path.join(OUT_DIR, file), JSON.stringify(value, null, 2) + '\n')
write('messages.json', messages)
write('awareness.json', { updates: awarenessUpdates, scenario, remove, full, invalid })
console.log(`wrote protocol/messages.json (${messages.length} messages) and protocol/awareness.json ` +
  `(${awarenessUpdates.length} updates, ${scenario.length} scenario steps, ${invalid.length} invalid updates)`)
