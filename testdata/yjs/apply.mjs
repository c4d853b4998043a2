// Applies updates with the real yjs and reports the result; used by the Go
// tests to check updates that pairpad's crdt package produced.
//
// stdin:  {"gc": bool, "roots": {name: kind}, "updates": ["<base64 update v1>", ...]}
// stdout: {"json": {...}, "stateVector": "<b64>", "state": "<b64>", "pending": bool}
//
// See README.md for the root kinds and the JSON normalization.
import { receive, describe, fromBase64 } from './common.mjs'

// Keep stdout for the result only: anything yjs logs goes to stderr.
console.log = (...args) => console.error(...args)

const readStdin = async () => {
  const chunks = []
  for await (const chunk of process.stdin) chunks.push(chunk)
  return Buffer.concat(chunks).toString('utf8')
}

const main = async () => {
  const input = JSON.parse(await readStdin())
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new Error('input must be a JSON object')
  }
  if (!Array.isArray(input.updates)) throw new Error('"updates" must be an array of base64 strings')
  const updates = input.updates.map((u, i) => {
    try {
      return fromBase64(u)
    } catch (e) {
      throw new Error(`update #${i}: ${e.message}`)
    }
  })
  const doc = receive(input.gc, input.roots, updates)
  process.stdout.write(JSON.stringify(describe(doc, input.roots)) + '\n')
}

main().catch(e => {
  process.stderr.write(`apply.mjs: ${e && e.stack ? e.stack : e}\n`)
  process.exit(1)
})
