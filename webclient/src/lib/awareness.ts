// awareness holds what the app adds to y-protocols' Awareness.
import type { Awareness } from 'y-protocols/awareness'

// forgetDepartedClocks forgets the clocks of the remote clients whose states are gone. When its
// connection closes, y-websocket drops every remote state but y-protocols keeps each one's clock,
// so on reconnecting the same states, sent again with the same clocks, would be ignored until
// their owners renew them: up to 15 s in which the room's lock (the server's state) would look
// lifted and other people absent. Call it once the connection is down.
export function forgetDepartedClocks(awareness: Awareness): void {
  for (const id of [...awareness.meta.keys()]) {
    if (id !== awareness.clientID && !awareness.states.has(id)) awareness.meta.delete(id)
  }
}
