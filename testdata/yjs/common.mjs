// Shared helpers for generate.mjs, apply.mjs and check.mjs: root getters,
// JSON normalization and the "receiver" that applies a list of updates.
import * as Y from 'yjs'

/** Root kinds understood by the fixtures, mapped to the yjs type constructors. */
export const ROOT_KINDS = {
  text: Y.Text,
  map: Y.Map,
  array: Y.Array,
  xmlfragment: Y.XmlFragment,
  xmlelement: Y.XmlElement,
  xmltext: Y.XmlText
}

/**
 * Returns the root type `name` of `doc` as the given kind.
 * @param {Y.Doc} doc
 * @param {string} name
 * @param {string} kind
 */
export const getRoot = (doc, name, kind) => {
  const ctor = ROOT_KINDS[kind]
  if (ctor === undefined) {
    throw new Error(`unknown root kind ${JSON.stringify(kind)} for root ${JSON.stringify(name)}`)
  }
  return doc.get(name, ctor)
}

export const toBase64 = (/** @type {Uint8Array} */ bytes) => Buffer.from(bytes).toString('base64')

export const fromBase64 = (/** @type {string} */ s) => {
  if (typeof s !== 'string') {
    throw new Error(`expected a base64 string, got ${typeof s}`)
  }
  const buf = Buffer.from(s, 'base64')
  // Buffer silently skips invalid characters; insist on canonical padded base64.
  if (buf.toString('base64') !== s) {
    throw new Error(`invalid base64 ${JSON.stringify(s.length > 40 ? s.slice(0, 40) + '...' : s)}`)
  }
  return new Uint8Array(buf)
}

/**
 * Maps a value returned by toJSON() onto plain JSON (see README.md).
 * @param {any} v
 * @return {any}
 */
export const normalize = (v) => {
  if (v === undefined) return { $undefined: true }
  if (v === null) return null
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return v
    case 'number':
      if (Object.is(v, -0)) return { $number: '-0' }
      if (Number.isNaN(v)) return { $number: 'NaN' }
      if (v === Infinity) return { $number: 'Infinity' }
      if (v === -Infinity) return { $number: '-Infinity' }
      return v
    case 'bigint':
      return { $bigint: v.toString(10) }
    case 'object':
      break
    default:
      throw new Error(`cannot normalize a value of type ${typeof v}`)
  }
  if (v instanceof Uint8Array) return { $binary: toBase64(v) }
  if (v instanceof Y.Doc) return { $doc: v.guid }
  if (v instanceof Y.AbstractType) return normalize(v.toJSON())
  if (Array.isArray(v)) return v.map(normalize)
  if (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null) {
    const out = {}
    for (const key of Object.keys(v)) {
      out[key] = normalize(v[key])
    }
    return out
  }
  throw new Error(`cannot normalize an object of class ${v.constructor && v.constructor.name}`)
}

/**
 * Normalized toJSON() of every root of `doc`.
 * @param {Y.Doc} doc
 * @param {Object<string,string>} roots
 */
export const rootsJSON = (doc, roots) => {
  const json = {}
  for (const [name, kind] of Object.entries(roots)) {
    json[name] = normalize(getRoot(doc, name, kind).toJSON())
  }
  return json
}

/** True iff the doc holds structs or deletes it could not apply yet. */
export const hasPending = (/** @type {Y.Doc} */ doc) =>
  doc.store.pendingStructs !== null || doc.store.pendingDs !== null

/**
 * The receiver: a fresh doc whose roots are declared (doc.get) first, then the
 * updates are applied in order with Y.applyUpdate.
 * @param {boolean} gc
 * @param {Object<string,string>} roots
 * @param {Array<Uint8Array>} updates
 * @return {Y.Doc}
 */
export const receive = (gc, roots, updates) => {
  if (typeof gc !== 'boolean') throw new Error('"gc" must be a boolean')
  if (roots === null || typeof roots !== 'object' || Array.isArray(roots)) throw new Error('"roots" must be an object')
  if (!Array.isArray(updates)) throw new Error('"updates" must be an array')
  const doc = new Y.Doc({ gc })
  // The receiver's own client id never appears in the fixtures unless yjs
  // creates content on its own; fix it anyway for determinism.
  doc.clientID = 424242
  for (const [name, kind] of Object.entries(roots)) {
    getRoot(doc, name, kind)
  }
  updates.forEach((u, i) => {
    try {
      Y.applyUpdate(doc, u, 'remote')
    } catch (e) {
      throw new Error(`applying update #${i}: ${e && e.message}`)
    }
  })
  return doc
}

/**
 * What apply.mjs reports for a receiver doc.
 * @param {Y.Doc} doc
 * @param {Object<string,string>} roots
 */
export const describe = (doc, roots) => ({
  json: rootsJSON(doc, roots),
  stateVector: toBase64(Y.encodeStateVector(doc)),
  state: toBase64(Y.encodeStateAsUpdate(doc)),
  pending: hasPending(doc)
})
