// useRoomSession connects to a room's shared document through y-websocket and exposes
// what the page shows: connection state, language, participants. All syncing is done by
// yjs and y-websocket; this hook only wires them up and listens.
import { useEffect, useState } from 'react'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import type { Awareness } from 'y-protocols/awareness'
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

// closeRoomNotFound is the close code the server uses for an unknown room.
const closeRoomNotFound = 4404

function wsBase(): string {
  return (window.location.protocol === 'https:' ? 'wss://' : 'ws://') + window.location.host + '/yjs'
}

export function useRoomSession(roomId: string, name: string, initialLanguage: string) {
  const [session, setSession] = useState<Session | null>(null)
  const [status, setStatus] = useState<ConnectionState>('connecting')
  const [notFound, setNotFound] = useState(false)
  const [language, setLanguage] = useState(initialLanguage)
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
      update()
    })
    provider.on('closed', (event) => {
      if (event.code === closeRoomNotFound) setNotFound(true)
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
    const readParticipants = () => setParticipants(participantsOf(awareness.getStates(), doc.clientID))
    awareness.on('change', readParticipants)
    readParticipants()

    setSession({ doc, text, meta, provider, undoManager })
    update()
    return () => {
      window.removeEventListener('online', onOnline)
      window.removeEventListener('offline', onOffline)
      awareness.off('change', readParticipants)
      meta.unobserve(readLanguage)
      undoManager.destroy()
      provider.destroy()
      doc.destroy()
      setSession(null)
    }
  }, [roomId])

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

  return { session, status, notFound, language, setLanguage, participants }
}
