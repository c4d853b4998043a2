import { expect, it } from 'vitest'
import * as Y from 'yjs'
import { applyAwarenessUpdate, Awareness, encodeAwarenessUpdate, removeAwarenessStates } from 'y-protocols/awareness'
import { lockedIn, serverClientId } from './access'
import { forgetDepartedClocks } from './awareness'

// serverLock returns the server's awareness update that locks a room, at clock 3.
function serverLock(): Uint8Array {
  const server = new Awareness(new Y.Doc())
  server.clientID = serverClientId
  for (let i = 0; i < 3; i++) server.setLocalState({ room: { locked: true } })
  const update = encodeAwarenessUpdate(server, [serverClientId])
  server.destroy()
  return update
}

it('a state sent again after a reconnect applies once departed clocks are forgotten', () => {
  for (const forget of [false, true]) {
    const local = new Awareness(new Y.Doc())
    local.setLocalState({ user: { name: 'me' } })
    applyAwarenessUpdate(local, serverLock(), 'server')
    expect(lockedIn(local.getStates())).toBe(true)
    // What y-websocket does when its connection closes.
    removeAwarenessStates(local, [serverClientId], 'connection closed')
    expect(lockedIn(local.getStates())).toBe(false)
    if (forget) forgetDepartedClocks(local)
    applyAwarenessUpdate(local, serverLock(), 'server')
    expect(lockedIn(local.getStates()), `forget=${forget}`).toBe(forget)
    expect(local.getLocalState()).toEqual({ user: { name: 'me' } })
    local.destroy()
  }
})
