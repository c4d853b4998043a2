import { Loader2, Wifi, WifiOff } from 'lucide-react'
import type { ConnectionState } from '../useRoomSession'

const looks: Record<ConnectionState, { label: string; className: string }> = {
  connected: { label: 'Connected', className: 'bg-emerald-50 text-emerald-700 dark:bg-emerald-500/10 dark:text-emerald-400' },
  connecting: { label: 'Connecting', className: 'bg-slate-100 text-slate-600 dark:bg-slate-800 dark:text-slate-300' },
  reconnecting: { label: 'Reconnecting', className: 'bg-amber-50 text-amber-700 dark:bg-amber-500/10 dark:text-amber-400' },
  offline: { label: 'Offline', className: 'bg-red-50 text-red-700 dark:bg-red-500/10 dark:text-red-400' },
}

export function ConnectionBadge({ status }: { status: ConnectionState }) {
  const look = looks[status]
  const Icon = status === 'connected' ? Wifi : status === 'offline' ? WifiOff : Loader2
  return (
    <span
      className={`inline-flex items-center gap-1.5 rounded-full px-2.5 py-1 text-xs font-medium ${look.className}`}
      role="status"
      data-testid="connection"
      data-state={status}
    >
      <Icon size={12} className={status === 'connecting' || status === 'reconnecting' ? 'animate-spin' : ''} />
      {look.label}
    </span>
  )
}
