import { useEffect, useRef } from 'react'
import { ChevronDown, ChevronUp, Loader2, Terminal } from 'lucide-react'
import { exactTime } from '../lib/history'
import { duration, exitStatus, segmentsOf, shownRun, succeeded, type Finished, type RunStart } from '../lib/runs'
import type { Runs } from '../useRuns'

// clock is a run's start as the panel shows it: the time of day; the title has the date too.
function clock(run: RunStart): string {
  return exactTime(new Date(run.startedAt)).slice(11)
}

const streamClass = {
  stdout: 'text-slate-800 dark:text-slate-100',
  stderr: 'text-red-600 dark:text-red-400',
}

// RunPanel shows the room's runs as the server announces them: the run picked from the list,
// else the run in progress or the latest, with its output (stderr in red, in the order it was
// written when this page watched it live), how it ended and how long it took; the recent runs;
// the stdin sent with a run; and why this page's last run was refused.
export function RunPanel({ runs, open, onToggle, stdin, onStdin, stdinOpen, onStdinToggle }: {
  runs: Runs
  open: boolean
  onToggle: () => void
  stdin: string
  onStdin: (stdin: string) => void
  stdinOpen: boolean
  onStdinToggle: () => void
}) {
  const { state, error, events } = runs
  const shown = shownRun(state)
  const segments = segmentsOf(shown)
  const output = useRef<HTMLPreElement>(null)

  // Live output scrolls into view as it arrives.
  const size = segments.reduce((n, s) => n + s.text.length, 0)
  useEffect(() => {
    const pre = output.current
    if (pre && shown?.kind === 'live') pre.scrollTop = pre.scrollHeight
  }, [size, shown?.kind])

  return (
    <section className="flex shrink-0 flex-col border-t border-slate-200 dark:border-slate-800" data-testid="run-panel">
      <div className="flex flex-wrap items-center gap-2 px-3 py-1.5 text-sm">
        <button type="button" className="flex items-center gap-1.5 font-semibold hover:text-indigo-600 dark:hover:text-indigo-400" onClick={onToggle} aria-expanded={open} data-testid="run-panel-toggle">
          <Terminal size={16} /> Output {open ? <ChevronDown size={14} /> : <ChevronUp size={14} />}
        </button>
        {shown && (
          <span className="min-w-0 truncate text-slate-500 dark:text-slate-400" data-testid="run-summary">
            {shown.kind === 'live' ? 'running, ' : ''}started by <span className="font-medium text-slate-700 dark:text-slate-200" data-testid="run-started-by">{shown.run.startedBy}</span> at{' '}
            <time dateTime={shown.run.startedAt} title={exactTime(new Date(shown.run.startedAt))}>{clock(shown.run)}</time>
          </span>
        )}
        {state.active && state.selected !== null && (
          <button type="button" className="text-xs text-indigo-600 hover:underline dark:text-indigo-400" onClick={() => runs.select(null)} data-testid="show-live">
            show the run in progress
          </button>
        )}
        {events === 'closed' && <span className="text-xs text-slate-500">Runs are not available on this server.</span>}
        <button type="button" className="btn-secondary ml-auto !px-2 !py-1 !text-xs" onClick={onStdinToggle} aria-pressed={stdinOpen} title="Input sent to the program when it runs" data-testid="stdin-toggle">
          stdin{stdin && !stdinOpen ? ' •' : ''}
        </button>
      </div>
      {open && (
        <div className="flex h-56 min-h-0 flex-col border-t border-slate-200 md:flex-row dark:border-slate-800">
          <div className="flex min-h-0 min-w-0 flex-1 flex-col">
            {stdinOpen && (
              <textarea
                className="field !rounded-none !border-0 !border-b h-20 shrink-0 resize-y font-mono !text-xs !ring-0"
                value={stdin}
                onChange={(e) => onStdin(e.target.value)}
                placeholder="Input for the program (stdin), sent with the next run"
                aria-label="stdin"
                spellCheck={false}
                data-testid="stdin"
              />
            )}
            {error && (
              <p className="shrink-0 bg-red-50 px-3 py-1.5 text-sm text-red-700 dark:bg-red-950 dark:text-red-300" role="alert" data-testid="run-error">
                {error}
              </p>
            )}
            <pre
              ref={output}
              role="log"
              aria-label="Output"
              className="min-h-0 flex-1 overflow-auto bg-slate-50 px-3 py-2 font-mono text-xs whitespace-pre-wrap break-words dark:bg-slate-950"
              data-testid="run-output"
              data-run-id={shown?.run.runId ?? ''}
              data-state={shown?.kind ?? 'none'}
            >
              {segments.map((s, i) => (
                <span key={i} className={streamClass[s.stream]} data-stream={s.stream} data-testid={`run-${s.stream}`}>
                  {s.text}
                </span>
              ))}
              {shown === null && <span className="text-slate-500">No runs yet. Press Run, or Ctrl/⌘+Enter in the editor.</span>}
              {shown?.kind === 'live' && (
                <span className="flex items-center gap-1.5 pt-1 text-slate-500">
                  <Loader2 className="animate-spin" size={12} /> running…
                </span>
              )}
            </pre>
            {shown?.kind === 'finished' && <RunStatus run={shown.run} />}
          </div>
          {state.recent.length > 0 && (
            <ol className="max-h-24 shrink-0 overflow-y-auto border-t border-slate-200 md:max-h-none md:w-52 md:border-t-0 md:border-l dark:border-slate-800" data-testid="recent-runs">
              {state.recent.map((r) => (
                <RunItem key={r.runId} run={r} selected={shown?.kind === 'finished' && shown.run.runId === r.runId} onSelect={() => runs.select(state.selected === r.runId ? null : r.runId)} />
              ))}
            </ol>
          )}
        </div>
      )}
    </section>
  )
}

function RunStatus({ run }: { run: Finished }) {
  const ok = succeeded(run)
  return (
    <p className="flex shrink-0 flex-wrap items-center gap-x-3 border-t border-slate-200 px-3 py-1 text-xs dark:border-slate-800" data-testid="run-status" data-exit-code={run.exitCode}>
      <span className={`font-medium ${ok ? 'text-green-700 dark:text-green-400' : 'text-red-600 dark:text-red-400'}`} data-testid="run-exit">
        {exitStatus(run)}
      </span>
      <span className="text-slate-500" data-testid="run-duration">{duration(run.durationMs)}</span>
      {run.truncated && <span className="text-amber-700 dark:text-amber-400" data-testid="run-truncated">output truncated</span>}
    </p>
  )
}

function RunItem({ run, selected, onSelect }: { run: Finished; selected: boolean; onSelect: () => void }) {
  return (
    <li>
      <button
        type="button"
        onClick={onSelect}
        className={`flex w-full items-center gap-2 border-b border-slate-100 px-3 py-1.5 text-left text-xs hover:bg-slate-50 dark:border-slate-800/60 dark:hover:bg-slate-800/60 ${selected ? 'bg-indigo-50 dark:bg-indigo-950/50' : ''}`}
        aria-pressed={selected}
        data-testid="run-item"
        data-run-id={run.runId}
      >
        <span className={`h-2 w-2 shrink-0 rounded-full ${succeeded(run) ? 'bg-green-500' : 'bg-red-500'}`} aria-hidden />
        <span className="min-w-0 flex-1 truncate">
          {exitStatus(run)} · {run.startedBy}
        </span>
        <time className="text-slate-500" dateTime={run.startedAt} title={exactTime(new Date(run.startedAt))}>{clock(run)}</time>
      </button>
    </li>
  )
}
