import { Eye, Users } from 'lucide-react'
import { initials } from '../lib/identity'
import type { Participant } from '../lib/participants'

export function Participants({ participants }: { participants: Participant[] }) {
  return (
    <section>
      <h2 className="mb-2 flex items-center gap-2 text-xs font-semibold uppercase tracking-wide text-slate-500">
        <Users size={14} /> In this room ({participants.length})
      </h2>
      {participants.length === 0 ? (
        <p className="text-sm text-slate-500">Nobody here yet.</p>
      ) : (
        <ul className="flex flex-wrap gap-2 md:flex-col" data-testid="participants">
          {participants.map((p) => (
            <li key={p.clientId} className="flex items-center gap-2 text-sm" data-role={p.role}>
              <span className="grid h-7 w-7 shrink-0 place-items-center rounded-full text-[11px] font-semibold text-white" style={{ backgroundColor: p.color }}>
                {initials(p.name)}
              </span>
              <span className="truncate">{p.name}</span>
              {p.isSelf && <span className="text-xs text-slate-500">(you)</span>}
              {p.role === 'viewer' && (
                <span className="inline-flex items-center gap-1 rounded-full bg-sky-50 px-1.5 py-0.5 text-[11px] text-sky-700 dark:bg-sky-500/10 dark:text-sky-400" title="Opened the view link: watches, does not edit">
                  <Eye size={11} /> viewer
                </span>
              )}
            </li>
          ))}
        </ul>
      )}
      {participants.length === 1 && (
        <p className="mt-3 hidden text-xs text-slate-500 md:block">Share the link to invite someone.</p>
      )}
    </section>
  )
}
