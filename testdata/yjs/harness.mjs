// Machinery for generate.mjs: deterministic PRNG, random content and
// operations, simulated peers and network, scenario assembly, and a small
// hand-written update v1 encoder (for ContentJSON, which yjs 13 never creates).
import * as Y from 'yjs'
import * as encoding from 'lib0/encoding'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { getRoot, receive, rootsJSON, hasPending, toBase64 } from './common.mjs'

const HERE = path.dirname(fileURLToPath(import.meta.url))
const OUT_DIR = path.join(HERE, 'fixtures')
export const REMOTE = 'remote' // transaction origin of updates a peer receives

// ---------------------------------------------------------------------------
// Deterministic randomness

/** 32-bit FNV-1a hash, used to derive a seed from a scenario name. */
const hash32 = (s) => {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h
}

/** Marsaglia's xorshift128 generator. */
class Rng {
  constructor (seed) {
    this.a = (seed >>> 0) || 0x1badf00d
    this.b = 0x9e3779b9
    this.c = 0x7f4a7c15
    this.d = 0x2545f491
    for (let i = 0; i < 20; i++) this.u32()
  }

  u32 () {
    let t = this.d
    const s = this.a
    this.d = this.c
    this.c = this.b
    this.b = s
    t ^= t << 11
    t ^= t >>> 8
    this.a = (t ^ s ^ (s >>> 19)) >>> 0
    return this.a
  }

  /** uniform float in [0, 1) */
  float () { return this.u32() / 4294967296 }
  /** integer in [0, n) */
  int (n) { return n <= 0 ? 0 : Math.floor(this.float() * n) }
  /** integer in [lo, hi] */
  range (lo, hi) { return lo + this.int(hi - lo + 1) }
  bool (p = 0.5) { return this.float() < p }
  pick (arr) { return arr[this.int(arr.length)] }
  shuffle (arr) {
    for (let i = arr.length - 1; i > 0; i--) {
      const j = this.int(i + 1)
      const t = arr[i]
      arr[i] = arr[j]
      arr[j] = t
    }
    return arr
  }
}

const rngFor = (name) => new Rng(hash32(name))

// ---------------------------------------------------------------------------
// Random content

const PIECES = {
  ascii: ['a', 'b', 'c', 'x', 'y', 'z', ' ', 'hello', ' world', 'Lorem ipsum', '\n', '42', '!', '"q"', '<tag>', '\\', '\t'],
  multi: ['é', 'ü', 'ß', 'ñ', '中', '文', '中文', 'ありがとう', 'Ω', 'e\u0301', '€', 'ф', 'العربية'],
  astral: ['😀', '👍🏽', '👨‍👩‍👧‍👦', '🇫🇷', '𝄞', '🎉', '𠜎', '👩🏾‍💻', '🏳️‍🌈']
}

/** alphabet: array of pool names, e.g. ['ascii', 'astral'] */
const randomString = (rng, alphabet = ['ascii'], maxPieces = 4) => {
  let s = ''
  const n = rng.range(1, maxPieces)
  for (let i = 0; i < n; i++) s += rng.pick(PIECES[rng.pick(alphabet)])
  return s
}

const MAP_KEYS = ['a', 'b', 'c', 'd', 'title', 'count', 'ключ', '😀', '1', '10', '2', 'with space', '']

/** A pool of plain (ContentAny / ContentBinary) values of every kind. */
const primitivePool = () => [
  'hello', '', 'é中文😀👨‍👩‍👧‍👦', 'line\nbreak "quoted" \\ back',
  0, 1, -1, 42, 127, 128, -129, 2 ** 31 - 1, -(2 ** 31 - 1), 2 ** 31, -(2 ** 31), 2 ** 31 + 5, 2 ** 32 + 1, 2 ** 40 + 3,
  -(2 ** 45) - 7, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 2 ** 60,
  0.5, -2.75, 1.5, 0.25, 3.140625, 65504, 1e-7, 0.1, Math.PI, 1 / 3, 1e300, 5e-324, -1.7976931348623157e308,
  -0, NaN, Infinity, -Infinity,
  true, false, null, undefined,
  [], {}, [1, 'two', null, true, 2.5, [3, [4]]], { x: 1, y: [true, false], z: { deep: 'er' } },
  { u: undefined, n: null, neg: -0, big: 2 ** 35, f: 0.1, arr: [undefined, -0, NaN] },
  { nested: { deeper: { deepest: [1, { k: 'v' }] } }, 'key with spaces': '😀' },
  new Uint8Array([]), new Uint8Array([0, 1, 2, 127, 128, 255]), new Uint8Array([0xde, 0xad, 0xbe, 0xef]),
  [new Uint8Array([9, 8, 7]), { bin: new Uint8Array([1]) }],
  0n, 1n, -1n, 9007199254740993n, 9223372036854775807n, -9223372036854775808n,
  { bi: 123456789012345678n, list: [-5n] }
]

const PRIMS = primitivePool()
/** Y.Array insert rejects top-level undefined and bigint (Y.Map#set accepts them). */
const ARRAY_PRIMS = PRIMS.filter(v => v !== undefined && typeof v !== 'bigint')
const randomPrimitive = (rng, forArray = false) => {
  const v = rng.pick(forArray ? ARRAY_PRIMS : PRIMS)
  // fresh copies of binaries/objects so no value object is shared between docs
  return v instanceof Uint8Array ? v.slice() : v
}

const TAGS = ['p', 'div', 'span', 'h1', 'UL', 'li', 'blockquote']
const XML_ATTRS = ['class', 'id', 'data-x', 'href', 'title']
const TEXT_FORMATS = [
  { bold: true }, { italic: true }, { bold: null }, { italic: null }, { bold: true, italic: true },
  { link: { href: 'https://example.com/?a=1&b=2' } }, { size: 12 }, { color: '#ff0000' }, { code: true }, { link: null }
]
const XML_TEXT_FORMATS = [
  { bold: true }, { italic: true }, { bold: null }, { em: {} }, { a: { href: 'x.html', target: '_blank' } },
  { bold: {}, italic: true }, { a: null }
]
const EMBEDS = [{ image: 'https://example.com/a.png' }, { formula: 'e=mc^2' }, { video: { src: 'v.mp4', w: 320 } }, [1, 2, 3], 'str-embed', 7]

// ---------------------------------------------------------------------------
// Peers

class Peer {
  /**
   * @param {number} clientID
   * @param {Object<string,string>} roots
   * @param {boolean} gc
   */
  constructor (clientID, roots, gc = true) {
    this.doc = new Y.Doc({ gc })
    this.doc.clientID = clientID
    this.roots = roots
    for (const [name, kind] of Object.entries(roots)) getRoot(this.doc, name, kind)
    /** every update this peer produced itself, in order */
    this.log = []
    /** @type {null | function(Uint8Array):void} */
    this.onLocal = null
    this.doc.on('update', (u, origin) => {
      if (origin !== REMOTE) {
        this.log.push(u)
        if (this.onLocal) this.onLocal(u)
      }
    })
  }

  get (name) { return getRoot(this.doc, name, this.roots[name]) }
  get t () { return this.get('t') }
  get m () { return this.get('m') }
  get a () { return this.get('a') }
  get x () { return this.get('x') }

  /** Runs fn in one transaction, returns the updates it produced. */
  change (fn) {
    const before = this.log.length
    this.doc.transact(() => fn(this))
    return this.log.slice(before)
  }

  /** Same as change, but returns the single update (or throws). */
  op (fn) {
    const us = this.change(fn)
    if (us.length !== 1) throw new Error(`expected one update, got ${us.length}`)
    return us[0]
  }

  apply (u) { Y.applyUpdate(this.doc, u, REMOTE) }
  sv () { return Y.encodeStateVector(this.doc) }
  state (sv) { return Y.encodeStateAsUpdate(this.doc, sv) }
  json () { return rootsJSON(this.doc, this.roots) }
}

/** Canonical string of a normalized JSON value (map key order ignored). */
const canon = (v) => {
  if (Array.isArray(v)) return '[' + v.map(canon).join(',') + ']'
  if (v !== null && typeof v === 'object') {
    return '{' + Object.keys(v).sort().map(k => JSON.stringify(k) + ':' + canon(v[k])).join(',') + '}'
  }
  return JSON.stringify(v)
}

/**
 * Like canon, but every UTF-16 surrogate and U+FFFD reads as '?'. yjs replaces
 * a surrogate pair that gets split by an item split with two U+FFFD, and a
 * peer may split its own items locally without emitting anything (e.g. a
 * format() that changes nothing), so peers may legitimately differ there.
 */
const loose = (v) => {
  const strip = (x) => {
    if (typeof x === 'string') return x.replace(/[\uD800-\uDFFF\uFFFD]/g, '?')
    if (Array.isArray(x)) return x.map(strip)
    if (x !== null && typeof x === 'object') {
      const o = {}
      for (const k of Object.keys(x)) o[strip(k)] = strip(x[k])
      return o
    }
    return x
  }
  return canon(strip(v))
}

/** Scenarios whose receiver differs from the expected peer only in U+FFFD placement. */
export const fffdNotes = []

/** Full mesh sync until all peers agree (also carries formatting cleanups). */
const syncAll = (peers) => {
  for (let round = 0; round < 8; round++) {
    const logSizes = peers.map(p => p.log.length)
    for (const a of peers) {
      for (const b of peers) {
        if (a !== b) b.apply(a.state(b.sv()))
      }
    }
    const same = peers.every(p => loose(p.json()) === loose(peers[0].json()) &&
      toBase64(p.sv()) === toBase64(peers[0].sv()))
    if (same && peers.every((p, i) => p.log.length === logSizes[i])) return
  }
  const detail = peers.map(p => `${p.doc.clientID}: log=${p.log.length} sv=${toBase64(p.sv())} json=${canon(p.json())}`).join('\n')
  throw new Error('peers do not converge:\n' + detail)
}

const converged = (peers) => {
  const j = loose(peers[0].json())
  return peers.every(p => loose(p.json()) === j)
}

// ---------------------------------------------------------------------------
// Scenario assembly

const EMPTY_SV = new Uint8Array([0])
/** @type {Map<string, Array<any>>} */
const categories = new Map()
const names = new Set()

/**
 * @param {string} category
 * @param {object} s
 * @param {string} s.name
 * @param {string} s.description
 * @param {boolean} [s.gc]
 * @param {Object<string,string>} s.roots
 * @param {Array<Uint8Array>} s.updates
 * @param {Array<Uint8Array>} [s.svs] intermediate state vectors for stateDiffs/diffs
 * @param {Peer|Array<Peer>|object} [s.expect] a peer (or peers / normalized json) whose roots the receiver must equal
 * @param {boolean} [s.expectPending]
 */
const add = (category, s) => {
  const { name, description, gc = true, roots, updates } = s
  if (names.has(name)) throw new Error(`duplicate scenario name ${name}`)
  names.add(name)
  if (!updates.length) throw new Error(`${name}: no updates`)
  const receiver = receive(gc, roots, updates)
  const json = rootsJSON(receiver, roots)
  const pending = hasPending(receiver)
  if (s.expectPending !== undefined && s.expectPending !== pending) {
    throw new Error(`${name}: expected pending=${s.expectPending}, got ${pending}`)
  }
  if (s.expect !== undefined) {
    const want = s.expect instanceof Peer
      ? s.expect.json()
      : Array.isArray(s.expect) ? s.expect[0].json() : s.expect
    if (loose(want) !== loose(json)) {
      throw new Error(`${name}: receiver json ${canon(json)} != expected ${canon(want)}`)
    }
    if (canon(want) !== canon(json)) fffdNotes.push(name)
  }
  // Every root the receiver ended up with must be declared.
  for (const key of receiver.share.keys()) {
    if (!(key in roots)) throw new Error(`${name}: undeclared root ${key}`)
  }
  const seen = new Set()
  const svs = []
  for (const sv of [EMPTY_SV, ...(s.svs || [])]) {
    const b = toBase64(sv)
    if (!seen.has(b) && svs.length < 3) {
      seen.add(b)
      svs.push(sv)
    }
  }
  const merged = Y.mergeUpdates(updates)
  const stateBytes = Y.encodeStateAsUpdate(receiver)
  const scenario = {
    name,
    description,
    gc,
    roots,
    updates: updates.map(toBase64),
    json,
    stateVector: toBase64(Y.encodeStateVector(receiver)),
    state: toBase64(Y.encodeStateAsUpdate(receiver)),
    stateDiffs: svs.map(sv => ({ stateVector: toBase64(sv), update: toBase64(Y.encodeStateAsUpdate(receiver, sv)) })),
    merged: toBase64(merged),
    mergedStateVector: toBase64(Y.encodeStateVectorFromUpdate(merged)),
    diffs: svs.map(sv => ({ stateVector: toBase64(sv), update: toBase64(Y.diffUpdate(merged, sv)) })),
    pending
  }
  if (pending) {
    // What a peer that receives the whole state at once holds: yjs may leave structs pending
    // that it could integrate (it retries only when a recorded clock is passed), and a fresh
    // receiver of the state settles them.
    const settled = receive(gc, roots, [stateBytes])
    scenario.settled = { json: rootsJSON(settled, roots), stateVector: toBase64(Y.encodeStateVector(settled)) }
  }
  if (!categories.has(category)) categories.set(category, [])
  categories.get(category).push(scenario)
  return scenario
}

const pad = (n) => String(n).padStart(3, '0')

// ---------------------------------------------------------------------------
// Random operations on shared types

/** Every live shared type reachable from the roots of a peer. */
const collectTypes = (peer) => {
  const out = []
  const visit = (t) => {
    out.push(t)
    if (t instanceof Y.XmlText || t instanceof Y.Text) return
    if (t instanceof Y.Map) {
      t.forEach(v => { if (v instanceof Y.AbstractType) visit(v) })
    } else if (t instanceof Y.Array || t instanceof Y.XmlFragment) {
      t.toArray().forEach(v => { if (v instanceof Y.AbstractType) visit(v) })
    }
  }
  for (const name of Object.keys(peer.roots)) visit(peer.get(name))
  return out
}

/**
 * Options for random ops:
 *  alphabet: pools for text, rich: formats/embeds in text, nest: probability of nested types,
 *  maxTypes: cap on reachable types, binary/any values are always allowed, subdocs: allow Y.Doc values
 */
const randomValue = (rng, ctx, typeCount, forArray = false) => {
  if (ctx.nest && typeCount < (ctx.maxTypes || 12) && rng.bool(ctx.nest)) {
    const k = rng.int(ctx.xmlValues ? 5 : 3)
    if (k === 0) {
      const m = new Y.Map()
      if (rng.bool(0.5)) m.set(rng.pick(MAP_KEYS), randomPrimitive(rng))
      return m
    } else if (k === 1) {
      const a = new Y.Array()
      if (rng.bool(0.5)) a.insert(0, [randomPrimitive(rng, true), randomPrimitive(rng, true)])
      return a
    } else if (k === 2) {
      return new Y.Text(rng.bool(0.5) ? randomString(rng, ctx.alphabet || ['ascii']) : undefined)
    } else if (k === 3) {
      const e = new Y.XmlElement(rng.pick(TAGS))
      e.setAttribute('class', 'c' + rng.int(10))
      return e
    } else {
      return new Y.XmlFragment()
    }
  }
  if (ctx.subdocs && rng.bool(0.1)) {
    ctx.subdocCounter = (ctx.subdocCounter || 0) + 1
    return new Y.Doc({ guid: `${ctx.name}-sub-${ctx.subdocCounter}` })
  }
  return randomPrimitive(rng, forArray)
}

const randomTextOp = (rng, text, ctx) => {
  const len = text.length
  const r = rng.float()
  const formats = text instanceof Y.XmlText ? XML_TEXT_FORMATS : TEXT_FORMATS
  if (len > 0 && r < (ctx.delProb ?? 0.35)) {
    const pos = rng.int(len)
    const n = 1 + rng.int(Math.min(len - pos, ctx.maxDel || 4))
    text.delete(pos, n)
  } else if (ctx.rich && len > 0 && r < 0.55) {
    const pos = rng.int(len)
    text.format(pos, 1 + rng.int(Math.min(len - pos, 6)), rng.pick(formats))
  } else if (ctx.rich && r < 0.62) {
    const embed = rng.pick(EMBEDS)
    text.insertEmbed(rng.int(len + 1), typeof embed === 'object' ? structuredClone(embed) : embed,
      rng.bool(0.3) ? rng.pick(formats) : undefined)
  } else {
    const attrs = ctx.rich && rng.bool(0.35) ? rng.pick(formats) : undefined
    text.insert(rng.int(len + 1), randomString(rng, ctx.alphabet || ['ascii']), attrs)
  }
}

const randomMapOp = (rng, map, ctx, typeCount) => {
  const keys = Array.from(map.keys())
  if (keys.length > 0 && rng.bool(0.25)) {
    map.delete(rng.pick(keys))
  } else {
    const v = map instanceof Y.XmlHook ? randomPrimitive(rng) : randomValue(rng, ctx, typeCount)
    map.set(rng.pick(MAP_KEYS), v)
  }
}

const randomArrayOp = (rng, arr, ctx, typeCount) => {
  const len = arr.length
  if (len > 0 && rng.bool(0.3)) {
    const pos = rng.int(len)
    arr.delete(pos, 1 + rng.int(Math.min(len - pos, 3)))
  } else {
    const n = rng.range(1, 3)
    const vals = []
    for (let i = 0; i < n; i++) vals.push(randomValue(rng, ctx, typeCount + i, true))
    arr.insert(rng.int(len + 1), vals)
  }
}

const randomXmlOp = (rng, node, ctx) => {
  const len = node.length
  const r = rng.float()
  if (node instanceof Y.XmlElement && r < 0.3) {
    const attrs = node.getAttributes()
    const keys = Object.keys(attrs)
    if (keys.length > 0 && rng.bool(0.3)) node.removeAttribute(rng.pick(keys))
    else node.setAttribute(rng.pick(XML_ATTRS), rng.pick(['', 'x', 'a b', 'é"中', 'v' + rng.int(100)]))
  } else if (len > 0 && r < 0.5) {
    const pos = rng.int(len)
    node.delete(pos, 1 + rng.int(Math.min(len - pos, 2)))
  } else {
    const k = rng.int(10)
    let child
    if (k < 4) {
      child = new Y.XmlElement(rng.pick(TAGS))
      if (rng.bool(0.5)) child.setAttribute(rng.pick(XML_ATTRS), 'p' + rng.int(10))
      if (rng.bool(0.3)) child.insert(0, [new Y.XmlText(randomString(rng, ctx.alphabet || ['ascii']))])
    } else if (k < 9) {
      child = new Y.XmlText()
      if (rng.bool(0.6)) child.insert(0, randomString(rng, ctx.alphabet || ['ascii']), rng.bool(0.4) ? rng.pick(XML_TEXT_FORMATS) : undefined)
    } else {
      child = new Y.XmlHook(rng.pick(['mention', 'image']))
      child.set('id', rng.int(1000))
    }
    node.insert(rng.int(len + 1), [child])
  }
}

/** One random operation on a random reachable type of the peer. */
const randomOp = (rng, peer, ctx) => {
  const types = collectTypes(peer)
  const allowed = types.filter(t => !ctx.only || ctx.only.some(C => t instanceof C))
  const t = rng.pick(allowed.length ? allowed : types)
  if (t instanceof Y.XmlText || t instanceof Y.Text) randomTextOp(rng, t, ctx)
  else if (t instanceof Y.XmlHook || t instanceof Y.Map) randomMapOp(rng, t, ctx, types.length)
  else if (t instanceof Y.XmlFragment) randomXmlOp(rng, t, ctx) // also XmlElement
  else if (t instanceof Y.Array) randomArrayOp(rng, t, ctx, types.length)
  else throw new Error('unexpected type ' + t.constructor.name)
}

// ---------------------------------------------------------------------------
// Simulated network of peers plus one server (the fixture receiver)

/**
 * @param {string} name
 * @param {object} o
 * @param {Array<number>} o.clientIDs
 * @param {Object<string,string>} o.roots
 * @param {boolean} [o.peerGC]
 * @param {boolean} [o.gc] receiver gc
 * @param {number} o.steps
 * @param {object} o.ctx random op options
 * @param {number} [o.dupProb]
 * @param {number} [o.maxDelay]
 * @param {number} [o.partitionProb]
 * @param {number} [o.opsPerTx]
 * @param {boolean} [o.finalSync] whether the server gets a final sync from a peer if it is behind
 */
const runSession = (name, o) => {
  const rng = rngFor(name)
  const ctx = { name, ...o.ctx }
  const peers = o.clientIDs.map((id, i) => new Peer(id, o.roots, o.peerGC ?? (i % 2 === 0)))
  const shadow = new Peer(999999, o.roots, o.gc ?? true) // mirrors the receiver while generating
  const serverList = []
  const inbox = peers.map(() => [])
  const serverQueue = []
  const group = peers.map(() => 0)
  const svs = []
  const maxDelay = o.maxDelay ?? 3
  const dupProb = o.dupProb ?? 0.05
  let t = 0
  const delay = () => rng.bool(0.4) ? 0 : rng.int(maxDelay + 1)
  peers.forEach((p, i) => {
    p.onLocal = (u) => {
      peers.forEach((_, j) => {
        if (j === i) return
        inbox[j].push({ due: t + delay(), u, from: i })
        if (rng.bool(dupProb)) inbox[j].push({ due: t + delay() + 1, u, from: i })
      })
      serverQueue.push({ due: t + delay(), u, from: i })
      if (rng.bool(dupProb)) serverQueue.push({ due: t + delay() + 2, u, from: i })
    }
  })
  const toServer = (u) => {
    serverList.push(u)
    shadow.apply(u)
  }
  const deliver = (force) => {
    peers.forEach((p, j) => {
      const due = []
      inbox[j] = inbox[j].filter(m => {
        if ((force || m.due <= t) && group[m.from] === group[j]) { due.push(m); return false }
        return true
      })
      rng.shuffle(due).forEach(m => p.apply(m.u))
    })
    const due = []
    for (let k = 0; k < serverQueue.length; k++) {
      const m = serverQueue[k]
      if ((force || m.due <= t) && group[m.from] === 0) {
        due.push(m)
        serverQueue.splice(k--, 1)
      }
    }
    rng.shuffle(due).forEach(m => toServer(m.u))
  }
  for (t = 0; t < o.steps; t++) {
    if (o.partitionProb && rng.bool(o.partitionProb)) {
      if (group.some(g => g !== 0) && rng.bool(0.6)) {
        // reconnect everybody; half of the time with a sync round (state vector exchange)
        group.fill(0)
        if (rng.bool(0.5)) {
          peers.forEach((a, i) => peers.forEach((b, j) => {
            if (i !== j) inbox[j].push({ due: t + delay(), u: a.state(b.sv()), from: i })
          }))
          const a = rng.pick(peers)
          serverQueue.push({ due: t + delay(), u: a.state(shadow.sv()), from: peers.indexOf(a) })
        }
      } else {
        for (let i = 0; i < peers.length; i++) group[i] = rng.bool(0.5) ? rng.range(1, 2) : 0
      }
    }
    const p = rng.pick(peers)
    const nOps = rng.range(1, o.opsPerTx ?? 2)
    p.change(() => { for (let k = 0; k < nOps; k++) randomOp(rng, p, ctx) })
    deliver(false)
    if (rng.bool(0.08)) svs.push(rng.pick(peers).sv())
    if (rng.bool(0.04)) svs.push(shadow.sv())
  }
  group.fill(0)
  deliver(true)
  deliver(true) // messages produced while delivering (formatting cleanups)
  syncAll(peers)
  if (!converged(peers)) throw new Error(`${name}: peers diverged`)
  if (o.finalSync !== false) {
    const behind = loose(shadow.json()) !== loose(peers[0].json()) || toBase64(shadow.sv()) !== toBase64(peers[0].sv()) || hasPending(shadow.doc)
    if (behind) toServer(rng.pick(peers).state(shadow.sv()))
  }
  return { peers, serverList, svs: rng.shuffle(svs).slice(0, 2), rng }
}

// ---------------------------------------------------------------------------
// Hand-written update v1 encoder (used for ContentJSON, which yjs 13 never creates)

/**
 * @param {object} u
 * @param {Array<{client:number, clock:number, structs:Array<any>}>} u.clients
 * @param {Array<{client:number, ranges:Array<[number,number]>}>} [u.ds]
 */
const encodeV1 = ({ clients, ds = [] }) => {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, clients.length)
  for (const { client, clock, structs } of clients) {
    encoding.writeVarUint(e, structs.length)
    encoding.writeVarUint(e, client)
    encoding.writeVarUint(e, clock)
    for (const s of structs) writeStructV1(e, s)
  }
  encoding.writeVarUint(e, ds.length)
  for (const { client, ranges } of ds) {
    encoding.writeVarUint(e, client)
    encoding.writeVarUint(e, ranges.length)
    for (const [clock, len] of ranges) {
      encoding.writeVarUint(e, clock)
      encoding.writeVarUint(e, len)
    }
  }
  return encoding.toUint8Array(e)
}

const CONTENT_REFS = { deleted: 1, json: 2, binary: 3, string: 4, any: 8 }

/**
 * struct: {gc: len} | {skip: len} | {origin?: [client, clock], rightOrigin?: [client, clock],
 *   parentKey?: string, parentID?: [client, clock], parentSub?: string,
 *   content: {json: any[]} | {string: string} | {any: any[]} | {deleted: number} | {binary: Uint8Array}}
 */
const writeStructV1 = (e, s) => {
  if (s.gc !== undefined) {
    encoding.writeUint8(e, 0)
    encoding.writeVarUint(e, s.gc)
    return
  }
  if (s.skip !== undefined) {
    encoding.writeUint8(e, 10)
    encoding.writeVarUint(e, s.skip)
    return
  }
  const kind = Object.keys(s.content)[0]
  const info = CONTENT_REFS[kind] | (s.origin ? 0x80 : 0) | (s.rightOrigin ? 0x40 : 0) | (s.parentSub !== undefined ? 0x20 : 0)
  encoding.writeUint8(e, info)
  if (s.origin) { encoding.writeVarUint(e, s.origin[0]); encoding.writeVarUint(e, s.origin[1]) }
  if (s.rightOrigin) { encoding.writeVarUint(e, s.rightOrigin[0]); encoding.writeVarUint(e, s.rightOrigin[1]) }
  if (!s.origin && !s.rightOrigin) {
    if (s.parentKey !== undefined) {
      encoding.writeVarUint(e, 1)
      encoding.writeVarString(e, s.parentKey)
    } else {
      encoding.writeVarUint(e, 0)
      encoding.writeVarUint(e, s.parentID[0])
      encoding.writeVarUint(e, s.parentID[1])
    }
    if (s.parentSub !== undefined) encoding.writeVarString(e, s.parentSub)
  }
  const c = s.content[kind]
  switch (kind) {
    case 'json':
      encoding.writeVarUint(e, c.length)
      for (const v of c) encoding.writeVarString(e, v === undefined ? 'undefined' : JSON.stringify(v))
      break
    case 'any':
      encoding.writeVarUint(e, c.length)
      for (const v of c) encoding.writeAny(e, v)
      break
    case 'string':
      encoding.writeVarString(e, c)
      break
    case 'deleted':
      encoding.writeVarUint(e, c)
      break
    case 'binary':
      encoding.writeVarUint8Array(e, c)
      break
  }
}

/** Writes fixtures/<category>.json for every category (removing old files). */
export const writeAll = () => {
  fs.mkdirSync(OUT_DIR, { recursive: true })
  for (const f of fs.readdirSync(OUT_DIR)) {
    if (f.endsWith('.json')) fs.unlinkSync(path.join(OUT_DIR, f))
  }
  let total = 0
  let bytes = 0
  for (const [category, list] of categories) {
    const text = JSON.stringify(list, null, 1) + '\n'
    fs.writeFileSync(path.join(OUT_DIR, `${category}.json`), text)
    total += list.length
    bytes += Buffer.byteLength(text)
    console.log(`${category}.json: ${list.length} scenarios, ${Buffer.byteLength(text)} bytes`)
  }
  console.log(`total: ${total} scenarios, ${bytes} bytes`)
  if (fffdNotes.length) console.log(`note: receiver differs from a peer only in U+FFFD placement in ${fffdNotes.length} scenarios: ${fffdNotes.join(', ')}`)
}

export { Rng, Peer, add, runSession, syncAll, encodeV1, randomString, randomOp, randomPrimitive, rngFor, pad, PRIMS, ARRAY_PRIMS, PIECES, canon, converged, hasPending, EMPTY_SV }
