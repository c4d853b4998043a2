// Writes lib0/any.json: byte fixtures made by the real lib0 for
// crdt/internal/lib0's tests. Run with `node lib0-fixtures.mjs`; the output is
// deterministic and committed.
//
// any.json holds three lists:
//   any:     {name, bytes, value, reencoded}: bytes is the input, value the tagged
//            form of decoding.readAny(bytes) (see tag below), reencoded the bytes of
//            encoding.writeAny(readAny(bytes)). For values written by writeAny
//            itself, reencoded equals bytes; the "decode only" cases are inputs
//            writeAny never produces but readAny accepts.
//   varUint: {value, bytes} from encoding.writeVarUint.
//   varInt:  {value, bytes} from encoding.writeVarInt ("-0" for negative zero).
import * as encoding from 'lib0/encoding'
import * as decoding from 'lib0/decoding'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const HERE = path.dirname(fileURLToPath(import.meta.url))
const OUT = path.join(HERE, 'lib0', 'any.json')

const b64 = (bytes) => Buffer.from(bytes).toString('base64')

/** Renders a JavaScript number so that Go's strconv.ParseFloat reads it back exactly. */
const num = (x) => Object.is(x, -0) ? '-0' : String(x)

/**
 * Maps a decoded lib0 value onto JSON that keeps what plain JSON would lose:
 * the type (number, bigint, undefined, Uint8Array), -0, NaN, ±Infinity, and
 * the enumeration order of object keys.
 */
const tag = (v) => {
  if (v === undefined) return { undefined: true }
  if (v === null) return { null: true }
  if (v instanceof Uint8Array) return { bytes: b64(v) }
  if (Array.isArray(v)) return { array: v.map(tag) }
  switch (typeof v) {
    case 'number': return { number: num(v) }
    case 'bigint': return { bigint: v.toString() }
    case 'string': return { string: v }
    case 'boolean': return { bool: v }
    case 'object': return { object: Object.keys(v).map((k) => [k, tag(v[k])]) }
  }
  throw new Error(`cannot tag ${typeof v}`)
}

const encodeAny = (v) => {
  const e = encoding.createEncoder()
  encoding.writeAny(e, v)
  return encoding.toUint8Array(e)
}

/** Builds raw bytes with lib0's encoder, for inputs writeAny never produces. */
const raw = (f) => {
  const e = encoding.createEncoder()
  f(e)
  return encoding.toUint8Array(e)
}

const any = []
const addBytes = (name, bytes) => {
  const d = decoding.createDecoder(bytes)
  const v = decoding.readAny(d)
  if (d.pos !== bytes.length) throw new Error(`${name}: ${bytes.length - d.pos} bytes left`)
  any.push({ name, bytes: b64(bytes), value: tag(v), reencoded: b64(encodeAny(v)) })
}
const addValue = (name, v) => addBytes(name, encodeAny(v))

// Numbers: integers up to 31 bits are var-ints, float32-exact values float32, the rest float64.
const numbers = {
  zero: 0,
  'negative zero': -0,
  one: 1,
  'minus one': -1,
  63: 63,
  64: 64,
  '-64': -64,
  8191: 8191,
  8192: 8192,
  '2^31-1': 2 ** 31 - 1,
  '-(2^31-1)': -(2 ** 31 - 1),
  '2^31': 2 ** 31,
  '-2^31': -(2 ** 31),
  '2^31+1': 2 ** 31 + 1,
  '2^32': 2 ** 32,
  '2^32+1': 2 ** 32 + 1,
  '2^53-1': 2 ** 53 - 1,
  '-(2^53-1)': -(2 ** 53 - 1),
  '2^53': 2 ** 53,
  '1e21': 1e21,
  0.5: 0.5,
  '-0.25': -0.25,
  1.1: 1.1,
  0.1: 0.1,
  'max float32': 3.4028234663852886e38,
  'smallest float32 denormal': 1.401298464324817e-45,
  'smallest float64 denormal': 5e-324,
  'max float64': Number.MAX_VALUE,
  'float32 1.5': 1.5,
  'float32 -1234.5': -1234.5,
  'float32 2^-20': 2 ** -20,
  NaN: NaN,
  Infinity: Infinity,
  '-Infinity': -Infinity
}
for (const [name, v] of Object.entries(numbers)) addValue(`number ${name}`, v)

addValue('string empty', '')
addValue('string ascii', 'hello')
addValue('string emoji', '😀 family 👨‍👩‍👧 flag 🇫🇷')
addValue('string accents and CJK', 'héllo wörld 你好')
addValue('string NUL and controls', 'a\u0000b\n\t\u001f')
addValue('string BOM kept', '\uFEFFbom')
addValue('string U+2028', 'line\u2028sep')
addValue('string 200 bytes', 'x'.repeat(200))
addValue('true', true)
addValue('false', false)
addValue('null', null)
addValue('undefined', undefined)
addValue('bigint 0', 0n)
addValue('bigint -1', -1n)
addValue('bigint 2^53', 2n ** 53n)
addValue('bigint max int64', 2n ** 63n - 1n)
addValue('bigint min int64', -(2n ** 63n))
addValue('Uint8Array empty', new Uint8Array())
addValue('Uint8Array', new Uint8Array([0, 1, 2, 127, 128, 255]))
addValue('array empty', [])
addValue('array mixed', [1, 'two', null, undefined, true, 2.5, [3], { four: 4 }, new Uint8Array([5]), 6n])
addValue('object empty', {})
addValue('object integer-like keys', { b: 1, 10: 2, 2: 3, a: 4 })
addValue('object index key limits', { x: 0, 4294967295: 1, 4294967294: 2, '01': 3, '-1': 4, 1.5: 5, 0: 6 })
addValue('object nested', { user: { name: 'Ada', color: '#30bced', cursor: { anchor: 3, head: null } }, tags: ['a', 'b'], n: -7 })
addValue('object emoji key', { '😀': 'smile', '': 'empty key' })
let deep = 'bottom'
for (let i = 0; i < 100; i++) deep = [deep]
addValue('array nested 100 deep', deep)

// Decode only: bytes writeAny never writes, decoded and re-encoded by lib0.
addBytes('decode only: integer beyond 31 bits', raw((e) => { encoding.write(e, 125); encoding.writeVarInt(e, 2 ** 40) }))
addBytes('decode only: negative zero integer', raw((e) => { encoding.write(e, 125); encoding.write(e, 0x40) }))
addBytes('decode only: float64 holding an integer', raw((e) => { encoding.write(e, 123); encoding.writeFloat64(e, 7) }))
addBytes('decode only: float32 NaN', raw((e) => { encoding.write(e, 124); encoding.writeUint32BigEndian(e, 0x7fc00000) }))
addBytes('decode only: float64 NaN with payload', raw((e) => { encoding.write(e, 123); encoding.writeUint32BigEndian(e, 0x7ff80000); encoding.writeUint32BigEndian(e, 1) }))
addBytes('decode only: non-minimal length', raw((e) => { encoding.write(e, 119); encoding.write(e, 0x82); encoding.write(e, 0x00); encoding.write(e, 0x68); encoding.write(e, 0x69) }))
addBytes('decode only: duplicate object keys', raw((e) => {
  encoding.write(e, 118)
  encoding.writeVarUint(e, 3)
  for (const [k, v] of [['a', 1], ['b', 2], ['a', 3]]) { encoding.writeVarString(e, k); encoding.writeAny(e, v) }
}))
addBytes('decode only: index key after string keys', raw((e) => {
  encoding.write(e, 118)
  encoding.writeVarUint(e, 3)
  for (const [k, v] of [['z', 1], ['5', 2], ['3', 3]]) { encoding.writeVarString(e, k); encoding.writeAny(e, v) }
}))
addBytes('decode only: __proto__ key is not an own property', raw((e) => {
  encoding.write(e, 118)
  encoding.writeVarUint(e, 2)
  encoding.writeVarString(e, '__proto__')
  encoding.writeAny(e, 1)
  encoding.writeVarString(e, 'x')
  encoding.writeAny(e, 2)
}))

const varUint = [0, 1, 63, 64, 127, 128, 255, 256, 2 ** 14 - 1, 2 ** 14, 2 ** 21 - 1, 2 ** 21, 2 ** 28 - 1, 2 ** 28,
  2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 35, 2 ** 42, 2 ** 49 - 1, 2 ** 49, 2 ** 53 - 1]
  .map((v) => ({ value: v, bytes: b64(raw((e) => encoding.writeVarUint(e, v))) }))

const varInt = [0, -0, 1, -1, 63, -63, 64, -64, 8191, -8191, 8192, -8192, 2 ** 20, -(2 ** 20), 2 ** 31 - 1,
  -(2 ** 31 - 1), 2 ** 31, -(2 ** 31), 2 ** 32, 2 ** 53 - 1, -(2 ** 53 - 1)]
  .map((v) => ({ value: num(v), bytes: b64(raw((e) => encoding.writeVarInt(e, v))) }))

fs.mkdirSync(path.dirname(OUT), { recursive: true })
fs.writeFileSync(OUT, JSON.stringify({ any, varUint, varInt }, null, 2) + '\n')
console.log(`wrote ${path.relative(HERE, OUT)}: ${any.length} any values, ${varUint.length} var-uints, ${varInt.length} var-ints`)
