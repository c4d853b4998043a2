// Writes nesting/arrays.json: Y.Arrays nested one in another as the real yjs encodes them,
// for the tests of crdt's cap on nesting (crdt/depth_test.go). Run with `node nesting.mjs`;
// deterministic (explicit client ids), so re-running writes the same file.
import * as Y from 'yjs'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { toBase64 } from './common.mjs'

const MAX_NESTING_DEPTH = 100 // crdt.MaxNestingDepth

/** Nests depth arrays one in another under the root array 'a' of doc, in one transaction. */
const nest = (doc, depth) => {
  let parent = doc.getArray('a')
  doc.transact(() => {
    for (let i = 0; i < depth; i++) {
      const child = new Y.Array()
      parent.push([child])
      parent = child
    }
  })
}

/** Returns the update of the first transaction fn runs on doc. */
const updateOf = (doc, fn) => {
  let update = null
  const record = (u) => { update = update || u }
  doc.on('update', record)
  fn()
  doc.off('update', record)
  return update
}

const doc = new Y.Doc()
doc.clientID = 1

const atCap = updateOf(doc, () => nest(doc, MAX_NESTING_DEPTH))

// A second peer nests one array more, beyond the cap.
const peer = new Y.Doc()
peer.clientID = 2
Y.applyUpdate(peer, atCap)
let peerInnermost = peer.getArray('a')
while (peerInnermost.length > 0) peerInnermost = peerInnermost.get(0)
const beyondCap = updateOf(peer, () => peerInnermost.push([new Y.Array()]))

// The first deletes the outermost: everything inside is deleted and garbage-collected.
const deleteOutermost = updateOf(doc, () => doc.getArray('a').delete(0, 1))

const fixture = {
  description: `yjs ${MAX_NESTING_DEPTH} arrays nested in root array 'a' by client 1 (atCap); ` +
    'one more nested by client 2 (beyondCap); client 1 deletes the outermost (deleteOutermost), ' +
    'leaving stateAfterDelete and jsonAfterDelete',
  depth: MAX_NESTING_DEPTH,
  atCap: toBase64(atCap),
  beyondCap: toBase64(beyondCap),
  deleteOutermost: toBase64(deleteOutermost),
  stateAfterDelete: toBase64(Y.encodeStateAsUpdate(doc)),
  jsonAfterDelete: doc.getArray('a').toJSON()
}
const here = path.dirname(fileURLToPath(import.meta.url))
fs.writeFileSync(path.join(here, 'nesting', 'arrays.json'), JSON.stringify(fixture, null, 2) + '\n')
