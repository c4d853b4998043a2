// useRoomSession connects to a room's shared document through y-websocket and exposes
// what the page shows: connection state, language, participants, the room's lock, and why the
// server ended the connection for good. All syncing is done by yjs and y-websocket; this hook
// only wires them up and listens.
import { useEffect, useState } from 'react'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import type { Awareness } from 'y-protocols/awareness'
import { lockedIn, type Role } from './lib/access'
import { forgetDepartedClocks } from './lib/awareness'
import { participantsOf, type Participant } from './lib/participants'
import { colorFor, lighten } from './lib/identity'

export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'offline'

export interface Session {
  doc: Y.Doc
  text: Y.Text
  meta: Y.Map<unknown>
  provider: WebsocketProvider
  undoManager: Y.UndoManager
}

// EndReason is why the server closed the connection for good (y-websocket does not reconnect
// after a 44xx close): the room does not exist (or was deleted), or the owner replaced the
// link the page was opened with.
export type EndReason = 'not-found' | 'replaced'

const endReasons: ReadonlyMap<number, EndReason> = new Map([
  [4404, 'not-found'],
  [4410, 'replaced'],
])

function wsBase(): string {
  return (window.location.protocol === 'https:' ? 'wss://' : 'ws://') + window.location.host + '/yjs'
}

// useRoomSession joins roomId with a link of role. initialLocked is the lock as GET /rooms/{id}
// gave it; once synced, the server's awareness state is the lock's truth.
export function useRoomSession(roomId: string, role: Role, name: string, initialLanguage: string, initialLocked: boolean) {
  const [session, setSession] = useState<Session | null>(null)
  const [status, setStatus] = useState<ConnectionState>('connecting')
  const [ended, setEnded] = useState<EndReason | null>(null)
  const [language, setLanguage] = useState(initialLanguage)
  const [locked, setLocked] = useState(initialLocked)
  const [participants, setParticipants] = useState<Participant[]>([])

  useEffect(() => {
    const doc = new Y.Doc()
    const text = doc.getText('code')
    const meta = doc.getMap<unknown>('meta')
    const provider = new WebsocketProvider(wsBase(), roomId, doc)
    const undoManager = new Y.UndoManager(text)
    let everConnected = false
    let online = navigator.onLine
    let socket: 'connected' | 'connecting' | 'disconnected' = 'connecting'

    const update = () => {
      if (!online) setStatus('offline')
      else if (socket === 'connected') setStatus('connected')
      else setStatus(everConnected ? 'reconnecting' : 'connecting')
    }
    provider.on('status', ({ status }) => {
      socket = status
      if (status === 'connected') everConnected = true
      if (status === 'disconnected') forgetDepartedClocks(provider.awareness)
      update()
    })
    provider.on('closed', (event) => {
      const reason = endReasons.get(event.code)
      if (reason) setEnded(reason)
    })
    const onOnline = () => {
      online = true
      update()
    }
    const onOffline = () => {
      online = false
      update()
    }
    window.addEventListener('online', onOnline)
    window.addEventListener('offline', onOffline)

    const readLanguage = () => {
      const l = meta.get('language')
      if (typeof l === 'string' && l) setLanguage(l)
    }
    meta.observe(readLanguage)

    const awareness: Awareness = provider.awareness
    awareness.setLocalStateField('role', role)
    const readParticipants = () => setParticipants(participantsOf(awareness.getStates(), doc.clientID))
    awareness.on('change', readParticipants)
    readParticipants()

    // The server sends its awareness states before it answers the client's sync step 1, so a
    // synced provider knows the lock. Disconnected, y-websocket drops every remote state: the
    // lock last seen holds until the next sync.
    const readLock = () => {
      if (provider.synced) setLocked(lockedIn(awareness.getStates()))
    }
    awareness.on('change', readLock)
    provider.on('sync', readLock)

    setSession({ doc, text, meta, provider, undoManager })
    update()
    return () => {
      window.removeEventListener('online', onOnline)
      window.removeEventListener('offline', onOffline)
      awareness.off('change', readParticipants)
      awareness.off('change', readLock)
      provider.off('sync', readLock)
      meta.unobserve(readLanguage)
      undoManager.destroy()
      provider.destroy()
      doc.destroy()
      setSession(null)
    }
  }, [roomId, role])

  // The identity is published separately so renaming does not reconnect. The colour follows
  // the Yjs client id, so it is stable for the connection; it skips the colours of those who
  // were in the room first (lower client ids keep theirs), so two people never look alike.
  const taken = participants
    .filter((p) => !p.isSelf && session !== null && p.clientId < session.doc.clientID)
    .map((p) => p.color)
    .sort()
    .join(' ')
  useEffect(() => {
    if (!session) return
    const color = colorFor(session.doc.clientID, taken === '' ? [] : taken.split(' '))
    session.provider.awareness.setLocalStateField('user', { name, color, colorLight: lighten(color) })
  }, [session, name, taken])

  return { session, status, ended, language, setLanguage, participants, locked }
}
