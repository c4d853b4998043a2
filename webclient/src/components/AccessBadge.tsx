import { Eye, Lock } from 'lucide-react'
import { accessBadge, type Role } from '../lib/access'

const looks = {
  locked: { Icon: Lock, className: 'bg-amber-50 text-amber-700 dark:bg-amber-500/10 dark:text-amber-400' },
  viewer: { Icon: Eye, className: 'bg-sky-50 text-sky-700 dark:bg-sky-500/10 dark:text-sky-400' },
} as const

// AccessBadge tells a person who may not edit why: they opened the view link, or the room is locked.
export function AccessBadge({ role, locked }: { role: Role; locked: boolean }) {
  const badge = accessBadge(role, locked)
  if (!badge) return null
  const { Icon, className } = looks[badge.kind]
  return (
    <span
      className={`inline-flex items-center gap-1.5 rounded-full px-2.5 py-1 text-xs font-medium ${className}`}
      data-testid="role-badge"
      data-role={badge.kind}
      title={badge.detail}
    >
      <Icon size={12} />
      {badge.label}
    </span>
  )
}
