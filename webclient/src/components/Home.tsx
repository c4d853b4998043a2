import { useState, type FormEvent, type ReactNode } from 'react'
import { ArrowRight, Clock, LogIn, Plus, Trash2, Users } from 'lucide-react'
import { createRoom } from '../lib/api'
import { defaultLanguage, languageInfo } from '../lib/languages'
import { prefs, type RecentRoom } from '../lib/prefs'
import { roomIdFromInput, roomPathFor } from '../lib/route'
import { navigate } from '../navigation'
import { LanguageSelect } from './LanguageSelect'
import { Logo } from './Logo'

export function Home({ themeToggle }: { themeToggle: ReactNode }) {
  return (
    <div className="flex min-h-full flex-col">
      <header className="flex items-center justify-between border-b border-slate-200 px-4 py-3 sm:px-6 dark:border-slate-800">
        <Logo />
        {themeToggle}
      </header>
      <main className="mx-auto w-full max-w-4xl flex-1 px-4 py-10 sm:px-6 sm:py-16">
        <section className="mb-10 text-center">
          <h1 className="text-3xl font-bold tracking-tight sm:text-4xl">Code together, in real time.</h1>
          <p className="mx-auto mt-3 max-w-xl text-slate-600 dark:text-slate-400">
            Open a room, share the link, and edit the same file with everyone's cursor in view and AI suggestions as you type.
          </p>
        </section>
        <div className="grid gap-6 md:grid-cols-2">
          <CreateRoom />
          <JoinRoom />
        </div>
        <RecentRooms />
      </main>
      <footer className="px-4 py-6 text-center text-xs text-slate-500">pairpad · real-time pair programming</footer>
    </div>
  )
}

function CreateRoom() {
  const [language, setLanguage] = useState(defaultLanguage)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const submit = async (e: FormEvent) => {
    e.preventDefault()
    setBusy(true)
    setError(null)
    try {
      const room = await createRoom(language)
      // The owner token comes once, in this answer: keep it, or nobody can lock or delete the room.
      if (room.ownerToken) prefs.setOwnerToken(room.roomId, room.ownerToken)
      navigate(roomPathFor(room.roomId))
    } catch (err) {
      setError(err instanceof Error ? err.message : 'Could not create the room')
      setBusy(false)
    }
  }
  return (
    <form className="card flex flex-col gap-4" onSubmit={submit}>
      <div className="flex items-center gap-3">
        <span className="grid h-10 w-10 place-items-center rounded-xl bg-indigo-50 text-indigo-600 dark:bg-indigo-500/10 dark:text-indigo-400">
          <Plus size={20} />
        </span>
        <div>
          <h2 className="font-semibold">New room</h2>
          <p className="text-sm text-slate-500 dark:text-slate-400">Start a fresh file in any language.</p>
        </div>
      </div>
      <label className="flex flex-col gap-1 text-sm font-medium">
        Language
        <LanguageSelect value={language} onChange={setLanguage} />
      </label>
      <button type="submit" className="btn-primary" disabled={busy} data-testid="create-room">
        {busy ? 'Creating…' : 'Create room'} <ArrowRight size={16} />
      </button>
      {error && <p className="text-sm text-red-600 dark:text-red-400">{error}</p>}
    </form>
  )
}

function JoinRoom() {
  const [input, setInput] = useState('')
  const [error, setError] = useState<string | null>(null)
  const submit = (e: FormEvent) => {
    e.preventDefault()
    const id = roomIdFromInput(input)
    if (!id) {
      setError('Paste a room link or type a room id.')
      return
    }
    navigate(roomPathFor(id))
  }
  return (
    <form className="card flex flex-col gap-4" onSubmit={submit}>
      <div className="flex items-center gap-3">
        <span className="grid h-10 w-10 place-items-center rounded-xl bg-emerald-50 text-emerald-600 dark:bg-emerald-500/10 dark:text-emerald-400">
          <Users size={20} />
        </span>
        <div>
          <h2 className="font-semibold">Join a room</h2>
          <p className="text-sm text-slate-500 dark:text-slate-400">Someone shared a link with you?</p>
        </div>
      </div>
      <label className="flex flex-col gap-1 text-sm font-medium">
        Room id or link
        <input
          className="field"
          value={input}
          placeholder="https://…/r/room-id"
          onChange={(e) => {
            setInput(e.target.value)
            setError(null)
          }}
        />
      </label>
      <button type="submit" className="btn-secondary">
        <LogIn size={16} /> Join
      </button>
      {error && <p className="text-sm text-red-600 dark:text-red-400">{error}</p>}
    </form>
  )
}

function RecentRooms() {
  const [recent, setRecent] = useState<RecentRoom[]>(prefs.recent)
  return (
    <section className="mt-10">
      <h2 className="mb-3 flex items-center gap-2 text-sm font-semibold uppercase tracking-wide text-slate-500">
        <Clock size={14} /> Recent rooms
      </h2>
      {recent.length === 0 ? (
        <p className="rounded-2xl border border-dashed border-slate-300 p-6 text-center text-sm text-slate-500 dark:border-slate-700">
          Rooms you open will show up here.
        </p>
      ) : (
        <ul className="divide-y divide-slate-200 overflow-hidden rounded-2xl border border-slate-200 dark:divide-slate-800 dark:border-slate-800">
          {recent.map((r) => (
            <li key={r.roomId} className="flex items-center gap-3 bg-white px-4 py-3 dark:bg-slate-900/60">
              <a
                href={roomPathFor(r.roomId)}
                onClick={(e) => {
                  e.preventDefault()
                  navigate(roomPathFor(r.roomId))
                }}
                className="min-w-0 flex-1"
              >
                <span className="block truncate font-mono text-sm">{r.roomId}</span>
                <span className="text-xs text-slate-500">
                  {languageInfo(r.language).name} · {new Date(r.visitedAt).toLocaleString()}
                </span>
              </a>
              <button
                type="button"
                className="icon-btn"
                aria-label={`Forget room ${r.roomId}`}
                title="Forget"
                onClick={() => {
                  prefs.forgetRecent(r.roomId)
                  setRecent(prefs.recent())
                }}
              >
                <Trash2 size={16} />
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  )
}
