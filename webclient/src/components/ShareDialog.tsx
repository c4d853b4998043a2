import { useEffect, useState, type ReactNode } from 'react'
import { AlertTriangle, Crown, Eye, Lock, LockOpen, Pencil, RefreshCw, Trash2, X } from 'lucide-react'
import { getRoom, type RoomInfo } from '../lib/api'
import { ownerLinkFor } from '../lib/owner'
import { roomPathFor } from '../lib/route'
import type { Owner } from '../useOwner'
import { CopyButton } from './CopyButton'

const linkOf = (id: string) => window.location.origin + roomPathFor(id)

// ShareDialog shows the room's links: the edit link to editors, the view link to everyone.
// The room's owner also gets the owner's controls.
export function ShareDialog({ room, locked, owner, onClose }: { room: RoomInfo; locked: boolean; owner: Owner | null; onClose: () => void }) {
  const [viewId, setViewId] = useState(room.role === 'viewer' ? room.roomId : room.viewId)
  const [error, setError] = useState<string | null>(null)

  // The owner may have replaced a link since the page opened: ask again.
  useEffect(() => {
    if (owner) owner.refresh().catch(() => {})
    else if (room.role === 'editor') getRoom(room.roomId).then((r) => setViewId(r.viewId), () => {})
    // Once per opening of the dialog.
  }, [])

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && onClose()
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [onClose])

  const editId = owner?.links?.editId ?? (room.role === 'editor' ? room.roomId : undefined)
  const shownViewId = owner?.links?.viewId ?? viewId

  return (
    <div className="fixed inset-0 z-50 flex justify-center overflow-y-auto bg-slate-900/40 p-4" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div role="dialog" aria-modal="true" aria-labelledby="share-title" className="card my-auto flex w-full max-w-lg flex-col gap-5 !p-5 dark:!bg-slate-900" data-testid="share-dialog">
        <div className="flex items-center justify-between">
          <h2 id="share-title" className="text-lg font-semibold">Share this room</h2>
          <button type="button" className="icon-btn" onClick={onClose} aria-label="Close">
            <X size={18} />
          </button>
        </div>
        {editId && (
          <LinkRow icon={<Pencil size={14} />} title="Can edit" note="Anyone with this link can edit the code." link={linkOf(editId)} testId="edit-link" />
        )}
        {shownViewId && (
          <LinkRow icon={<Eye size={14} />} title="Can view" note="Anyone with this link can watch and copy, not edit." link={linkOf(shownViewId)} testId="view-link" />
        )}
        {owner?.links && <OwnerControls owner={owner} locked={locked} onError={setError} />}
        {error && <p className="text-sm text-red-600 dark:text-red-400">{error}</p>}
      </div>
    </div>
  )
}

function LinkRow({ icon, title, note, link, testId }: { icon: ReactNode; title: string; note: string; link: string; testId: string }) {
  return (
    <section className="flex flex-col gap-1.5">
      <h3 className="flex items-center gap-1.5 text-sm font-medium">
        {icon} {title}
      </h3>
      <div className="flex gap-2">
        <input className="field min-w-0 font-mono !text-xs" readOnly value={link} data-testid={testId} onFocus={(e) => e.currentTarget.select()} aria-label={`${title} link`} />
        <CopyButton text={link} label={`Copy the “${title}” link`} testId={`copy-${testId}`} />
      </div>
      <p className="text-xs text-slate-500">{note}</p>
    </section>
  )
}

// OwnerControls are the owner's: lock, replace links, pass on the owner role, delete.
function OwnerControls({ owner, locked, onError }: { owner: Owner; locked: boolean; onError: (e: string | null) => void }) {
  const [busy, setBusy] = useState(false)
  const [confirmDelete, setConfirmDelete] = useState(false)
  const links = owner.links!
  const ownerLink = ownerLinkFor(window.location.origin, roomPathFor(links.editId), owner.token)

  const act = (what: string, call: () => Promise<void>) => async () => {
    setBusy(true)
    onError(null)
    try {
      await call()
    } catch (err) {
      onError(`Could not ${what}: ${err instanceof Error ? err.message : 'the server did not answer'}`)
    } finally {
      setBusy(false)
    }
  }

  return (
    <section className="flex flex-col gap-4 border-t border-slate-200 pt-4 dark:border-slate-800" data-testid="owner-controls">
      <h3 className="flex items-center gap-1.5 text-sm font-semibold">
        <Crown size={14} className="text-amber-500" /> You own this room
      </h3>
      <div className="flex flex-col gap-1.5">
        <button type="button" className="btn-secondary self-start" disabled={busy} onClick={act(locked ? 'unlock the room' : 'lock the room', () => owner.setLocked(!locked))} data-testid="lock-toggle" data-locked={locked}>
          {locked ? <LockOpen size={16} /> : <Lock size={16} />}
          {locked ? 'Unlock room' : 'Lock room'}
        </button>
        <p className="text-xs text-slate-500">
          {locked ? 'Locked: nobody can edit, you included, until you unlock it.' : 'Locking makes the room read-only for everyone, you included.'}
        </p>
      </div>
      <div className="flex flex-col gap-1.5">
        <div className="flex flex-wrap gap-2">
          <button type="button" className="btn-secondary" disabled={busy} onClick={act('replace the edit link', () => owner.rotate('editor'))} data-testid="rotate-edit">
            <RefreshCw size={16} /> New edit link
          </button>
          <button type="button" className="btn-secondary" disabled={busy} onClick={act('replace the view link', () => owner.rotate('viewer'))} data-testid="rotate-view">
            <RefreshCw size={16} /> New view link
          </button>
        </div>
        <p className="text-xs text-slate-500">The old link stops working at once, and whoever is using it is disconnected.</p>
      </div>
      <section className="flex flex-col gap-1.5">
        <h3 className="flex items-center gap-1.5 text-sm font-medium">
          <Crown size={14} /> Owner link
        </h3>
        <p className="flex gap-2 rounded-lg bg-amber-50 p-2 text-xs text-amber-800 dark:bg-amber-500/10 dark:text-amber-300">
          <AlertTriangle size={14} className="mt-0.5 shrink-0" />
          Anyone with the owner link controls this room: they can lock it, replace its links and delete it. Use it only to open the room as its owner in another browser.
        </p>
        <div className="flex gap-2">
          <input className="field min-w-0 font-mono !text-xs" readOnly type="password" autoComplete="off" value={ownerLink} aria-label="Owner link" data-testid="owner-link" />
          <CopyButton text={ownerLink} label="Copy the owner link" testId="copy-owner-link" />
        </div>
      </section>
      {confirmDelete ? (
        <div className="flex flex-col gap-2 rounded-lg border border-red-200 p-3 dark:border-red-900">
          <p className="text-sm">Delete this room for everyone? Its code is gone for good, and everyone in it is disconnected.</p>
          <div className="flex gap-2">
            <button type="button" className="btn-primary !bg-red-600 hover:!bg-red-500" disabled={busy} onClick={act('delete the room', owner.remove)} data-testid="confirm-delete">
              <Trash2 size={16} /> Delete
            </button>
            <button type="button" className="btn-secondary" onClick={() => setConfirmDelete(false)}>Cancel</button>
          </div>
        </div>
      ) : (
        <button type="button" className="btn-secondary self-start !text-red-600 dark:!text-red-400" disabled={busy} onClick={() => setConfirmDelete(true)} data-testid="delete-room">
          <Trash2 size={16} /> Delete room…
        </button>
      )}
    </section>
  )
}
