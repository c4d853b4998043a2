import { Users } from 'lucide-react'
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
            <li key={p.clientId} className="flex items-center gap-2 text-sm">
              <span className="grid h-7 w-7 shrink-0 place-items-center rounded-full text-[11px] font-semibold text-white" style={{ backgroundColor: p.color }}>
                {initials(p.name)}
              </span>
              <span className="truncate">{p.name}</span>
              {p.isSelf && <span className="text-xs text-slate-500">(you)</span>}
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
