// Self-check of the fixtures against the installed yjs: `node check.mjs`.
//
// For every scenario: replays its updates the way apply.mjs does and compares
// json/stateVector/state/pending; checks that applying `state` and `merged`
// to fresh docs gives the same json; recomputes stateDiffs, merged,
// mergedStateVector and diffs. A few scenarios per category (all of them with
// --spawn-all) also go through apply.mjs as a subprocess.
import * as Y from 'yjs'
import fs from 'node:fs'
import path from 'node:path'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { receive, describe, rootsJSON, hasPending, fromBase64, toBase64, ROOT_KINDS } from './common.mjs'

const HERE = path.dirname(fileURLToPath(import.meta.url))
const DIR = path.join(HERE, 'fixtures')
const spawnAll = process.argv.includes('--spawn-all')

const FIELDS = ['name', 'description', 'gc', 'roots', 'updates', 'json', 'stateVector', 'state', 'stateDiffs', 'merged', 'mergedStateVector', 'diffs', 'pending']

/** JSON text with object keys sorted (the Go side compares maps without order). */
const canon = (v) => {
  if (Array.isArray(v)) return '[' + v.map(canon).join(',') + ']'
  if (v !== null && typeof v === 'object') {
    return '{' + Object.keys(v).sort().map(k => JSON.stringify(k) + ':' + canon(v[k])).join(',') + '}'
  }
  return JSON.stringify(v)
}

const failures = []
const names = new Set()
let total = 0
let bytes = 0
let spawned = 0
const stats = { pending: 0, gcOff: 0, withSkip: 0 }
const stalePending = new Set()

const checkScenario = (file, s, spawn) => {
  const fail = (msg) => failures.push(`${file} ${s.name ?? '?'}: ${msg}`)
  for (const f of FIELDS) if (!(f in s)) return fail(`missing field ${f}`)
  if (names.has(s.name)) fail('duplicate name')
  names.add(s.name)
  for (const [name, kind] of Object.entries(s.roots)) {
    if (!(kind in ROOT_KINDS)) fail(`root ${name} has unknown kind ${kind}`)
  }
  const updates = s.updates.map(fromBase64)

  // 1. the receiver, exactly as apply.mjs builds it
  const doc = receive(s.gc, s.roots, updates)
  const got = describe(doc, s.roots)
  if (canon(got.json) !== canon(s.json)) fail(`json: got ${canon(got.json)}, fixture ${canon(s.json)}`)
  if (got.stateVector !== s.stateVector) fail('stateVector differs')
  if (got.state !== s.state) fail('state differs')
  if (got.pending !== s.pending) fail(`pending: got ${got.pending}`)
  if (got.pending !== hasPending(doc)) fail('pending inconsistent')
  for (const key of doc.share.keys()) if (!(key in s.roots)) fail(`root ${key} not declared`)
  s.stateDiffs.forEach((d, i) => {
    const u = toBase64(Y.encodeStateAsUpdate(doc, fromBase64(d.stateVector)))
    if (u !== d.update) fail(`stateDiffs[${i}] differs`)
  })

  // 2. the full state applied to a fresh doc gives the same json
  // Exception: yjs retries pending structs only when a recorded "missing"
  // clock gets covered, and that bookkeeping can leave applicable structs
  // pending; a fresh doc then integrates more from `state` (or `merged`) than
  // the receiver did. We accept that only if re-feeding the receiver its own
  // state reaches the same json.
  const fromState = receive(s.gc, s.roots, [fromBase64(s.state)])
  const sameOrStale = (other, what) => {
    const j = canon(rootsJSON(other, s.roots))
    if (j === canon(s.json)) return
    if (s.pending) {
      const again = receive(s.gc, s.roots, updates)
      Y.applyUpdate(again, Y.encodeStateAsUpdate(again))
      if (canon(rootsJSON(again, s.roots)) === j) {
        stalePending.add(s.name)
        return
      }
    }
    fail(`json of ${what} differs`)
  }
  sameOrStale(fromState, 'state')
  if (hasPending(fromState) !== s.pending && !stalePending.has(s.name)) fail('pending of state differs')

  // 3. merged updates
  const merged = Y.mergeUpdates(updates)
  if (toBase64(merged) !== s.merged) fail('merged differs')
  if (toBase64(Y.encodeStateVectorFromUpdate(merged)) !== s.mergedStateVector) fail('mergedStateVector differs')
  s.diffs.forEach((d, i) => {
    if (toBase64(Y.diffUpdate(merged, fromBase64(d.stateVector))) !== d.update) fail(`diffs[${i}] differs`)
  })
  if (s.stateDiffs.map(d => d.stateVector).join() !== s.diffs.map(d => d.stateVector).join()) fail('stateDiffs and diffs use different state vectors')
  const fromMerged = receive(s.gc, s.roots, [fromBase64(s.merged)])
  sameOrStale(fromMerged, 'merged')
  // each diff applied on top of a doc at its state vector is not checked: the
  // svs come from peers whose docs are not part of the fixture.

  // 4. the apply.mjs command line
  if (spawn) {
    spawned++
    const r = spawnSync(process.execPath, [path.join(HERE, 'apply.mjs')], {
      input: JSON.stringify({ gc: s.gc, roots: s.roots, updates: s.updates }),
      encoding: 'utf8'
    })
    if (r.status !== 0) {
      fail(`apply.mjs exited ${r.status}: ${r.stderr}`)
    } else {
      const out = JSON.parse(r.stdout)
      if (canon(out.json) !== canon(s.json) || out.stateVector !== s.stateVector || out.state !== s.state || out.pending !== s.pending) {
        fail('apply.mjs output differs')
      }
    }
  }

  if (s.pending) stats.pending++
  if (!s.gc) stats.gcOff++
  if (hasSkip(updates)) stats.withSkip++
}

/** Whether any input update contains a Skip struct (info byte 10). */
const hasSkip = (updates) => updates.some(u => {
  const { structs } = Y.decodeUpdate(u)
  return structs.some(st => st.constructor === Y.Skip)
})

const files = fs.readdirSync(DIR).filter(f => f.endsWith('.json')).sort()
if (files.length === 0) {
  console.error('no fixtures; run `node generate.mjs` first')
  process.exit(1)
}
for (const file of files) {
  const text = fs.readFileSync(path.join(DIR, file), 'utf8')
  bytes += Buffer.byteLength(text)
  const list = JSON.parse(text)
  list.forEach((s, i) => {
    try {
      checkScenario(file, s, spawnAll || i < 2)
    } catch (e) {
      failures.push(`${file} ${s.name}: ${e && e.stack}`)
    }
  })
  total += list.length
  console.log(`${file}: ${list.length} scenarios`)
}
console.log(`total: ${total} scenarios in ${files.length} files, ${bytes} bytes; ${stats.pending} end pending, ${stats.gcOff} with gc off, ${stats.withSkip} with Skip structs in their input; ${spawned} checked through apply.mjs`)
if (stalePending.size) {
  console.log(`${stalePending.size} scenarios end with structs yjs left pending although they are applicable (a fresh doc fed \`state\` integrates them): ${[...stalePending].join(', ')}`)
}
if (failures.length) {
  console.error(`${failures.length} failures:`)
  failures.slice(0, 50).forEach(f => console.error('  ' + f))
  process.exit(1)
}
console.log('ok')
