import { useEffect, useMemo, useRef, useState } from 'react'
import { Download, FileText, GitCompare, Loader2, Pause, Play, RefreshCw, RotateCcw, X } from 'lucide-react'
import type * as Y from 'yjs'
import { getTextAt, restoreVersion } from '../lib/api'
import { download } from '../lib/download'
import { authorsOf, changeSize, exactTime, relativeTime, type TextAt, type Version } from '../lib/history'
import { downloadName } from '../lib/languages'
import { lineDiff, sideRows, textOf, type LineDiff } from '../lib/lineDiff'
import { speeds, type Speed } from '../lib/playback'
import { usePlayback, useVersions } from '../useHistory'
import { CodeView, type Content } from './CodeView'

// Shown is what the panel's view shows: a version (seq is its last entry), or the playback.
type Shown = { kind: 'version'; seq: number } | { kind: 'playback' } | null

// seekDelay is how long the slider rests before the player seeks, in milliseconds.
const seekDelay = 150

// refreshDelay is how long the code rests before the list is asked again, in milliseconds: a
// little over the pause that ends a version on the server (3 s).
const refreshDelay = 3500

// useCurrentText follows the room's code, at most every interval milliseconds.
function useCurrentText(text: Y.Text, interval = 500): string {
  const [current, setCurrent] = useState(() => text.toString())
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | null = null
    const read = () => {
      if (timer === null) timer = setTimeout(() => ((timer = null), setCurrent(text.toString())), interval)
    }
    text.observe(read)
    setCurrent(text.toString())
    return () => {
      text.unobserve(read)
      if (timer !== null) clearTimeout(timer)
    }
  }, [text, interval])
  return current
}

// useNow is the time, renewed every minute, for the list's relative times.
function useNow(): Date {
  const [now, setNow] = useState(() => new Date())
  useEffect(() => {
    const t = setInterval(() => setNow(new Date()), 30_000)
    return () => clearInterval(t)
  }, [])
  return now
}

// HistoryPanel lists the room's versions, shows one against the current code (to restore or
// download it), and plays the editing back. It is for editors and the owner; mayRestore is
// whether restoring is allowed now (not while the room is locked).
export function HistoryPanel({ roomId, ownerToken, text, language, isDark, mayRestore, onClose }: {
  roomId: string
  ownerToken: string | null
  text: Y.Text
  language: string
  isDark: boolean
  mayRestore: boolean
  onClose: () => void
}) {
  const list = useVersions(roomId, ownerToken)
  const { player, state: playback } = usePlayback(roomId, ownerToken)
  const current = useCurrentText(text)
  const now = useNow()
  const [shown, setShown] = useState<Shown>(null)
  const [version, setVersion] = useState<TextAt | null>(null)
  const [showChanges, setShowChanges] = useState(false)
  const [confirming, setConfirming] = useState(false)
  const [note, setNote] = useState<string | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [target, setTarget] = useState(0)
  const [speed, setSpeed] = useState<Speed>(1)
  const seekTimer = useRef<ReturnType<typeof setTimeout> | null>(null)
  const wanted = useRef<number | null>(null)

  const { refresh } = list
  useEffect(() => {
    const t = setTimeout(refresh, refreshDelay)
    return () => clearTimeout(t)
  }, [current, refresh])

  const latest = Math.max(list.versions[0]?.seq ?? 0, playback.seq)
  useEffect(() => setTarget(playback.seq), [playback.seq])
  useEffect(() => () => {
    if (seekTimer.current !== null) clearTimeout(seekTimer.current)
  }, [])

  const select = (v: Version) => {
    player.pause()
    setShown({ kind: 'version', seq: v.seq })
    setTarget(v.seq)
    setConfirming(false)
    setNote(null)
    setError(null)
    if (version?.seq === v.seq) return
    setVersion(null)
    wanted.current = v.seq
    getTextAt(roomId, ownerToken, v.seq).then(
      (t) => wanted.current === v.seq && setVersion(t),
      (err: unknown) => wanted.current === v.seq && setError(err instanceof Error ? err.message : 'Could not load the version'),
    )
  }

  const slide = (seq: number) => {
    player.pause()
    setTarget(seq)
    setShown({ kind: 'playback' })
    if (seekTimer.current !== null) clearTimeout(seekTimer.current)
    seekTimer.current = setTimeout(() => void player.seek(seq), seekDelay)
  }

  const togglePlay = async () => {
    if (playback.playing) return player.pause()
    if (seekTimer.current !== null) clearTimeout(seekTimer.current)
    setShown({ kind: 'playback' })
    // Play from the slider; from the start when it is at the end.
    const from = target >= latest ? 0 : target
    if (!playback.doc || playback.seq !== from) await player.seek(from)
    player.play(speed)
  }

  const changeSpeed = (s: Speed) => {
    setSpeed(s)
    if (playback.playing) player.play(s)
  }

  const restore = async () => {
    if (shown?.kind !== 'version') return
    setConfirming(false)
    setError(null)
    try {
      const seq = await restoreVersion(roomId, ownerToken, shown.seq)
      setNote(`Restored: the code is this version again (entry ${seq}).`)
      list.refresh()
    } catch (err) {
      setError(err instanceof Error ? err.message : 'Could not restore the version')
    }
  }

  const diff = useMemo(() => (version ? lineDiff(current, version.code) : null), [current, version])
  const versionContent = useMemo<Content | null>(() => {
    if (!version || !diff) return null
    if (showChanges) return { text: textOf(diff.rows), marks: diff.rows.map((r) => r.mark) }
    return { text: version.code, marks: sideRows(diff, 'newer').map((r) => r.mark) }
  }, [version, diff, showChanges])
  const playbackContent = useMemo<Content | null>(() => (playback.doc ? { ytext: playback.doc.getText('code') } : null), [playback.doc])
  // The replayed document's language as of the seek; the room's when it names none.
  const playbackLanguage = useMemo(() => {
    const l = playback.doc?.getMap<unknown>('meta').get('language')
    return typeof l === 'string' && l ? l : language
  }, [playback.doc, language])

  const selected = shown?.kind === 'version' ? list.versions.find((v) => v.seq === shown.seq) : undefined
  const versionShown = shown?.kind === 'version' && version?.seq === shown.seq

  return (
    <aside className="flex h-[70vh] min-h-0 shrink-0 flex-col border-t border-slate-200 md:h-auto md:w-[40rem] md:border-t-0 md:border-l dark:border-slate-800" data-testid="history">
      <div className="flex items-center gap-2 border-b border-slate-200 px-3 py-2 dark:border-slate-800">
        <h2 className="text-sm font-semibold">History</h2>
        <button type="button" className="icon-btn ml-auto !h-8 !w-8" onClick={list.refresh} title="Refresh the list" aria-label="Refresh the list" data-testid="history-refresh">
          <RefreshCw size={16} />
        </button>
        <button type="button" className="icon-btn !h-8 !w-8" onClick={onClose} aria-label="Close the history">
          <X size={16} />
        </button>
      </div>
      <div className="flex min-h-0 flex-1 flex-col md:flex-row">
        <div className="max-h-48 shrink-0 overflow-y-auto border-b border-slate-200 md:max-h-none md:w-56 md:border-r md:border-b-0 dark:border-slate-800">
          {list.error && <p className="p-3 text-sm text-red-600 dark:text-red-400">{list.error}</p>}
          <ol className="flex flex-col" data-testid="versions">
            {list.versions.map((v) => (
              <VersionItem key={v.firstSeq} version={v} now={now} selected={shown?.kind === 'version' && shown.seq === v.seq} onSelect={() => select(v)} />
            ))}
          </ol>
          {!list.loading && !list.error && list.versions.length === 0 && <p className="p-3 text-sm text-slate-500">No edits yet.</p>}
          {list.loading && list.versions.length === 0 && (
            <p className="flex items-center gap-2 p-3 text-sm text-slate-500">
              <Loader2 className="animate-spin" size={14} /> Loading…
            </p>
          )}
          {list.more && (
            <button type="button" className="w-full p-2 text-sm text-indigo-600 hover:underline disabled:opacity-60 dark:text-indigo-400" disabled={list.loading} onClick={list.loadMore} data-testid="load-more">
              Load older versions
            </button>
          )}
        </div>
        <section className="flex min-h-0 min-w-0 flex-1 flex-col">
          <PlaybackBar playing={playback.playing} target={target} latest={latest} speed={speed} onToggle={togglePlay} onSlide={slide} onSpeed={changeSpeed} />
          {playback.error && shown?.kind === 'playback' && <p className="px-3 py-2 text-sm text-red-600 dark:text-red-400">Playback: {playback.error}</p>}
          {shown?.kind === 'version' && (
            <VersionActions
              ready={versionShown}
              showChanges={showChanges}
              onToggleChanges={() => setShowChanges((c) => !c)}
              diff={diff}
              onDownload={() => version && download(downloadName(roomId, version.language, `-v${version.seq}`), version.code)}
              mayRestore={mayRestore}
              confirming={confirming}
              onConfirming={setConfirming}
              onRestore={restore}
            />
          )}
          {note && <p className="px-3 py-2 text-sm text-green-700 dark:text-green-400" data-testid="restore-note">{note}</p>}
          {error && <p className="px-3 py-2 text-sm text-red-600 dark:text-red-400">{error}</p>}
          <div className="min-h-0 flex-1" data-testid="version-view" data-kind={shown?.kind ?? 'none'} data-seq={shown?.kind === 'version' ? shown.seq : playback.seq}>
            {shown?.kind === 'version' && versionShown && versionContent && <CodeView content={versionContent} language={version.language} isDark={isDark} testId="version-code" />}
            {shown?.kind === 'playback' && playbackContent && <CodeView content={playbackContent} language={playbackLanguage} isDark={isDark} testId="playback-code" />}
            {shown === null && <p className="p-4 text-sm text-slate-500">Pick a version to see it, or play the editing back.</p>}
            {shown?.kind === 'version' && !versionShown && !error && (
              <p className="flex items-center gap-2 p-4 text-sm text-slate-500">
                <Loader2 className="animate-spin" size={14} /> Loading {selected ? relativeTime(new Date(selected.to), now) : ''}…
              </p>
            )}
          </div>
        </section>
      </div>
    </aside>
  )
}

function VersionItem({ version: v, now, selected, onSelect }: { version: Version; now: Date; selected: boolean; onSelect: () => void }) {
  const to = new Date(v.to)
  return (
    <li>
      <button
        type="button"
        onClick={onSelect}
        className={`flex w-full flex-col items-start gap-0.5 border-b border-slate-100 px-3 py-2 text-left text-sm hover:bg-slate-50 dark:border-slate-800/60 dark:hover:bg-slate-800/60 ${selected ? 'bg-indigo-50 dark:bg-indigo-950/50' : ''}`}
        aria-pressed={selected}
        data-testid="version"
        data-seq={v.seq}
      >
        <span className="flex w-full items-center gap-2">
          <time dateTime={v.to} title={`${exactTime(new Date(v.from))} – ${exactTime(to)}`} className="font-medium">
            {relativeTime(to, now)}
          </time>
          <span className="ml-auto font-mono text-xs text-slate-600 dark:text-slate-300" title="Characters added and removed" data-testid="version-size">
            {changeSize(v.added, v.removed)}
          </span>
        </span>
        <span className="w-full truncate text-xs text-slate-500" data-testid="version-authors">{authorsOf(v)}</span>
        {v.restore !== undefined && (
          <span className="flex items-center gap-1 text-xs text-amber-700 dark:text-amber-400" data-testid="version-restore">
            <RotateCcw size={12} /> Restored entry {v.restore}
          </span>
        )}
      </button>
    </li>
  )
}

// PlaybackBar is the playback's controls: play or pause, the slider over the room's entries
// (0 is the room as created), and the speed.
function PlaybackBar({ playing, target, latest, speed, onToggle, onSlide, onSpeed }: {
  playing: boolean
  target: number
  latest: number
  speed: Speed
  onToggle: () => void
  onSlide: (seq: number) => void
  onSpeed: (speed: Speed) => void
}) {
  return (
    <div className="flex items-center gap-2 border-b border-slate-200 px-3 py-2 dark:border-slate-800">
      <button type="button" className="icon-btn !h-8 !w-8" onClick={onToggle} aria-label={playing ? 'Pause' : 'Play'} title={playing ? 'Pause' : 'Play back the editing'} data-testid="play" data-playing={playing}>
        {playing ? <Pause size={16} /> : <Play size={16} />}
      </button>
      <input
        type="range"
        className="min-w-0 flex-1 accent-indigo-600"
        min={0}
        max={latest}
        value={Math.min(target, latest)}
        onChange={(e) => onSlide(Number(e.currentTarget.value))}
        aria-label="Position in the history"
        data-testid="playback-slider"
      />
      <select className="rounded-md border border-slate-300 bg-white px-1 py-1 text-xs dark:border-slate-700 dark:bg-slate-900" value={speed} onChange={(e) => onSpeed(Number(e.currentTarget.value) as Speed)} aria-label="Playback speed" data-testid="speed">
        {speeds.map((s) => (
          <option key={s} value={s}>{s}×</option>
        ))}
      </select>
      <span className="w-16 text-right font-mono text-xs text-slate-500" data-testid="playback-seq">#{target}</span>
    </div>
  )
}

// VersionActions is the toolbar of a version shown: its text or its changes, their size, and
// Download and Restore, which asks first.
function VersionActions({ ready, showChanges, onToggleChanges, diff, onDownload, mayRestore, confirming, onConfirming, onRestore }: {
  ready: boolean
  showChanges: boolean
  onToggleChanges: () => void
  diff: LineDiff | null
  onDownload: () => void
  mayRestore: boolean
  confirming: boolean
  onConfirming: (confirming: boolean) => void
  onRestore: () => void
}) {
  return (
    <div className="flex flex-wrap items-center gap-2 border-b border-slate-200 px-3 py-2 text-sm dark:border-slate-800">
      <button type="button" className="btn-secondary !px-2 !py-1 !text-xs" onClick={onToggleChanges} aria-pressed={showChanges} data-testid="toggle-changes" title={showChanges ? 'Show the version’s text' : 'Show the changes from now to this version'}>
        {showChanges ? <FileText size={14} /> : <GitCompare size={14} />}
        {showChanges ? 'Text' : 'Changes'}
      </button>
      {diff && <span className="text-xs text-slate-500" title="Lines restoring it would bring back and take out">vs now: +{diff.added} −{diff.removed} lines</span>}
      <div className="ml-auto flex items-center gap-2">
        <button type="button" className="btn-secondary !px-2 !py-1 !text-xs" disabled={!ready} onClick={onDownload} data-testid="download-version">
          <Download size={14} /> Download
        </button>
        {mayRestore && !confirming && (
          <button type="button" className="btn-secondary !px-2 !py-1 !text-xs" disabled={!ready} onClick={() => onConfirming(true)} data-testid="restore">
            <RotateCcw size={14} /> Restore
          </button>
        )}
        {confirming && (
          <>
            <span className="text-xs">Replace everyone’s code with it?</span>
            <button type="button" className="btn-primary !px-2 !py-1 !text-xs" onClick={onRestore} data-testid="confirm-restore">Restore</button>
            <button type="button" className="btn-secondary !px-2 !py-1 !text-xs" onClick={() => onConfirming(false)}>Cancel</button>
          </>
        )}
      </div>
    </div>
  )
}
