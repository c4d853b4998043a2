import { useEffect, useState, type ReactNode } from 'react'
import { Link2Off, Loader2 } from 'lucide-react'
import { getRoom, RoomNotFoundError, type RoomInfo } from '../lib/api'
import { ownerTokenFromHash } from '../lib/owner'
import { prefs } from '../lib/prefs'
import { navigate, replace } from '../navigation'
import type { EndReason } from '../useRoomSession'
import { Missing } from './Missing'
import { Room } from './Room'

type Load = { state: 'loading' } | { state: 'ready'; room: RoomInfo } | { state: 'missing' } | { state: 'error'; message: string }

// RoomPage checks that the room exists, then opens it. An owner link's token (#owner=…) is
// kept for the room and taken out of the address bar first.
export function RoomPage({ roomId, isDark, themeToggle }: { roomId: string; isDark: boolean; themeToggle: ReactNode }) {
  const [load, setLoad] = useState<Load>({ state: 'loading' })
  const [attempt, setAttempt] = useState(0)

  useEffect(() => {
    const token = ownerTokenFromHash(window.location.hash)
    if (token !== null) {
      prefs.setOwnerToken(roomId, token)
      replace(window.location.pathname + window.location.search)
    }
  }, [roomId])

  useEffect(() => {
    let live = true
    getRoom(roomId).then(
      (room) => {
        if (!live) return
        prefs.addRecent({ roomId: room.roomId, language: room.language, visitedAt: Date.now() })
        setLoad({ state: 'ready', room })
      },
      (err: unknown) => {
        if (!live) return
        if (err instanceof RoomNotFoundError) setLoad({ state: 'missing' })
        else setLoad({ state: 'error', message: err instanceof Error ? err.message : 'Could not reach the server' })
      },
    )
    return () => {
      live = false
    }
  }, [roomId, attempt])

  const missing = (
    <Missing
      title="Room not found"
      detail={`There is no room called “${roomId}”. It may have been mistyped, or the link is incomplete.`}
      onHome={() => navigate('/')}
      themeToggle={themeToggle}
    />
  )

  const ended = (reason: EndReason) =>
    reason === 'not-found' ? (
      missing
    ) : (
      <Missing
        title="This link was replaced"
        detail="This link was replaced by the room's owner: it no longer opens the room. Ask them for the new one."
        onHome={() => navigate('/')}
        themeToggle={themeToggle}
        icon={Link2Off}
        testId="link-replaced"
      />
    )

  switch (load.state) {
    case 'loading':
      return (
        <div className="flex h-full items-center justify-center gap-2 text-slate-500">
          <Loader2 className="animate-spin" size={20} /> Opening room…
        </div>
      )
    case 'missing':
      return missing
    case 'error':
      return (
        <div className="flex h-full flex-col items-center justify-center gap-4 p-8 text-center">
          <p className="text-slate-600 dark:text-slate-400">Could not open the room: {load.message}</p>
          <div className="flex gap-2">
            <button type="button" className="btn-primary" onClick={() => setAttempt((n) => n + 1)}>Try again</button>
            <button type="button" className="btn-secondary" onClick={() => navigate('/')}>Go home</button>
          </div>
        </div>
      )
    case 'ready':
      return <Room room={load.room} isDark={isDark} themeToggle={themeToggle} ended={ended} />
  }
}
