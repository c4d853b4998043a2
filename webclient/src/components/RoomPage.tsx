import { useEffect, useState, type ReactNode } from 'react'
import { Loader2 } from 'lucide-react'
import { getRoom, RoomNotFoundError, type RoomInfo } from '../lib/api'
import { prefs } from '../lib/prefs'
import { navigate } from '../navigation'
import { Missing } from './Missing'
import { Room } from './Room'

type Load = { state: 'loading' } | { state: 'ready'; room: RoomInfo } | { state: 'missing' } | { state: 'error'; message: string }

// RoomPage checks that the room exists, then opens it.
export function RoomPage({ roomId, isDark, themeToggle }: { roomId: string; isDark: boolean; themeToggle: ReactNode }) {
  const [load, setLoad] = useState<Load>({ state: 'loading' })
  const [attempt, setAttempt] = useState(0)

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
      return <Room room={load.room} isDark={isDark} themeToggle={themeToggle} notFound={missing} />
  }
}
