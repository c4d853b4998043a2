// Benchmarks the real yjs library on recorded editing traces.
//
//   node --expose-gc bench.mjs [--runs N] [--trace NAME]... <traces-dir>
//
// Prints one JSON object per line on stdout:
//   {"trace":"automerge-paper","op":"local-replay","value":1834.2,"unit":"ms"}
// ops: local-replay, remote-merge, encode, decode, out-of-order (ms), update-size, heap (bytes).
// Every value is the median over --runs samples (default 3); the fast ops
// (remote-merge, encode, decode) are averaged over enough inner iterations for
// each sample to take at least MIN_SAMPLE_MS. Progress goes to stderr.

import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import { performance } from 'node:perf_hooks'
import * as Y from 'yjs'

const MIN_SAMPLE_MS = 200
const CLIENT_ID = 1
const OUT_OF_ORDER = 1000 // transactions delivered in reverse order by the out-of-order figure

function usage (msg) {
  console.error(`bench.mjs: ${msg}\nusage: node --expose-gc bench.mjs [--runs N] [--trace NAME]... <traces-dir>`)
  process.exit(2)
}

function parseArgs (argv) {
  const opts = { runs: 3, traces: [], dir: null }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--runs') {
      const n = Number(argv[++i])
      if (!Number.isInteger(n) || n < 1) usage(`bad --runs value ${argv[i]}`)
      opts.runs = n
    } else if (a === '--trace') {
      if (argv[i + 1] === undefined) usage('--trace needs a name')
      opts.traces.push(argv[++i].replace(/\.json\.gz$/, ''))
    } else if (a.startsWith('--')) {
      usage(`unknown option ${a}`)
    } else if (opts.dir === null) {
      opts.dir = a
    } else {
      usage(`unexpected argument ${a}`)
    }
  }
  if (opts.dir === null) usage('missing traces directory')
  return opts
}

function loadTrace (file) {
  const data = JSON.parse(zlib.gunzipSync(fs.readFileSync(file)).toString('utf8'))
  if (data.startContent !== '') throw new Error(`${file}: non-empty startContent is not supported`)
  const patches = []
  for (const txn of data.txns) for (const p of txn.patches) patches.push(p)
  return { patches, endContent: data.endContent }
}

function gc () {
  for (let i = 0; i < 4; i++) global.gc()
}

function median (xs) {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

// Replays every patch as its own transaction, encoding each update the way a
// typing client does. Returns the doc and the total encoded update size.
function replay (patches) {
  const doc = new Y.Doc()
  doc.clientID = CLIENT_ID
  const text = doc.getText('text')
  const stats = { updateBytes: 0 }
  doc.on('update', u => { stats.updateBytes += u.length })
  for (let i = 0; i < patches.length; i++) {
    const p = patches[i]
    const pos = p[0]; const del = p[1]; const ins = p[2]
    doc.transact(() => {
      if (del) text.delete(pos, del)
      if (ins) text.insert(pos, ins)
    })
  }
  return { doc, stats }
}

// The updates of the first n transactions of a replay, and the text they give.
function prefixUpdates (patches, n) {
  const doc = new Y.Doc()
  doc.clientID = CLIENT_ID
  const text = doc.getText('text')
  const updates = []
  doc.on('update', u => { updates.push(u) })
  for (let i = 0; i < Math.min(n, patches.length); i++) {
    const [pos, del, ins] = patches[i]
    doc.transact(() => {
      if (del) text.delete(pos, del)
      if (ins) text.insert(pos, ins)
    })
  }
  return { updates, text: text.toString() }
}

function checkText (doc, want, what) {
  const got = doc.getText('text').toString()
  if (got !== want) {
    throw new Error(`${what}: text mismatch (got ${got.length} chars, want ${want.length})`)
  }
}

let sink = 0

// Times fn per call: a warm-up call, then `runs` samples, each of enough calls
// to last at least MIN_SAMPLE_MS. Returns the median per-call time in ms.
function timeFast (fn, runs) {
  let t = performance.now()
  fn()
  const once = Math.max(performance.now() - t, 0.001)
  const iters = Math.max(1, Math.ceil(MIN_SAMPLE_MS / once))
  const samples = []
  for (let r = 0; r < runs; r++) {
    t = performance.now()
    for (let i = 0; i < iters; i++) fn()
    samples.push((performance.now() - t) / iters)
  }
  return median(samples)
}

function emit (trace, op, value, unit) {
  const v = unit === 'ms' ? Math.round(value * 1000) / 1000 : Math.round(value)
  process.stdout.write(JSON.stringify({ trace, op, value: v, unit }) + '\n')
}

function benchTrace (name, file, runs) {
  const t0 = performance.now()
  let { patches, endContent } = loadTrace(file)
  console.error(`${name}: ${patches.length} patches, ${endContent.length} chars`)

  // local-replay
  const replayMs = []
  let doc = null
  for (let r = 0; r < runs; r++) {
    doc = null
    gc()
    const t = performance.now()
    const res = replay(patches)
    replayMs.push(performance.now() - t)
    doc = res.doc
    checkText(doc, endContent, `${name} local-replay`)
    console.error(`  local-replay run ${r + 1}: ${replayMs[r].toFixed(1)} ms`)
  }
  emit(name, 'local-replay', median(replayMs), 'ms')

  // remote-merge, encode, decode against the last replayed doc
  const update = Y.encodeStateAsUpdate(doc)
  const merged = new Y.Doc()
  Y.applyUpdate(merged, update)
  checkText(merged, endContent, `${name} remote-merge`)

  gc()
  const mergeMs = timeFast(() => {
    const d = new Y.Doc()
    Y.applyUpdate(d, update)
    sink ^= d.store.clients.size
  }, runs)
  emit(name, 'remote-merge', mergeMs, 'ms')

  gc()
  const encodeMs = timeFast(() => { sink ^= Y.encodeStateAsUpdate(doc).length }, runs)
  emit(name, 'encode', encodeMs, 'ms')
  emit(name, 'update-size', update.length, 'bytes')

  gc()
  const decodeMs = timeFast(() => { sink ^= Y.decodeUpdate(update).structs.length }, runs)
  emit(name, 'decode', decodeMs, 'ms')

  // out-of-order: the first OUT_OF_ORDER transactions' updates delivered newest first, so that
  // all but the last wait as pending structs until the first one arrives.
  const { updates, text: prefixText } = prefixUpdates(patches, OUT_OF_ORDER)
  gc()
  const outOfOrderMs = timeFast(() => {
    const d = new Y.Doc()
    for (let i = updates.length - 1; i >= 0; i--) Y.applyUpdate(d, updates[i])
    if (d.getText('text').toString() !== prefixText) throw new Error(`${name} out-of-order: text mismatch`)
  }, runs)
  emit(name, 'out-of-order', outOfOrderMs, 'ms')

  // heap: separate pass, nothing retained but the doc
  doc = null
  gc()
  const before = process.memoryUsage().heapUsed
  let res = replay(patches)
  gc()
  const after = process.memoryUsage().heapUsed
  checkText(res.doc, endContent, `${name} heap`)
  emit(name, 'heap', after - before, 'bytes')
  res = null
  patches = endContent = null

  console.error(`  done in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
}

function main () {
  if (typeof global.gc !== 'function') usage('run node with --expose-gc')
  const opts = parseArgs(process.argv.slice(2))
  let names = opts.traces
  if (names.length === 0) {
    names = fs.readdirSync(opts.dir)
      .filter(f => f.endsWith('.json.gz'))
      .map(f => f.slice(0, -'.json.gz'.length))
      .sort()
    if (names.length === 0) throw new Error(`no *.json.gz traces in ${opts.dir}`)
  }
  for (const name of names) {
    benchTrace(name, path.join(opts.dir, name + '.json.gz'), opts.runs)
  }
  if (sink === 0.5) console.error(sink) // keep results observable
}

try {
  main()
} catch (err) {
  console.error(`bench.mjs: ${err.stack || err}`)
  process.exit(1)
}
