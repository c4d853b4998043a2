import { useState, type ReactNode } from 'react'
import { Check, Download, Link2 } from 'lucide-react'
import { setRoomLanguage, type RoomInfo } from '../lib/api'
import { cleanName, randomName } from '../lib/identity'
import { downloadName } from '../lib/languages'
import { prefs } from '../lib/prefs'
import { useRoomSession } from '../useRoomSession'
import { ConnectionBadge } from './ConnectionBadge'
import { Editor } from './Editor'
import { LanguageSelect } from './LanguageSelect'
import { Logo } from './Logo'
import { NameEditor } from './NameEditor'
import { Participants } from './Participants'

function initialName(): string {
  const saved = prefs.name()
  if (saved) return saved
  const name = randomName(Math.random)
  prefs.setName(name)
  return name
}

export function Room({ room, isDark, themeToggle, notFound }: { room: RoomInfo; isDark: boolean; themeToggle: ReactNode; notFound: ReactNode }) {
  const [name, setName] = useState(initialName)
  const { session, status, notFound: closed, language, setLanguage, participants } = useRoomSession(room.roomId, name, room.language)
  const [error, setError] = useState<string | null>(null)

  if (closed) return notFound

  const changeLanguage = async (id: string) => {
    const before = language
    setLanguage(id)
    setError(null)
    try {
      await setRoomLanguage(room.roomId, id)
    } catch (err) {
      setLanguage(before)
      setError(err instanceof Error ? err.message : 'Could not change the language')
    }
  }

  const rename = (next: string) => {
    const clean = cleanName(next)
    if (!clean) return
    prefs.setName(clean)
    setName(clean)
  }

  const download = () => {
    if (!session) return
    const blob = new Blob([session.text.toString()], { type: 'text/plain;charset=utf-8' })
    const a = document.createElement('a')
    a.href = URL.createObjectURL(blob)
    a.download = downloadName(room.roomId, language)
    a.click()
    setTimeout(() => URL.revokeObjectURL(a.href), 1000)
  }

  return (
    <div className="flex h-full flex-col">
      <header className="flex flex-wrap items-center gap-2 border-b border-slate-200 px-3 py-2 sm:gap-3 sm:px-4 dark:border-slate-800">
        <Logo />
        <span className="hidden max-w-[14rem] truncate rounded-md bg-slate-100 px-2 py-1 font-mono text-xs text-slate-600 md:inline dark:bg-slate-800 dark:text-slate-300" title={room.roomId}>
          {room.roomId}
        </span>
        <ConnectionBadge status={status} />
        <div className="ml-auto flex items-center gap-1 sm:gap-2">
          <LanguageSelect
            value={language}
            onChange={changeLanguage}
            className="rounded-lg border border-slate-300 bg-white px-2 py-1.5 text-sm dark:border-slate-700 dark:bg-slate-900"
          />
          <CopyLink />
          <button type="button" className="icon-btn" onClick={download} title="Download code" aria-label="Download code">
            <Download size={18} />
          </button>
          {themeToggle}
        </div>
      </header>
      {error && <div className="bg-red-50 px-4 py-2 text-sm text-red-700 dark:bg-red-950 dark:text-red-300">{error}</div>}
      <div className="flex min-h-0 flex-1 flex-col md:flex-row">
        <main className="min-h-0 flex-1">{session && <Editor session={session} language={language} isDark={isDark} />}</main>
        <aside className="flex shrink-0 flex-col gap-4 border-t border-slate-200 p-3 md:w-64 md:border-t-0 md:border-l md:p-4 dark:border-slate-800">
          <NameEditor name={name} onRename={rename} />
          <Participants participants={participants} />
        </aside>
      </div>
    </div>
  )
}

function CopyLink() {
  const [copied, setCopied] = useState(false)
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(window.location.href)
    } catch {
      window.prompt('Copy this link', window.location.href)
      return
    }
    setCopied(true)
    setTimeout(() => setCopied(false), 1500)
  }
  return (
    <button type="button" className="btn-secondary !px-2.5 !py-1.5" onClick={copy} title="Copy room link">
      {copied ? <Check size={16} /> : <Link2 size={16} />}
      <span className="hidden sm:inline">{copied ? 'Copied' : 'Share'}</span>
    </button>
  )
}
