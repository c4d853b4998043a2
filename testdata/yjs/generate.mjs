// Generates pairpad's yjs compatibility fixtures, fixtures/<category>.json,
// with the real yjs (see README.md). Run with `make fixtures`.
//
// Deterministic: every scenario draws from its own PRNG seeded from its name,
// every Y.Doc gets an explicit clientID and every subdocument an explicit guid,
// so re-running produces byte-identical files.
import * as Y from 'yjs'
import {
  Peer, add, runSession, syncAll, encodeV1, randomString, randomOp, rngFor, pad, PRIMS, ARRAY_PRIMS,
  EMPTY_SV, writeAll
} from './harness.mjs'
import { normalize } from './common.mjs'

const T = { t: 'text' }
const TMA = { t: 'text', m: 'map', a: 'array' }

/** Applies an op list to a peer: ['i', pos, str, attrs?] | ['d', pos, len] | ['f', pos, len, attrs]
 *  | ['e', pos, embed, attrs?] | ['tx', [ops...]] (one transaction). Every top-level op is its own transaction. */
const runTextOps = (peer, ops, text = peer.t) => {
  const one = (op) => {
    switch (op[0]) {
      case 'i': text.insert(op[1], op[2], op[3]); break
      case 'd': text.delete(op[1], op[2]); break
      case 'f': text.format(op[1], op[2], op[3]); break
      case 'e': text.insertEmbed(op[1], op[2], op[3]); break
      case 'tx': op[1].forEach(one); break
      default: throw new Error('bad op ' + op[0])
    }
  }
  const out = []
  for (const op of ops) out.push(...peer.change(() => one(op)))
  return out
}

// ---------------------------------------------------------------------------
// text: unicode, surrogate pairs, local and concurrent

const genText = () => {
  const C = 'text'
  const local = [
    ['surrogate-insert-inside', 'insert inside 😀 turns both halves into U+FFFD', [['i', 0, '😀'], ['i', 1, 'x']]],
    ['surrogate-delete-low-half', 'delete the low half of 😀', [['i', 0, '😀a'], ['d', 1, 1]]],
    ['surrogate-delete-high-half', 'delete the high half of 😀', [['i', 0, '😀'], ['d', 0, 1]]],
    ['surrogate-delete-span', 'delete from inside one emoji to inside the next', [['i', 0, 'a😀b😀c'], ['d', 2, 3]]],
    ['zwj-family-inserts', 'inserts at code point boundaries and inside pairs of a ZWJ family', [['i', 0, '👨‍👩‍👧‍👦'], ['i', 2, '|'], ['i', 5, '|'], ['i', 9, '#']]],
    ['skin-tone-split', 'split 👍🏽 between and inside its code points', [['i', 0, '👍🏽'], ['i', 2, '-'], ['i', 4, '+'], ['i', 1, '*']]],
    ['flag-delete', 'delete the middle of a flag', [['i', 0, 'x🇫🇷y'], ['d', 2, 2]]],
    ['same-transaction-split', 'insert and split within one transaction', [['tx', [['i', 0, '😀😀'], ['i', 1, 'x']]]]],
    ['boundary-insert', 'insert between two emoji (no split)', [['i', 0, '😀😀'], ['i', 2, 'x']]],
    ['bmp-multibyte', 'BMP multi-byte characters', [['i', 0, 'é中文'], ['i', 1, 'x'], ['d', 2, 1], ['i', 3, 'ü']]],
    ['combining-accent', 'split between e and a combining accent', [['i', 0, 'e\u0301'], ['i', 1, 'x']]],
    ['delete-all-astral', 'delete all of an astral-only string', [['i', 0, '😀👍🏽'], ['d', 0, 4]]],
    ['many-splits', 'several splits of one item', [['i', 0, '😀😀😀😀'], ['i', 7, 'a'], ['i', 5, 'b'], ['i', 3, 'c'], ['i', 1, 'd']]],
    ['astral-inside-astral', 'insert an emoji inside an emoji', [['i', 0, '😀'], ['i', 1, '🎉']]],
    ['delete-then-insert', 'delete across pairs then insert', [['i', 0, '𝄞𝄞𝄞'], ['d', 1, 4], ['i', 1, 'z']]],
    ['ascii-basic', 'plain ASCII edits', [['i', 0, 'hello'], ['i', 5, ' world'], ['d', 0, 1], ['i', 0, 'H']]],
    ['control-chars', 'NUL, tab, newline, quotes and backslash', [['i', 0, 'a\u0000b\tc\n"d"\\e'], ['d', 1, 1]]],
    ['long-string', 'a 3000 character insert (multi-byte varint lengths)', [['i', 0, 'abcdefghij'.repeat(300)], ['d', 100, 200], ['i', 1500, 'é'.repeat(150)]]],
    ['sequential-appends', 'appends in separate transactions merge into one item', [['i', 0, 'a'], ['i', 1, 'b'], ['i', 2, 'c'], ['i', 3, '中'], ['i', 4, '😀']]],
    ['prepends', 'prepends in separate transactions', [['i', 0, 'a'], ['i', 0, 'b'], ['i', 0, 'c'], ['i', 0, '😀']]],
    ['delete-low-half-then-append', 'split at the end of an item', [['i', 0, 'ab😀'], ['d', 3, 1], ['i', 3, 'q']]],
    ['three-byte-and-astral-delete', 'delete spanning 3-byte and 4-byte characters', [['i', 0, '中😀文🎉'], ['d', 1, 3], ['i', 2, '€']]]
  ]
  local.forEach(([slug, description, ops], i) => {
    for (const nogc of [false, true]) {
      const hasDelete = JSON.stringify(ops).includes('"d"')
      if (nogc && !hasDelete) continue
      const p = new Peer(100 + i, T, !nogc)
      runTextOps(p, ops)
      add(C, {
        name: `text-local-${slug}${nogc ? '-nogc' : ''}`,
        description: description + (nogc ? ' (gc off everywhere)' : ''),
        gc: !nogc,
        roots: T,
        updates: p.log,
        svs: [],
        expect: p
      })
    }
  })

  // random local editing with single-unit positions (many pair splits)
  for (let i = 0; i < 20; i++) {
    const name = `text-random-local-${pad(i)}`
    const rng = rngFor(name)
    const alphabet = [['ascii'], ['multi'], ['astral'], ['ascii', 'astral'], ['ascii', 'multi', 'astral']][i % 5]
    const p = new Peer(rng.range(1, 2 ** 32 - 1), T, rng.bool())
    const svs = []
    const n = rng.range(10, 60)
    for (let k = 0; k < n; k++) {
      p.change(() => {
        const m = rng.bool(0.2) ? rng.range(2, 3) : 1
        for (let j = 0; j < m; j++) {
          const len = p.t.length
          if (len > 0 && rng.bool(0.35)) {
            const pos = rng.int(len)
            p.t.delete(pos, 1 + rng.int(Math.min(2, len - pos)))
          } else {
            p.t.insert(rng.int(len + 1), randomString(rng, alphabet, 3))
          }
        }
      })
      if (rng.bool(0.1)) svs.push(p.sv())
    }
    const gc = rng.bool()
    add(C, { name, description: `one client, ${n} random transactions over ${alphabet.join('+')} text`, gc, roots: T, updates: p.log, svs: svs.slice(-2), expect: p })
  }

  // scripted concurrent edits around surrogate pairs
  const conc = [
    ['two-splits', '😀👍🏽中', [['i', 1, 'x']], [['i', 3, 'y']], null],
    ['delete-vs-insert-same-split', '😀', [['d', 1, 1]], [['i', 1, 'z']], null],
    ['insert-vs-delete-whole', '😀', [['i', 1, 'x']], [['d', 0, 2]], null],
    ['same-split-point', 'ab😀cd', [['i', 3, 'X']], [['i', 3, 'Y']], null],
    ['zwj-three-way', '👨‍👩‍👧‍👦', [['d', 4, 1]], [['i', 9, 'k']], [['d', 0, 3]]],
    ['delete-spanning-two', '😀😀', [['d', 1, 2]], [['i', 2, 'm']], null],
    ['music-three-way', '𝄞', [['i', 1, 'a']], [['i', 1, 'b']], [['d', 0, 1]]],
    ['remote-split-only', 'abc😀def', [['i', 0, '>']], [['i', 4, '|']], null]
  ]
  conc.forEach(([slug, base, opsA, opsB, opsC], i) => {
    const roots = T
    const A = new Peer(7 + i, roots, true)
    const B = new Peer(1000 + i, roots, i % 2 === 0)
    const peers = [A, B]
    let Cp = null
    if (opsC) { Cp = new Peer(2 ** 32 + i, roots, true); peers.push(Cp) }
    const baseUpdates = runTextOps(A, [['i', 0, base]])
    peers.slice(1).forEach(p => baseUpdates.forEach(u => p.apply(u)))
    const ua = runTextOps(A, opsA)
    const ub = runTextOps(B, opsB)
    const uc = Cp ? runTextOps(Cp, opsC) : []
    syncAll(peers)
    const orders = [
      ['in-order', [...baseUpdates, ...ua, ...ub, ...uc]],
      ['reversed', [...uc, ...ub, ...ua, ...baseUpdates]]
    ]
    for (const [o, updates] of orders) {
      add(C, {
        name: `text-concurrent-${slug}-${o}`,
        description: `concurrent edits inside surrogate pairs of ${JSON.stringify(base)}, delivered ${o}`,
        gc: o === 'in-order',
        roots,
        updates,
        svs: [Y.encodeStateVectorFromUpdate(Y.mergeUpdates(baseUpdates))],
        expect: A
      })
    }
  })

  // random concurrent sessions over astral-heavy text
  for (let i = 0; i < 10; i++) {
    const name = `text-random-concurrent-${pad(i)}`
    const rng = rngFor(name + '-ids')
    const n = 2 + (i % 3)
    const ids = Array.from({ length: n }, () => rng.range(1, 2 ** 31))
    const s = runSession(name, {
      clientIDs: ids, roots: T, gc: i % 3 !== 0, steps: 20 + i * 4,
      ctx: { alphabet: i % 2 ? ['astral'] : ['astral', 'multi', 'ascii'], maxDel: 2 }
    })
    add(C, { name, description: `${n} clients concurrently editing astral-heavy text`, gc: i % 3 !== 0, roots: T, updates: s.serverList, svs: s.svs, expect: s.peers[0] })
  }
}

// ---------------------------------------------------------------------------
// concurrent: random sessions of 2..6 clients with lossy, reordering delivery

const genConcurrent = () => {
  const C = 'concurrent'
  const configs = []
  for (let i = 0; i < 30; i++) configs.push({ slug: 'text', roots: T, ctx: { alphabet: ['ascii', 'multi', 'astral'] } })
  for (let i = 0; i < 25; i++) configs.push({ slug: 'mixed', roots: TMA, ctx: { alphabet: ['ascii', 'multi', 'astral'], nest: 0.15 } })
  for (let i = 0; i < 15; i++) configs.push({ slug: 'partition', roots: TMA, partitionProb: 0.15, ctx: { alphabet: ['ascii', 'astral'], nest: 0.1 } })
  for (let i = 0; i < 10; i++) configs.push({ slug: 'lossy', roots: TMA, dupProb: 0.3, maxDelay: 10, ctx: { alphabet: ['ascii', 'multi'], nest: 0.1 } })
  for (let i = 0; i < 10; i++) configs.push({ slug: 'nested', roots: { m: 'map', a: 'array' }, ctx: { alphabet: ['ascii', 'astral'], nest: 0.35, maxTypes: 16 } })
  const counters = {}
  configs.forEach((cfg) => {
    const k = counters[cfg.slug] = (counters[cfg.slug] ?? -1) + 1
    const name = `concurrent-${cfg.slug}-${pad(k)}`
    const rng = rngFor(name + '-cfg')
    const n = rng.range(2, 6)
    const idKind = rng.int(4)
    const ids = []
    while (ids.length < n) {
      const id = idKind === 0 ? rng.range(1, 20) : idKind === 1 ? rng.range(2 ** 32 - 50, 2 ** 32 + 50) : idKind === 2 ? Number.MAX_SAFE_INTEGER - rng.int(1000) : rng.u32()
      if (!ids.includes(id)) ids.push(id)
    }
    const gc = rng.bool(0.7)
    const peerGC = rng.int(3) === 0 ? undefined : rng.bool(0.7)
    const steps = rng.range(15, 90)
    const s = runSession(name, {
      clientIDs: ids, roots: cfg.roots, gc, peerGC, steps, ctx: cfg.ctx,
      partitionProb: cfg.partitionProb, dupProb: cfg.dupProb, maxDelay: cfg.maxDelay, opsPerTx: rng.range(1, 3)
    })
    add(C, {
      name,
      description: `${n} clients, ${steps} random transactions (${cfg.slug}), shuffled/duplicated/delayed delivery${cfg.partitionProb ? ' with partitions' : ''}`,
      gc, roots: cfg.roots, updates: s.serverList, svs: s.svs, expect: s.peers[0]
    })
  })
}

// ---------------------------------------------------------------------------
// clientids: small, varint-boundary, 32-bit and 53-bit client ids

const genClientIDs = () => {
  const C = 'clientids'
  const sets = [
    ['small', [0, 1, 2]],
    ['one-two', [1, 2]],
    ['six-small', [3, 4, 5, 6, 7, 8]],
    ['varint-7bit', [127, 128]],
    ['varint-14bit', [16383, 16384]],
    ['varint-21bit', [2097151, 2097152, 268435455, 268435456]],
    ['int31', [2 ** 31 - 1, 2 ** 31]],
    ['uint32', [2 ** 32 - 1, 2 ** 32]],
    ['around-2-32', [2 ** 32, 2 ** 32 + 1, 2 ** 32 - 1]],
    ['max-safe', [Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER - 1]],
    ['max-safe-and-small', [Number.MAX_SAFE_INTEGER, 1]],
    ['large-mix', [2 ** 52 + 7, 2 ** 48, 2 ** 40, 2 ** 35 + 1]],
    ['extremes', [Number.MAX_SAFE_INTEGER, 0, 2 ** 32, 2 ** 31 - 1]]
  ]
  sets.forEach(([slug, ids], si) => {
    // scripted conflict: everybody inserts at the same place, sets the same key, inserts at array start
    const peers = ids.map((id, i) => new Peer(id, TMA, i % 2 === 0))
    peers[0].change(p => { p.t.insert(0, 'base'); p.a.insert(0, ['x']) })
    peers.slice(1).forEach(p => peers[0].log.forEach(u => p.apply(u)))
    peers.forEach((p, i) => p.change(() => {
      p.t.insert(2, `[${i}]`)
      p.m.set('k', `client-${i}`)
      p.m.set(`only-${i}`, p.doc.clientID)
      p.a.insert(0, [i])
      p.a.insert(p.a.length, [{ id: p.doc.clientID }])
    }))
    peers.forEach((p, i) => p.change(() => { if (i % 2 === 1) p.t.delete(0, 1) }))
    syncAll(peers)
    const all = peers.flatMap(p => p.log)
    add(C, {
      name: `clientids-conflict-${slug}`,
      description: `clients ${ids.join(', ')} insert at the same positions and set the same key concurrently`,
      gc: si % 2 === 0,
      roots: TMA,
      updates: all,
      svs: [peers[peers.length - 1].sv()],
      expect: peers[0]
    })
    const name = `clientids-random-${slug}`
    const s = runSession(name, { clientIDs: ids, roots: TMA, gc: si % 3 !== 0, steps: 30, ctx: { alphabet: ['ascii', 'astral'], nest: 0.1 } })
    add(C, { name, description: `random session with client ids ${ids.join(', ')}`, gc: si % 3 !== 0, roots: TMA, updates: s.serverList, svs: s.svs, expect: s.peers[0] })
  })
}

// ---------------------------------------------------------------------------
// map: every value kind, nested types, overwrites

const genMap = () => {
  const C = 'map'
  const M = { m: 'map' }
  // every primitive kind, a few per scenario
  const chunk = 6
  for (let i = 0; i * chunk < PRIMS.length; i++) {
    const vals = PRIMS.slice(i * chunk, (i + 1) * chunk)
    const p = new Peer(31 + i, M, true)
    p.change(() => vals.forEach((v, k) => p.m.set(`v${i * chunk + k}`, v instanceof Uint8Array ? v.slice() : v)))
    add(C, { name: `map-values-${pad(i)}`, description: 'map values of every kind (ContentAny/ContentBinary): ' + vals.map(v => typeof v).join(', '), roots: M, updates: p.log, expect: p })
  }
  {
    const p = new Peer(2 ** 33 + 1, M, false)
    PRIMS.forEach((v, k) => p.change(() => p.m.set(`k${k}`, v instanceof Uint8Array ? v.slice() : v)))
    add(C, { name: 'map-values-all-separate-tx', description: 'every value kind, one transaction each', gc: false, roots: M, updates: p.log, svs: [Y.encodeStateVectorFromUpdate(Y.mergeUpdates(p.log.slice(0, 20)))], expect: p })
  }
  // nested shared types as values
  {
    const p = new Peer(77, M, true)
    p.change(() => {
      const inner = new Y.Map()
      inner.set('x', 1)
      inner.set('bin', new Uint8Array([1, 2]))
      p.m.set('map', inner)
      const arr = new Y.Array()
      arr.insert(0, [1, 'two', new Uint8Array([3])])
      p.m.set('array', arr)
      p.m.set('text', new Y.Text('nested text 😀'))
      const frag = new Y.XmlFragment()
      frag.insert(0, [new Y.XmlText('frag')])
      p.m.set('fragment', frag)
      const el = new Y.XmlElement('p')
      el.setAttribute('class', 'c')
      el.insert(0, [new Y.XmlText('para')])
      p.m.set('element', el)
      p.m.set('xmltext', new Y.XmlText('bare xml text'))
      const hook = new Y.XmlHook('hook-name')
      hook.set('data', { a: 1 })
      p.m.set('hook', hook)
    })
    p.change(() => {
      p.m.get('map').set('y', [1, 2, 3])
      p.m.get('array').push([new Y.Map()])
      p.m.get('array').get(3).set('deep', 'yes')
      p.m.get('text').insert(0, '>> ')
    })
    add(C, { name: 'map-nested-types', description: 'every shared type as a map value (ContentType), then edited', roots: M, updates: p.log, expect: p })
  }
  // deep nesting: maps in arrays in maps ...
  for (let i = 0; i < 3; i++) {
    const A = new Peer(500 + i, M, true)
    const B = new Peer(600 + i, M, i !== 1)
    A.change(() => {
      let cur = A.m
      for (let d = 0; d < 6; d++) {
        if (d % 2 === 0) {
          const arr = new Y.Array()
          cur.set('level' + d, arr)
          cur = arr
        } else {
          const m = new Y.Map()
          cur.insert(0, ['pad', m])
          cur = m
        }
      }
      cur.set('leaf', 'deep')
    })
    A.log.forEach(u => B.apply(u))
    // B edits at every depth, A edits the leaf concurrently
    B.change(() => {
      let cur = B.m
      for (let d = 0; d < 6; d++) {
        if (cur instanceof Y.Map) {
          cur.set('b' + d, d)
          cur = cur.get('level' + d) ?? cur
        } else {
          cur.insert(cur.length, [d])
          cur = cur.get(1)
        }
      }
    })
    A.change(() => {
      const walk = (t, d) => d === 6 ? t : walk(t instanceof Y.Map ? t.get('level' + d) : t.get(1), d + 1)
      const leaf = walk(A.m, 0)
      leaf.set('leaf', i === 2 ? new Y.Text('now a text') : 'changed')
    })
    syncAll([A, B])
    add(C, { name: `map-deep-nesting-${pad(i)}`, description: 'maps in arrays in maps six levels deep, concurrently edited at several depths', gc: i !== 1, roots: M, updates: [...A.log, ...B.log], svs: [B.sv()], expect: A })
  }
  // overwriting a key many times
  for (const gc of [true, false]) {
    const p = new Peer(9, M, gc)
    for (let k = 0; k < 12; k++) p.change(() => p.m.set('k', k % 3 === 0 ? { round: k } : k))
    p.change(() => p.m.delete('k'))
    p.change(() => p.m.set('k', 'final'))
    add(C, { name: `map-overwrite-same-client-${gc ? 'gc' : 'nogc'}`, description: 'one key overwritten 12 times, deleted, set again', gc, roots: M, updates: p.log, expect: p })
  }
  // concurrent overwrites with different delivery orders
  for (let i = 0; i < 10; i++) {
    const name = `map-concurrent-overwrite-${pad(i)}`
    const rng = rngFor(name)
    const n = rng.range(2, 5)
    const peers = Array.from({ length: n }, (_, j) => new Peer(rng.range(1, 2 ** 40), M, rng.bool()))
    for (let r = 0; r < 3; r++) {
      peers.forEach((p, j) => p.change(() => {
        const kind = rng.int(4)
        const v = kind === 0 ? new Y.Map() : kind === 1 ? new Y.Text('t' + j) : kind === 2 ? rng.pick(PRIMS) : new Y.Array()
        p.m.set(rng.pick(['x', 'y']), v instanceof Uint8Array ? v.slice() : v)
        if (rng.bool(0.3)) p.m.delete(rng.pick(['x', 'y']))
      }))
      // partial exchange between rounds
      const a = rng.pick(peers)
      const b = rng.pick(peers)
      if (a !== b) b.apply(a.state(b.sv()))
    }
    // edit into (possibly overwritten) nested types
    peers.forEach(p => p.change(() => {
      for (const key of ['x', 'y']) {
        const v = p.m.get(key)
        if (v instanceof Y.Map) v.set('inner', p.doc.clientID)
        else if (v instanceof Y.Text) v.insert(0, '!')
        else if (v instanceof Y.Array) v.push([p.doc.clientID])
      }
    }))
    syncAll(peers)
    const updates = rng.shuffle(peers.flatMap(p => p.log))
    add(C, { name, description: `${n} clients concurrently overwrite the same keys with values and nested types, shuffled delivery`, gc: rng.bool(), roots: M, updates, svs: [peers[0].sv()], expect: peers[0] })
  }
  // delete vs concurrent set
  {
    const A = new Peer(11, M, true)
    const B = new Peer(22, M, true)
    A.change(() => { A.m.set('k', 1); A.m.set('j', 2) })
    A.log.forEach(u => B.apply(u))
    A.change(() => A.m.delete('k'))
    B.change(() => { B.m.set('k', 'B wins'); B.m.delete('j') })
    A.change(() => A.m.set('j', 'A again'))
    syncAll([A, B])
    add(C, { name: 'map-delete-vs-set', description: 'a delete concurrent with an overwrite of the same key', roots: M, updates: [...B.log, ...A.log], expect: A })
  }
  // random map-only sessions
  for (let i = 0; i < 8; i++) {
    const name = `map-random-${pad(i)}`
    const rng = rngFor(name + '-ids')
    const ids = Array.from({ length: rng.range(2, 4) }, () => rng.range(1, 2 ** 32))
    const s = runSession(name, { clientIDs: ids, roots: M, gc: i % 2 === 0, steps: 40, ctx: { nest: 0.25, maxTypes: 10 } })
    add(C, { name, description: `${ids.length} clients randomly setting/deleting keys with all value kinds and nested types`, gc: i % 2 === 0, roots: M, updates: s.serverList, svs: s.svs, expect: s.peers[0] })
  }
}

// ---------------------------------------------------------------------------
// array

const genArray = () => {
  const C = 'array'
  const A1 = { a: 'array' }
  {
    const p = new Peer(1, A1, true)
    p.change(() => p.a.insert(0, ARRAY_PRIMS.map(v => v instanceof Uint8Array ? v.slice() : v)))
    add(C, { name: 'array-all-values-one-insert', description: 'one insert of every value kind (ContentAny runs split by ContentBinary)', roots: A1, updates: p.log, expect: p })
  }
  {
    const p = new Peer(2, A1, false)
    p.change(() => p.a.push([1, 2, 3]))
    p.change(() => p.a.unshift(['first']))
    p.change(() => p.a.insert(2, [new Uint8Array([1]), 'mid', new Uint8Array([2])]))
    p.change(() => p.a.delete(1, 3))
    p.change(() => p.a.push([[1, [2, [3]]], { o: [] }]))
    p.change(() => p.a.insert(0, [new Y.Array(), new Y.Map()]))
    p.change(() => { p.a.get(0).push(['inner']); p.a.get(1).set('k', 'v') })
    p.change(() => p.a.delete(0, 1))
    add(C, { name: 'array-basic-ops-nogc', description: 'push, unshift, insert binaries, delete ranges, nested arrays; gc off', gc: false, roots: A1, updates: p.log, expect: p })
    add(C, { name: 'array-basic-ops-gc', description: 'same updates as array-basic-ops-nogc, receiver gc on', gc: true, roots: A1, updates: p.log, expect: p })
  }
  // concurrent inserts at the same index and overlapping deletes
  for (let i = 0; i < 6; i++) {
    const name = `array-concurrent-same-index-${pad(i)}`
    const rng = rngFor(name)
    const peers = Array.from({ length: 2 + (i % 3) }, (_, j) => new Peer(10 * (j + 1) + i * (2 ** 33), A1, rng.bool()))
    peers[0].change(() => peers[0].a.insert(0, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]))
    peers.slice(1).forEach(p => p.apply(peers[0].state()))
    peers.forEach((p, j) => p.change(() => {
      p.a.insert(5, [`p${j}`, j])
      p.a.delete(rng.int(4), rng.range(1, 4))
      p.a.insert(0, [{ from: j }])
    }))
    syncAll(peers)
    const updates = rng.shuffle(peers.flatMap(p => p.log))
    add(C, { name, description: 'concurrent inserts at one index and overlapping deletes, shuffled', gc: i % 2 === 0, roots: A1, updates, svs: [peers[1].sv()], expect: peers[0] })
  }
  // nested arrays with edits into deleted arrays
  for (let i = 0; i < 4; i++) {
    const A = new Peer(3 + i, A1, true)
    const B = new Peer(4000 + i, A1, i % 2 === 0)
    A.change(() => {
      const inner = new Y.Array()
      inner.insert(0, ['a', 'b'])
      const innerMap = new Y.Map()
      innerMap.set('t', new Y.Text('xyz'))
      A.a.insert(0, [inner, innerMap, 'tail'])
    })
    B.apply(A.state())
    A.change(() => A.a.delete(0, i < 2 ? 1 : 2))
    B.change(() => {
      B.a.get(0).insert(1, ['from B'])
      B.a.get(1).get('t').insert(1, 'B')
      B.a.get(1).set('n', new Y.Array())
    })
    syncAll([A, B])
    add(C, { name: `array-edit-deleted-nested-${pad(i)}`, description: 'one client deletes nested types while another edits inside them', gc: i % 2 === 0, roots: A1, updates: [...A.log, ...B.log], svs: [B.sv()], expect: A })
  }
  // long arrays
  {
    const p = new Peer(12345, A1, true)
    p.change(() => p.a.insert(0, Array.from({ length: 300 }, (_, k) => k * 1000003)))
    p.change(() => p.a.delete(10, 150))
    for (let k = 0; k < 20; k++) p.change(() => p.a.insert(k * 3, [`ins${k}`]))
    add(C, { name: 'array-long', description: '300 integers in one ContentAny, a big delete, 20 inserts splitting it', roots: A1, updates: p.log, expect: p })
  }
  // random array sessions
  for (let i = 0; i < 12; i++) {
    const name = `array-random-${pad(i)}`
    const rng = rngFor(name + '-ids')
    const ids = Array.from({ length: rng.range(2, 5) }, () => rng.range(1, 2 ** 31))
    const s = runSession(name, { clientIDs: ids, roots: A1, gc: i % 3 !== 1, steps: 35, ctx: { nest: i % 2 ? 0.2 : 0, maxTypes: 10 } })
    add(C, { name, description: `${ids.length} clients random array inserts/deletes${i % 2 ? ' with nested types' : ''}`, gc: i % 3 !== 1, roots: A1, updates: s.serverList, svs: s.svs, expect: s.peers[0] })
  }
}

// ---------------------------------------------------------------------------
// xml

const genXml = () => {
  const C = 'xml'
  const X = { x: 'xmlfragment' }
  {
    const p = new Peer(1, X, true)
    p.change(() => {
      const p1 = new Y.XmlElement('p')
      p1.setAttribute('class', 'intro')
      p1.setAttribute('data-id', '7')
      const t = new Y.XmlText()
      t.insert(0, 'Hello ')
      t.insert(6, 'bold', { bold: true })
      t.insert(10, ' link', { a: { href: 'https://x.y/?q=1' } })
      p1.insert(0, [t])
      const ul = new Y.XmlElement('UL')
      const li1 = new Y.XmlElement('li')
      li1.insert(0, [new Y.XmlText('one 😀')])
      const li2 = new Y.XmlElement('li')
      li2.insert(0, [new Y.XmlText('two')])
      ul.insert(0, [li1, li2])
      p.x.insert(0, [p1, ul, new Y.XmlText('tail')])
    })
    p.change(() => p.x.get(0).setAttribute('class', 'changed'))
    p.change(() => p.x.get(0).removeAttribute('data-id'))
    p.change(() => p.x.get(1).get(0).get(0).format(0, 3, { em: {} }))
    add(C, { name: 'xml-document', description: 'fragment with elements, attributes, nested elements and formatted XmlText', roots: X, updates: p.log, expect: p })
  }
  {
    const p = new Peer(2, X, false)
    p.change(() => {
      const t = new Y.XmlText('colored')
      p.x.insert(0, [t])
    })
    p.change(() => p.x.get(0).format(0, 4, { color: 'red' }))
    p.change(() => p.x.get(0).format(2, 4, { bold: true, font: { family: 'serif', size: 3 } }))
    add(C, { name: 'xml-text-string-format-quirk', description: 'XmlText.toString with a string-valued format: attributes come from for..in over the string', gc: false, roots: X, updates: p.log, expect: p })
  }
  {
    const p = new Peer(3, X, true)
    p.change(() => {
      const h = new Y.XmlHook('mention')
      h.set('user', 'alice')
      h.set('n', 3)
      p.x.insert(0, [new Y.XmlText('hi '), h, new Y.XmlElement('br')])
    })
    add(C, { name: 'xml-hook', description: 'an XmlHook (a Y.Map with a hook name) inside a fragment', roots: X, updates: p.log, expect: p })
  }
  {
    const p = new Peer(4, X, true)
    p.change(() => {
      const e = new Y.XmlElement('img')
      e.setAttribute('width', 42)
      e.setAttribute('alt', 'a "quoted" <alt> & more')
      e.setAttribute('flag', true)
      p.x.insert(0, [e])
    })
    add(C, { name: 'xml-attribute-values', description: 'non-string and special-character attribute values (toString does not escape)', roots: X, updates: p.log, expect: p })
  }
  {
    const E = { e: 'xmlelement', xt: 'xmltext' }
    const p = new Peer(5, E, true)
    p.change(() => {
      p.get('e').setAttribute('lang', 'en')
      p.get('e').insert(0, [new Y.XmlText('inside root element')])
      p.get('xt').insert(0, 'root xml text ', { bold: true })
      p.get('xt').insert(14, 'plain')
    })
    p.change(() => p.get('xt').format(0, 4, { bold: null }))
    add(C, { name: 'xml-element-and-text-roots', description: 'root XmlElement (nodeName UNDEFINED) and root XmlText', roots: E, updates: p.log, expect: p })
  }
  // delete element subtrees
  for (const gc of [true, false]) {
    const p = new Peer(6, X, gc)
    p.change(() => {
      const div = new Y.XmlElement('div')
      const inner = new Y.XmlElement('span')
      inner.setAttribute('k', 'v')
      inner.insert(0, [new Y.XmlText('deep text')])
      div.insert(0, [inner, new Y.XmlText('sibling')])
      p.x.insert(0, [div, new Y.XmlElement('hr')])
    })
    p.change(() => p.x.delete(0, 1))
    add(C, { name: `xml-delete-subtree-${gc ? 'gc' : 'nogc'}`, description: 'delete an element with attributes and children', gc, roots: X, updates: p.log, expect: p })
  }
  // concurrent attribute sets and inserts
  for (let i = 0; i < 4; i++) {
    const peers = [new Peer(10 + i, X, true), new Peer(2 ** 32 + 10 + i, X, i % 2 === 0), new Peer(99 + i, X, true)]
    peers[0].change(() => {
      const e = new Y.XmlElement('p')
      e.insert(0, [new Y.XmlText('shared')])
      peers[0].x.insert(0, [e])
    })
    peers.slice(1).forEach(p => p.apply(peers[0].state()))
    peers.forEach((p, j) => p.change(() => {
      const e = p.x.get(0)
      e.setAttribute('class', 'by' + j)
      if (j === i % 3) e.removeAttribute('class')
      e.get(0).insert(0, 'x' + j) // the XmlText child
      e.insert(j % 2 ? e.length : 0, [new Y.XmlElement('b' + j)])
      p.x.insert(1, [new Y.XmlText('after ' + j)])
    }))
    syncAll(peers)
    add(C, { name: `xml-concurrent-${pad(i)}`, description: 'three clients set the same attribute and insert children concurrently', gc: true, roots: X, updates: [...peers[2].log, ...peers[0].log, ...peers[1].log], svs: [peers[1].sv()], expect: peers[0] })
  }
  // random xml sessions
  for (let i = 0; i < 18; i++) {
    const name = `xml-random-${pad(i)}`
    const rng = rngFor(name + '-ids')
    const roots = i % 3 === 0 ? { x: 'xmlfragment', e: 'xmlelement' } : X
    const ids = Array.from({ length: rng.range(2, 4) }, () => rng.range(1, 2 ** 32))
    const s = runSession(name, { clientIDs: ids, roots, gc: i % 2 === 0, steps: 40, ctx: { rich: i % 2 === 1, alphabet: ['ascii', 'multi', 'astral'], maxTypes: 14 } })
    add(C, { name, description: `${ids.length} clients randomly editing an XML tree (elements, attributes, XmlText${i % 2 ? ' with formats' : ''}, hooks)`, gc: i % 2 === 0, roots, updates: s.serverList, svs: s.svs, expect: s.peers[0] })
  }
}

// ---------------------------------------------------------------------------
// richtext: formats (ContentFormat) and embeds (ContentEmbed)

const genRichText = () => {
  const C = 'richtext'
  const cases = [
    ['insert-with-attributes', [['i', 0, 'Hello '], ['i', 6, 'bold', { bold: true }], ['i', 10, ' plain']]],
    ['format-range', [['i', 0, 'format me please'], ['f', 0, 6, { bold: true }], ['f', 3, 8, { italic: true }]]],
    ['unformat', [['i', 0, 'abcdef', { bold: true }], ['f', 2, 2, { bold: null }]]],
    ['link-object-attribute', [['i', 0, 'see link here'], ['f', 4, 4, { link: { href: 'https://example.com', rel: ['a', 'b'] } }]]],
    ['embeds', [['i', 0, 'text'], ['e', 2, { image: 'a.png' }], ['e', 0, 'string embed'], ['e', 6, [1, 2, 3], { width: 5 }]]],
    ['embed-delete', [['i', 0, 'ab'], ['e', 1, { formula: 'x^2' }], ['d', 1, 1]]],
    ['format-over-astral', [['i', 0, 'x😀y👍🏽z'], ['f', 1, 2, { bold: true }], ['f', 4, 3, { italic: true }]]],
    ['format-splits-surrogate', [['i', 0, '😀😀😀'], ['f', 1, 2, { bold: true }]]],
    ['same-tx-format-and-insert', [['tx', [['i', 0, 'abc'], ['f', 0, 3, { code: true }], ['i', 3, 'd', { code: true }]]]]],
    ['numeric-and-null-attrs', [['i', 0, 'sized', { size: 12, font: null }], ['f', 0, 5, { size: 14.5 }]]],
    ['delete-formatted', [['i', 0, 'keep '], ['i', 5, 'gone', { bold: true }], ['i', 9, ' keep'], ['d', 5, 4]]]
  ]
  cases.forEach(([slug, ops], i) => {
    for (const gc of [true, false]) {
      const p = new Peer(40 + i, T, gc)
      runTextOps(p, ops)
      add(C, { name: `richtext-${slug}-${gc ? 'gc' : 'nogc'}`, description: `Y.Text formats/embeds: ${slug}`, gc, roots: T, updates: p.log, expect: p })
    }
  })
  {
    const p = new Peer(60, TMA, true)
    p.change(() => {
      p.t.insert(0, 'type embeds: ')
      const m = new Y.Map()
      m.set('k', 'v')
      p.t.insertEmbed(13, m)
      p.t.insertEmbed(14, new Y.Text('inner'), { bold: true })
    })
    p.change(() => p.t.applyDelta([{ retain: 2 }, { insert: 'DELTA', attributes: { italic: true } }, { retain: 3, attributes: { bold: true } }, { delete: 1 }]))
    add(C, { name: 'richtext-type-embeds-and-delta', description: 'shared types embedded in text and applyDelta', roots: TMA, updates: p.log, expect: p })
  }
  // concurrent formatting (remote formatting triggers yjs's formatting cleanup on receivers)
  for (let i = 0; i < 6; i++) {
    const A = new Peer(70 + i, T, true)
    const B = new Peer(80 + i, T, i % 2 === 0)
    A.change(() => A.t.insert(0, 'The quick brown fox jumps'))
    B.apply(A.state())
    A.change(() => A.t.format(4 + i, 10, { bold: true }))
    B.change(() => B.t.format(2, 12 + i, i % 2 ? { bold: true } : { bold: null, italic: true }))
    B.change(() => B.t.insert(8, 'ZZ', { bold: true }))
    A.change(() => A.t.format(0, 25, { bold: null }))
    syncAll([A, B])
    add(C, { name: `richtext-concurrent-format-${pad(i)}`, description: 'overlapping concurrent format() calls (receivers clean up redundant format markers)', gc: i % 3 !== 0, roots: T, updates: [...A.log, ...B.log], svs: [B.sv()], expect: A })
  }
  for (let i = 0; i < 10; i++) {
    const name = `richtext-random-${pad(i)}`
    const rng = rngFor(name + '-ids')
    const ids = Array.from({ length: rng.range(2, 4) }, () => rng.range(1, 2 ** 32))
    const s = runSession(name, { clientIDs: ids, roots: T, gc: i % 2 === 0, steps: 40, ctx: { rich: true, alphabet: ['ascii', 'astral'] } })
    add(C, { name, description: `${ids.length} clients randomly inserting, formatting and embedding`, gc: i % 2 === 0, roots: T, updates: s.serverList, svs: s.svs, expect: s.peers[0] })
  }
}

// ---------------------------------------------------------------------------
// subdoc: Y.Doc values (ContentDoc)

const genSubdoc = () => {
  const C = 'subdoc'
  const MA = { m: 'map', a: 'array' }
  const variants = [
    ['default-opts', {}],
    ['gc-false', { gc: false }],
    ['autoload', { autoLoad: true }],
    ['meta', { meta: { title: 'Doc 😀', n: 3, nested: [true, null] } }],
    ['all-opts', { gc: false, autoLoad: true, meta: 'string meta' }],
    ['shouldload-false', { shouldLoad: false }]
  ]
  variants.forEach(([slug, opts], i) => {
    const p = new Peer(200 + i, MA, true)
    p.change(() => {
      p.m.set('doc', new Y.Doc({ guid: `guid-${slug}`, ...opts }))
      p.a.insert(0, ['before', new Y.Doc({ guid: `guid-${slug}-in-array`, ...opts }), 'after'])
    })
    add(C, { name: `subdoc-${slug}`, description: `subdocument in a map and an array, options ${JSON.stringify(opts)}`, roots: MA, updates: p.log, expect: p })
  })
  for (const gc of [true, false]) {
    const p = new Peer(300, MA, gc)
    p.change(() => p.m.set('doc', new Y.Doc({ guid: 'to-be-replaced' })))
    p.change(() => p.m.set('doc', new Y.Doc({ guid: 'replacement', autoLoad: true })))
    p.change(() => p.a.push([new Y.Doc({ guid: 'deleted-sub' }), new Y.Doc({ guid: 'kept-sub' })]))
    p.change(() => p.a.delete(0, 1))
    p.change(() => {
      const nested = new Y.Map()
      nested.set('inner', new Y.Doc({ guid: 'nested-sub', meta: { k: 1 } }))
      p.m.set('nested', nested)
    })
    add(C, { name: `subdoc-replace-delete-${gc ? 'gc' : 'nogc'}`, description: 'overwrite, delete and nest subdocuments', gc, roots: MA, updates: p.log, expect: p })
  }
  {
    const A = new Peer(400, MA, true)
    const B = new Peer(401, MA, true)
    A.change(() => A.m.set('doc', new Y.Doc({ guid: 'from-A' })))
    B.change(() => B.m.set('doc', new Y.Doc({ guid: 'from-B', meta: 'b' })))
    A.change(() => A.a.push([new Y.Doc({ guid: 'same-guid' })]))
    B.change(() => B.a.push([new Y.Doc({ guid: 'same-guid' })]))
    syncAll([A, B])
    add(C, { name: 'subdoc-concurrent', description: 'concurrent subdocument sets on one key; the same guid inserted twice', roots: MA, updates: [...B.log, ...A.log], expect: A })
  }
  for (let i = 0; i < 3; i++) {
    const name = `subdoc-random-${pad(i)}`
    const s = runSession(name, { clientIDs: [5 + i, 6 + i, 2 ** 40 + i], roots: MA, gc: i !== 1, steps: 30, ctx: { nest: 0.1, subdocs: true } })
    add(C, { name, description: 'random map/array session that also inserts subdocuments', gc: i !== 1, roots: MA, updates: s.serverList, svs: s.svs, expect: s.peers[0] })
  }
}

// ---------------------------------------------------------------------------
// contentjson: hand-encoded ContentJSON (info ref 2) items

const genContentJSON = () => {
  const C = 'contentjson'
  const A1 = { a: 'array' }
  const M = { m: 'map' }
  const values = [1, 'two', { three: 3, list: [4, 5] }, [6], null, true, 1.5, -7, 'ünï😀', undefined]
  {
    const u = encodeV1({ clients: [{ client: 7, clock: 0, structs: [{ parentKey: 'a', content: { json: values } }] }] })
    add(C, { name: 'contentjson-root-array', description: 'one ContentJSON item with every JSON kind plus "undefined" in a root array', roots: A1, updates: [u], expect: { a: normalize(values) } })
  }
  {
    const u1 = encodeV1({ clients: [{ client: 8, clock: 0, structs: [{ parentKey: 'm', parentSub: 'k', content: { json: ['first'] } }] }] })
    const u2 = encodeV1({ clients: [{ client: 8, clock: 1, structs: [{ origin: [8, 0], content: { json: ['a', { b: 'last wins' }] } }] }] })
    const u3 = encodeV1({ clients: [{ client: 9, clock: 0, structs: [{ parentKey: 'm', parentSub: 'other', content: { json: [undefined] } }] }] })
    add(C, { name: 'contentjson-map-values', description: 'ContentJSON map values: overwrite via origin, multi-element value (last element is the value), undefined', roots: M, updates: [u1, u2, u3] })
  }
  {
    // a ContentJSON item that yjs then splits (insert in the middle) and partially deletes
    const u = encodeV1({ clients: [{ client: 2 ** 32 + 3, clock: 0, structs: [{ parentKey: 'a', content: { json: ['j0', 'j1', 'j2', 'j3', 'j4'] } }] }] })
    for (const gc of [true, false]) {
      const p = new Peer(12, A1, gc)
      p.apply(u)
      p.change(() => p.a.insert(2, ['yjs']))
      p.change(() => p.a.delete(4, 2))
      p.change(() => p.a.push(['end']))
      add(C, { name: `contentjson-split-by-yjs-${gc ? 'gc' : 'nogc'}`, description: 'yjs splits a ContentJSON item, deletes part of it and appends', gc, roots: A1, updates: [u, ...p.log], svs: [Y.encodeStateVectorFromUpdate(u)], expect: p })
      if (gc) {
        // the peer's state re-encodes the split ContentJSON items
        add(C, { name: 'contentjson-reencoded-state', description: 'the full state of a doc holding split ContentJSON items', gc, roots: A1, updates: [p.state()], expect: p })
      }
    }
  }
  {
    // two concurrent ContentJSON inserts at the array start from different clients
    const ua = encodeV1({ clients: [{ client: 5, clock: 0, structs: [{ parentKey: 'a', content: { json: ['five-a', 'five-b'] } }] }] })
    const ub = encodeV1({ clients: [{ client: 9, clock: 0, structs: [{ parentKey: 'a', content: { json: ['nine'] } }] }] })
    add(C, { name: 'contentjson-concurrent', description: 'concurrent ContentJSON inserts from clients 5 and 9 at the same position', roots: A1, updates: [ub, ua] })
  }
  {
    // ContentJSON in a nested Y.Array created by yjs (parent given as an ID)
    const p = new Peer(33, M, true)
    p.change(() => p.m.set('list', new Y.Array()))
    const listItem = p.m._map.get('list').id
    const u = encodeV1({ clients: [{ client: 44, clock: 0, structs: [{ parentID: [listItem.client, listItem.clock], content: { json: [{ nested: true }, 'x'] } }] }] })
    p.apply(u)
    p.change(() => p.m.get('list').insert(1, ['between']))
    add(C, { name: 'contentjson-nested-parent-id', description: 'ContentJSON item whose parent is a nested Y.Array addressed by ID', roots: M, updates: [p.log[0], u, ...p.log.slice(1)], expect: p })
  }
  {
    // ContentJSON followed by a delete set in the same hand-written update, and a string item in a text
    const u = encodeV1({
      clients: [{ client: 3, clock: 0, structs: [{ parentKey: 'a', content: { json: ['d0', 'd1', 'd2'] } }, { origin: [3, 2], content: { any: ['any-after'] } }] }],
      ds: [{ client: 3, ranges: [[1, 1]] }]
    })
    add(C, { name: 'contentjson-with-delete-set', description: 'hand-encoded ContentJSON + ContentAny with a delete set removing the middle JSON element', roots: A1, updates: [u] })
    add(C, { name: 'contentjson-with-delete-set-nogc', description: 'same as contentjson-with-delete-set, receiver gc off', gc: false, roots: A1, updates: [u] })
    const t = encodeV1({ clients: [{ client: 4, clock: 0, structs: [{ parentKey: 't', content: { string: 'ab' } }, { origin: [4, 1], content: { json: ['hidden'] } }, { origin: [4, 2], content: { string: 'cd' } }] }] })
    add(C, { name: 'contentjson-in-text', description: 'a ContentJSON item inside a Y.Text (counted in length, ignored by toString)', roots: T, updates: [t] })
  }
  {
    // out-of-order: the ContentJSON item arrives after an item that references it
    const u1 = encodeV1({ clients: [{ client: 6, clock: 0, structs: [{ parentKey: 'a', content: { json: ['early'] } }] }] })
    const u2 = encodeV1({ clients: [{ client: 6, clock: 1, structs: [{ origin: [6, 0], content: { json: ['late', 2] } }] }] })
    add(C, { name: 'contentjson-out-of-order', description: 'two ContentJSON updates delivered in reverse order', roots: A1, updates: [u2, u1] })
  }
}

// ---------------------------------------------------------------------------
// gc: gc on/off, GC structs, deleted nested types

const genGC = () => {
  const C = 'gc'
  const MA = { m: 'map', a: 'array', t: 'text' }
  const build = (peerGC) => {
    const p = new Peer(50, MA, peerGC)
    p.change(() => {
      p.t.insert(0, 'some text that will be partly deleted 😀')
      const inner = new Y.Map()
      inner.set('t', new Y.Text('deep'))
      inner.set('a', new Y.Array())
      p.m.set('nested', inner)
      p.m.set('plain', 'value')
      const arr = new Y.Array()
      arr.insert(0, [new Y.Map(), 'x', new Uint8Array([1, 2])])
      p.a.insert(0, [arr, 'keep', new Y.Text('to delete')])
    })
    p.change(() => {
      p.m.get('nested').get('a').push([1, 2, 3])
      p.a.get(0).get(0).set('k', 'v')
    })
    p.change(() => {
      p.t.delete(5, 10)
      p.t.delete(p.t.length - 2, 2)
      p.m.delete('nested')
      p.m.set('plain', 'overwritten')
      p.a.delete(0, 1)
      p.a.delete(1, 1)
    })
    return p
  }
  for (const peerGC of [true, false]) {
    const p = build(peerGC)
    for (const gc of [true, false]) {
      add(C, { name: `gc-incremental-peer${peerGC ? 'gc' : 'nogc'}-receiver${gc ? 'gc' : 'nogc'}`, description: 'incremental updates, then deletes of text and whole nested types', gc, roots: MA, updates: p.log, expect: p })
      add(C, { name: `gc-full-state-peer${peerGC ? 'gc' : 'nogc'}-receiver${gc ? 'gc' : 'nogc'}`, description: `encodeStateAsUpdate of a peer with gc ${peerGC ? 'on (ContentDeleted and GC structs)' : 'off (deleted content kept)'}`, gc, roots: MA, updates: [p.state()], expect: p })
    }
  }
  // concurrent insert into a type that another client deleted and garbage collected
  for (let i = 0; i < 4; i++) {
    const A = new Peer(60 + i, MA, true)
    const B = new Peer(70 + i, MA, i % 2 === 1)
    A.change(() => {
      const inner = new Y.Array()
      inner.insert(0, ['a', 'b'])
      A.m.set('inner', inner)
      A.a.insert(0, [new Y.Text('txt')])
    })
    B.apply(A.state())
    A.change(() => { A.m.delete('inner'); A.a.delete(0, 1) })
    B.change(() => {
      B.m.get('inner').insert(1, ['B was here', new Y.Map()])
      B.a.get(0).insert(3, ' more')
    })
    B.change(() => B.m.get('inner').get(2).set('x', 1))
    syncAll([A, B])
    const orders = [[...A.log, ...B.log], [...B.log, ...A.log], [A.state()].concat(B.log), [A.state(), B.state()]]
    add(C, { name: `gc-insert-into-deleted-${pad(i)}`, description: 'inserts into a nested type that was concurrently deleted (and gc\'d) become GC structs', gc: i < 2, roots: MA, updates: orders[i], svs: [B.sv(), A.sv()], expect: A })
  }
  // hand-written GC structs followed by items that reference them
  {
    const u1 = encodeV1({ clients: [{ client: 15, clock: 0, structs: [{ gc: 4 }, { parentKey: 'a', content: { any: ['after gc'] } }] }] })
    const u2 = encodeV1({ clients: [{ client: 16, clock: 0, structs: [{ origin: [15, 3], content: { any: ['origin in gc'] } }, { parentKey: 'a', content: { deleted: 2 } }] }] })
    add(C, { name: 'gc-handwritten-gc-structs', description: 'hand-written update with GC structs, an item whose origin is inside a GC range, and ContentDeleted', roots: { a: 'array' }, updates: [u1, u2] })
  }
  // many small deletes -> merged GC / deleted ranges in the state
  for (const gc of [true, false]) {
    const p = new Peer(90, T, true)
    for (let k = 0; k < 30; k++) p.change(() => p.t.insert(p.t.length, `w${k} `))
    for (let k = 0; k < 15; k++) p.change(() => p.t.delete(k * 2, 2))
    add(C, { name: `gc-many-small-deletes-${gc ? 'gc' : 'nogc'}`, description: '30 appends and 15 scattered deletes (delete set with many ranges)', gc, roots: T, updates: p.log, expect: p })
    add(C, { name: `gc-many-small-deletes-state-${gc ? 'gc' : 'nogc'}`, description: 'state of gc-many-small-deletes as a single update', gc, roots: T, updates: [p.state()], expect: p })
  }
  // random sessions with heavy deletion of nested types
  for (let i = 0; i < 10; i++) {
    const name = `gc-random-${pad(i)}`
    const rng = rngFor(name + '-ids')
    const ids = Array.from({ length: rng.range(2, 4) }, () => rng.range(1, 2 ** 32))
    const s = runSession(name, { clientIDs: ids, roots: { m: 'map', a: 'array' }, gc: i % 2 === 0, peerGC: i % 4 < 2, steps: 40, ctx: { nest: 0.4, maxTypes: 12 } })
    const updates = i % 3 === 0 ? [s.peers[0].state()] : s.serverList
    add(C, { name, description: `random nested-type churn, peers gc ${i % 4 < 2 ? 'on' : 'off'}${i % 3 === 0 ? ', receiver gets one full state' : ''}`, gc: i % 2 === 0, roots: { m: 'map', a: 'array' }, updates, svs: s.svs, expect: s.peers[0] })
  }
}

// ---------------------------------------------------------------------------
// merge: inputs that are themselves merged (incl. Skip structs) or diffed

const genMerge = () => {
  const C = 'merge'
  for (let i = 0; i < 24; i++) {
    const name = `merge-${pad(i)}`
    const rng = rngFor(name)
    const roots = i % 2 ? TMA : T
    const n = rng.range(1, 3)
    const peers = Array.from({ length: n }, (_, j) => new Peer(rng.range(1, 2 ** 32) + j, roots, rng.bool()))
    const steps = rng.range(8, 20)
    const mids = []
    for (let k = 0; k < steps; k++) {
      const p = rng.pick(peers)
      p.change(() => randomOp(rng, p, { alphabet: ['ascii', 'astral'], nest: 0.1 }))
      if (rng.bool(0.5)) { const q = rng.pick(peers); if (q !== p) q.apply(p.state(q.sv())) }
      if (rng.bool(0.15)) mids.push(p.sv())
    }
    syncAll(peers)
    const all = peers.flatMap(p => p.log)
    const mode = i % 6
    let updates
    let description
    if (mode === 0) {
      // contiguous halves merged
      const h = rng.int(all.length)
      updates = [Y.mergeUpdates(all.slice(0, h + 1)), Y.mergeUpdates(all.slice(h + 1).length ? all.slice(h + 1) : [all[0]])]
      description = 'two merged halves of the update log'
    } else if (mode === 1) {
      // non-contiguous: every other update merged (Skip structs), then the rest
      const even = all.filter((_, k) => k % 2 === 0)
      const odd = all.filter((_, k) => k % 2 === 1)
      updates = [Y.mergeUpdates(even), ...(odd.length ? [Y.mergeUpdates(odd)] : [])]
      description = 'even and odd updates merged separately (non-contiguous, with Skip structs)'
    } else if (mode === 2) {
      // non-contiguous merge first, then the gaps one by one in random order
      const pickd = all.filter(() => rng.bool(0.5))
      const rest = all.filter(u => !pickd.includes(u))
      updates = [Y.mergeUpdates(pickd.length ? pickd : [all[0]]), ...rng.shuffle(rest)]
      description = 'a random non-contiguous subset merged, then the remaining updates shuffled'
    } else if (mode === 3) {
      // diffs against intermediate state vectors
      const full = Y.mergeUpdates(all)
      const sv = mids.length ? rng.pick(mids) : EMPTY_SV
      updates = [Y.diffUpdate(full, sv), ...all.filter(() => rng.bool(0.7))]
      description = 'Y.diffUpdate of the merged log against an intermediate state vector, plus most of the log'
    } else if (mode === 4) {
      // merge with duplicates and of merges
      const a = Y.mergeUpdates(all.slice(0, Math.ceil(all.length / 2) + 1))
      const b = Y.mergeUpdates([...all.slice(Math.floor(all.length / 3)), all[0]])
      updates = [Y.mergeUpdates([b, a]), a]
      description = 'merge of overlapping merged updates (duplicates inside)'
    } else {
      // per-client merges
      updates = peers.map(p => Y.mergeUpdates(p.log.length ? p.log : [p.state()]))
      description = 'each client\'s updates merged into one'
    }
    add(C, { name, description, gc: rng.bool(0.6), roots, updates, svs: mids.slice(-2), expect: mode === 3 ? undefined : peers[0] })
  }
  // empty updates (no structs, no deletes) mixed in
  {
    const p = new Peer(77, T, true)
    p.change(() => p.t.insert(0, 'between empties'))
    const empty = Y.encodeStateAsUpdate(new Y.Doc())
    add(C, { name: 'merge-empty-updates', description: 'empty updates (0 clients, 0 deletes) before and after a real one', roots: T, updates: [empty, p.log[0], empty], expect: p })
    add(C, { name: 'merge-only-empty-update', description: 'a single empty update', roots: T, updates: [empty] })
  }
  // explicit skip struct that is never filled: pending at the end
  {
    const p = new Peer(123, T, true)
    for (let k = 0; k < 5; k++) p.change(() => p.t.insert(p.t.length, String(k)))
    const u = Y.mergeUpdates([p.log[0], p.log[2], p.log[4]])
    add(C, { name: 'merge-skip-never-filled', description: 'merge of updates 0, 2 and 4 of one client (Skip structs); 1 and 3 never arrive', roots: T, updates: [u], expectPending: true })
    add(C, { name: 'merge-skip-filled-later', description: 'merge of updates 0, 2 and 4, then 3 and 1 arrive', roots: T, updates: [u, p.log[3], p.log[1]], expectPending: false, expect: p })
  }
}

// ---------------------------------------------------------------------------
// pending: out-of-order delivery and never-delivered dependencies

const genPending = () => {
  const C = 'pending'
  // one client, its updates in reverse order (all structs pending until the first arrives)
  {
    const p = new Peer(1, T, true)
    for (let k = 0; k < 6; k++) p.change(() => p.t.insert(rng0(k, p.t.length), 'ab'[k % 2] + k))
    add(C, { name: 'pending-reversed-one-client', description: 'one client\'s updates delivered in reverse order', roots: T, updates: [...p.log].reverse(), expect: p, expectPending: false })
    add(C, { name: 'pending-missing-first', description: 'the first update never arrives: everything stays pending', roots: T, updates: p.log.slice(1), expectPending: true })
    add(C, { name: 'pending-missing-middle', description: 'update 3 of 6 never arrives', roots: T, updates: [...p.log.slice(0, 2), ...p.log.slice(3)], expectPending: true })
  }
  // pending deletes
  {
    const p = new Peer(2, TMA, true)
    p.change(() => { p.t.insert(0, 'hello world'); p.a.insert(0, [1, 2, 3]) })
    p.change(() => p.m.set('k', 'v'))
    p.change(() => { p.t.delete(0, 6); p.a.delete(1, 1); p.m.delete('k') })
    add(C, { name: 'pending-delete-before-insert', description: 'a delete-only update arrives before the inserts it deletes', roots: TMA, updates: [p.log[2], p.log[0], p.log[1]], expect: p, expectPending: false })
    add(C, { name: 'pending-delete-never-resolved', description: 'a delete-only update whose targets never arrive (pendingDs stays)', roots: TMA, updates: [p.log[2]], expectPending: true })
    add(C, { name: 'pending-delete-partly-resolved', description: 'deletes of known and unknown structs: known part applied, the rest pending', roots: TMA, updates: [p.log[0], p.log[2]], expectPending: true })
  }
  // a second client depends on the first (origin / parent references)
  {
    const A = new Peer(10, TMA, true)
    const B = new Peer(2 ** 32 + 10, TMA, true)
    A.change(() => { A.t.insert(0, 'A text'); A.m.set('inner', new Y.Map()) })
    A.change(() => A.t.insert(6, ' more'))
    B.apply(A.state())
    B.change(() => { B.t.insert(8, 'B'); B.m.get('inner').set('b', 1) })
    B.change(() => B.t.delete(0, 2))
    add(C, { name: 'pending-cross-client-resolved', description: 'B\'s edits (depending on A) arrive first, then A\'s', roots: TMA, updates: [...B.log, ...A.log], expect: B, expectPending: false })
    add(C, { name: 'pending-cross-client-missing-origin', description: 'A\'s second update never arrives; B\'s insert referencing it stays pending', roots: TMA, updates: [A.log[0], ...B.log], expectPending: true })
    add(C, { name: 'pending-cross-client-missing-parent', description: 'only B\'s updates arrive: B\'s items in A\'s nested map are pending', roots: TMA, updates: [...B.log], expectPending: true })
    add(C, { name: 'pending-state-includes-pending', description: 'pending structs and deletes are re-emitted by encodeStateAsUpdate', gc: false, roots: TMA, updates: [B.log[1], A.log[1], B.log[0]], expectPending: true })
  }
  // yjs's pending bookkeeping can leave applicable structs pending: after a
  // retry, X's item (waiting for Y@2) is filed under Y's missing clock just
  // below Y's far-away later struct, so Y@2 arriving does not trigger a retry.
  {
    const Yp = new Peer(5, T, true)
    const Xp = new Peer(9, T, true)
    const y1 = Yp.op(() => Yp.t.insert(0, 'aa'))
    const y2 = Yp.op(() => Yp.t.insert(2, 'bb'))
    const y2b = Yp.op(() => Yp.t.insert(4, 'cc'))
    const y3 = Yp.op(() => Yp.t.insert(6, 'dd'))
    Xp.apply(y1)
    Xp.apply(y2)
    const x = Xp.op(() => Xp.t.insert(3, 'X'))
    add(C, { name: 'pending-stale-missing-clock', description: 'y3 and x (needs y2) arrive first, y1 triggers a retry that files x under y3\'s gap; y2 then arrives but x stays pending; y2b never arrives', roots: T, updates: [y3, x, y1, y2], expectPending: true })
    add(C, { name: 'pending-stale-missing-clock-resolved', description: 'as pending-stale-missing-clock, then y2b arrives and everything integrates', roots: T, updates: [y3, x, y1, y2, y2b], expectPending: false, expect: { t: 'aabXbccdd' } })
  }
  // random sessions where the receiver drops some updates or gets them shuffled
  for (let i = 0; i < 24; i++) {
    const name = `pending-random-${pad(i)}`
    const rng = rngFor(name + '-ids')
    const ids = Array.from({ length: rng.range(2, 5) }, () => rng.range(1, 2 ** 33))
    const roots = i % 2 ? TMA : T
    const s = runSession(name, { clientIDs: ids, roots, gc: i % 3 !== 0, steps: rng.range(10, 40), finalSync: false, ctx: { alphabet: ['ascii', 'astral'], nest: 0.15 } })
    const all = s.peers.flatMap(p => p.log)
    let updates
    let description
    if (i % 3 === 0) {
      updates = rng.shuffle([...all])
      description = 'every update of every client, fully shuffled (pending structs and deletes resolve)'
    } else if (i % 3 === 1) {
      updates = rng.shuffle(all.filter(() => rng.bool(0.85)))
      if (!updates.length) updates = [all[0]]
      description = 'about 15% of the updates never arrive, the rest shuffled'
    } else {
      const keep = all.filter(() => rng.bool(0.9))
      updates = [...keep.slice(Math.floor(keep.length / 2)), ...keep.slice(0, Math.floor(keep.length / 2))]
      if (!updates.length) updates = [all[all.length - 1]]
      description = 'second half of the log first, ~10% lost'
    }
    add(C, { name, description, gc: i % 3 !== 0, roots, updates, svs: s.svs, expect: i % 3 === 0 ? s.peers[0] : undefined })
  }
}

/** A deterministic insert position for genPending's scripted client. */
const rng0 = (k, len) => (k * 7) % (len + 1)

export const generators = [genText, genConcurrent, genClientIDs, genMap, genArray, genXml, genRichText, genSubdoc, genContentJSON, genGC, genMerge, genPending]

for (const gen of generators) gen()
writeAll()
