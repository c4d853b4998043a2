import { useEffect, useState, type ReactNode } from 'react'
import { Download, History, Loader2, Play, Share2, Square } from 'lucide-react'
import { setRoomLanguage, type RoomInfo } from '../lib/api'
import { mayEdit } from '../lib/access'
import { cleanName, randomName } from '../lib/identity'
import { download } from '../lib/download'
import { downloadName } from '../lib/languages'
import { prefs } from '../lib/prefs'
import { runRefusal } from '../lib/runs'
import { useOwner } from '../useOwner'
import { useRoomSession, type EndReason } from '../useRoomSession'
import { useRunnable, useRuns } from '../useRuns'
import { AccessBadge } from './AccessBadge'
import { ConnectionBadge } from './ConnectionBadge'
import { Editor } from './Editor'
import { HistoryPanel } from './HistoryPanel'
import { LanguageSelect } from './LanguageSelect'
import { Logo } from './Logo'
import { NameEditor } from './NameEditor'
import { Participants } from './Participants'
import { RunPanel } from './RunPanel'
import { ShareDialog } from './ShareDialog'

function initialName(): string {
  const saved = prefs.name()
  if (saved) return saved
  const name = randomName(Math.random)
  prefs.setName(name)
  return name
}

// Room is an open room: the header, the editor, and the side panel. ended is the page shown
// instead once the server closed the connection for good.
export function Room({ room, isDark, themeToggle, ended }: { room: RoomInfo; isDark: boolean; themeToggle: ReactNode; ended: (reason: EndReason) => ReactNode }) {
  const [name, setName] = useState(initialName)
  const session = useRoomSession(room.roomId, room.role, name, room.language, room.locked)
  const { language, setLanguage, locked } = session
  const owner = useOwner(room.roomId, room.role)
  const [sharing, setSharing] = useState(false)
  const [history, setHistory] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const editable = mayEdit(room.role, locked)
  // The history is for editors and the owner, who may be on a view link.
  const historyToken = owner?.links ? owner.token : null
  const mayReadHistory = room.role === 'editor' || historyToken !== null
  const runs = useRuns(room.roomId, name)
  const runnable = useRunnable()
  const [stdin, setStdin] = useState('')
  const [stdinOpen, setStdinOpen] = useState(false)
  const [outputOpen, setOutputOpen] = useState(true)
  const refusal = runRefusal(room.role, locked, language, runnable)
  const running = runs.state.active !== null || runs.sending
  // A run, anyone's, opens the output.
  const activeId = runs.state.active?.runId
  useEffect(() => {
    if (activeId !== undefined) setOutputOpen(true)
  }, [activeId])

  // The owner's own calls close this page's connection on their way elsewhere.
  if (session.ended && !owner?.leaving) return ended(session.ended)

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

  const runCode = () => {
    setOutputOpen(true)
    if (refusal) runs.refuse(refusal)
    else if (running) runs.refuse('A run of this room is already in progress.')
    else runs.run(stdin)
  }

  const downloadCode = () => {
    if (session.session) download(downloadName(room.roomId, language), session.session.text.toString())
  }

  return (
    <div className="flex h-full flex-col">
      <header className="flex flex-wrap items-center gap-2 border-b border-slate-200 px-3 py-2 sm:gap-3 sm:px-4 dark:border-slate-800">
        <Logo />
        <span className="hidden max-w-[14rem] truncate rounded-md bg-slate-100 px-2 py-1 font-mono text-xs text-slate-600 md:inline dark:bg-slate-800 dark:text-slate-300" title={room.roomId}>
          {room.roomId}
        </span>
        <ConnectionBadge status={session.status} />
        <AccessBadge role={room.role} locked={locked} />
        <div className="ml-auto flex items-center gap-1 sm:gap-2">
          <LanguageSelect
            value={language}
            onChange={changeLanguage}
            disabled={!editable}
            className="rounded-lg border border-slate-300 bg-white px-2 py-1.5 text-sm disabled:opacity-60 dark:border-slate-700 dark:bg-slate-900"
          />
          <span title={refusal ?? (running ? 'A run is in progress' : 'Run the code (Ctrl/⌘+Enter)')} data-testid="run-wrap">
            <button type="button" className="btn-primary !px-2.5 !py-1.5" onClick={runCode} disabled={refusal !== null || running} data-testid="run" data-running={running}>
              {running ? <Loader2 className="animate-spin" size={16} /> : <Play size={16} />}
              {running ? 'Running…' : 'Run'}
            </button>
          </span>
          {runs.state.active && editable && (
            <button type="button" className="btn-secondary !px-2.5 !py-1.5" onClick={runs.stop} title="Stop the run" data-testid="stop">
              <Square size={14} />
              <span className="hidden sm:inline">Stop</span>
            </button>
          )}
          <button type="button" className="btn-secondary !px-2.5 !py-1.5" onClick={() => setSharing(true)} title="Share this room" data-testid="share">
            <Share2 size={16} />
            <span className="hidden sm:inline">Share</span>
          </button>
          {mayReadHistory && (
            <button type="button" className="btn-secondary !px-2.5 !py-1.5" onClick={() => setHistory((h) => !h)} title="The room's history" aria-pressed={history} data-testid="history-button">
              <History size={16} />
              <span className="hidden sm:inline">History</span>
            </button>
          )}
          <button type="button" className="icon-btn" onClick={downloadCode} title="Download code" aria-label="Download code">
            <Download size={18} />
          </button>
          {themeToggle}
        </div>
      </header>
      {error && <div className="bg-red-50 px-4 py-2 text-sm text-red-700 dark:bg-red-950 dark:text-red-300">{error}</div>}
      <div className="flex min-h-0 flex-1 flex-col md:flex-row">
        <div className="flex min-h-0 min-w-0 flex-1 flex-col">
          <main className="min-h-0 flex-1">
            {session.session && <Editor session={session.session} language={language} isDark={isDark} editable={editable} onRun={runCode} />}
          </main>
          <RunPanel
            runs={runs}
            open={outputOpen}
            onToggle={() => setOutputOpen((o) => !o)}
            stdin={stdin}
            onStdin={setStdin}
            stdinOpen={stdinOpen}
            onStdinToggle={() => {
              setStdinOpen((o) => !o)
              setOutputOpen(true)
            }}
          />
        </div>
        {history && mayReadHistory && session.session && (
          <HistoryPanel
            roomId={room.roomId}
            ownerToken={historyToken}
            text={session.session.text}
            language={language}
            isDark={isDark}
            mayRestore={!locked}
            onClose={() => setHistory(false)}
          />
        )}
        <aside className="flex shrink-0 flex-col gap-4 border-t border-slate-200 p-3 md:w-64 md:border-t-0 md:border-l md:p-4 dark:border-slate-800">
          <NameEditor name={name} onRename={rename} />
          <Participants participants={session.participants} />
        </aside>
      </div>
      {sharing && <ShareDialog room={room} locked={locked} owner={owner} onClose={() => setSharing(false)} />}
    </div>
  )
}
